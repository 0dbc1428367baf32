// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// processkit's process_group + launcher (process_group.hpp, posix/launcher.hpp).

#include "pk_side.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/processkit/posix/launcher.hpp>
#include <boost/processkit/process_group.hpp>

#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <sched.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace pkb {
namespace pk {
namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
namespace bpk = boost::processkit;

bpk::process_group_options options(mech m)
{
    bpk::process_group_options o;
    o.mechanism = m == mech::cgroup ? bpk::mechanism_request::cgroup_v2 : bpk::mechanism_request::process_group;
    return o;
}

argv_t tail(const argv_t& argv) { return argv_t(argv.begin() + 1, argv.end()); }

} // namespace

bool mechanism_available(mech m, std::string& why)
{
    auto g = bpk::process_group::create(options(m));
    if (!g)
    {
        why = g.error().message();
        return false;
    }
    return true;
}

std::string launcher_capture(mech m, const argv_t& argv)
{
    static asio::io_context ctx;
    std::string o, e;
    {
        bpk::process_group g(options(m));
        asio::readable_pipe out{ctx}, err{ctx};
        bpk::launcher l;
        auto proc = l(ctx, argv[0], tail(argv), bpk::in_group(g), bp2::process_stdio{nullptr, out, err});
        asio::async_read(out, asio::dynamic_buffer(o), [](bpk::error_code, std::size_t) {});
        asio::async_read(err, asio::dynamic_buffer(e), [](bpk::error_code, std::size_t) {});
        proc.async_wait([](bpk::error_code, int) {});
        ctx.restart();
        ctx.run();
    } // the group is torn down here, as a runner would at the end of a run
    return o;
}

double teardown_ms(mech m, const argv_t& tree_argv, int expected, int& leftover)
{
    asio::io_context ctx;
    std::optional<bpk::process_group> g;
    g.emplace(options(m));
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2");
    bpk::launcher l;
    bpk::error_code ec;
    auto proc =
        l(ctx, ec, tree_argv[0], tail(tree_argv), bpk::in_group(*g), bp2::process_stdio{nullptr, p[1], nullptr});
    ::close(p[1]);
    if (ec)
    {
        ::close(p[0]);
        throw std::runtime_error("processkit launcher: " + ec.message());
    }
    std::string got;
    char buf[256];
    while (got.find("ready\n") == std::string::npos)
    {
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0)
            throw std::runtime_error("tree exited before ready");
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(p[0]);
    std::int64_t deadline = now_ns() + 20'000'000'000LL;
    std::vector<int> tree_pids;
    for (;;)
    {
        auto mem = g->members();
        if (mem && static_cast<int>(mem.value().size()) >= expected)
        {
            for (auto& mi : mem.value())
                if (mi.pid != static_cast<int>(proc.id()))
                    tree_pids.push_back(mi.pid);
            break;
        }
        if (now_ns() > deadline)
            throw std::runtime_error("group members() never reached " + std::to_string(expected));
        ::usleep(1000);
    }

    std::int64_t t0 = now_ns();
    g.reset(); // kill the tree, wait until it is gone, remove the cgroup
    proc.wait(ec);
    // Every process of the tree must be reaped: by the group, or by us (we
    // are a subreaper) when the group left a zombie behind.
    leftover = 0;
    std::int64_t reap_deadline = now_ns() + 10'000'000'000LL;
    for (int pid : tree_pids)
    {
        for (;;)
        {
            int st;
            pid_t r = ::waitpid(pid, &st, __WALL | WNOHANG);
            if (r == pid)
            {
                ++leftover;
                break;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && errno == ECHILD && ::kill(pid, 0) != 0 && errno == ESRCH)
                break; // gone and reaped by someone else (the group)
            if (now_ns() > reap_deadline)
                throw std::runtime_error("process " + std::to_string(pid) + " still alive after group teardown");
            ::sched_yield();
        }
    }
    return static_cast<double>(now_ns() - t0) * 1e-6;
}

} // namespace pk
} // namespace pkb
