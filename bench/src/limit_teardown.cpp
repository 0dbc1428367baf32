// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 9's limits.
//  - teardown_kernel: the fair limit. The same forker children and the same
//    burst as processkit's side, watched with the least work that still does
//    the same job (notice the exit, reap, kill the rest of the tree, see the
//    tree gone): per child a pidfd and the stdout pipe, each an
//    asio::posix::stream_descriptor on one io_context; async_wait(wait_read)
//    on the pidfd -> waitid(P_PIDFD) -> killpg(SIGKILL) -> read the pipe to
//    EOF (the grandchild holds its write end until it dies). What is left is
//    the kernel's own exit work for 400 processes, competing with the io
//    thread for the CPUs.
//  - timer_alone: the same ticker with no children at all.

#include "limit.hpp"
#include "ticker.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

namespace pkb {
namespace lim {
namespace {

namespace asio = boost::asio;

[[noreturn]] void die(const char* what)
{
    throw std::runtime_error(std::string("kernel limit: ") + what + ": " + std::strerror(errno));
}

/// One forker child: leader of its own process group (pgid = pid).
struct kid
{
    pid_t pid = -1;
    int gpid = 0;
    bool reaped = false;
    std::string line; ///< stdout until "ready GPID\n"
    asio::posix::stream_descriptor pidfd, out;
    explicit kid(asio::io_context& c) : pidfd(c), out(c) {}
    kid(const kid&) = delete;
    kid& operator=(const kid&) = delete;
    ~kid()
    {
        if (pid > 0 && !reaped) // error paths only
        {
            ::killpg(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

/// posix_spawn `argv` as the leader of a new process group, stdin and
/// stderr on /dev/null, stdout on a pipe (read end non-blocking, kept).
void spawn(kid& k, const std::vector<char*>& argv)
{
    int o[2];
    if (::pipe2(o, O_CLOEXEC) != 0)
        die("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    int rc = ::posix_spawn(&k.pid, argv[0], &fa, &at, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    ::close(o[1]);
    if (rc != 0)
    {
        ::close(o[0]);
        k.pid = -1;
        errno = rc;
        die("posix_spawn");
    }
    ::fcntl(o[0], F_SETFL, ::fcntl(o[0], F_GETFL) | O_NONBLOCK);
    k.out.assign(o[0]);
    int pfd = static_cast<int>(::syscall(SYS_pidfd_open, k.pid, 0));
    if (pfd < 0)
        die("pidfd_open");
    k.pidfd.assign(pfd);
}

} // namespace

lateness_result teardown_kernel(const argv_t& forker, int n, int lead_ms, int window_ms)
{
    using clock = ticker::clock;
    lateness_result res;
    asio::io_context ctx; // first: destroyed after the children below
    std::vector<char*> argv;
    for (auto& a : forker)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    std::vector<std::unique_ptr<kid>> ks;
    ks.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
    {
        ks.push_back(std::make_unique<kid>(ctx));
        spawn(*ks.back(), argv);
    }

    // Not measured: every "ready GPID" line, read on the io_context.
    std::string first_error;
    auto fail = [&](std::string what) {
        if (first_error.empty())
            first_error = std::move(what);
    };
    int probed = 0;
    std::function<void(kid&)> read_ready = [&](kid& k) {
        k.out.async_wait(asio::posix::stream_descriptor::wait_read, [&, kp = &k](const boost::system::error_code& ec) {
            kid& k = *kp;
            std::string err;
            if (!ec)
            {
                char buf[256];
                ssize_t r = ::read(k.out.native_handle(), buf, sizeof buf);
                if (r > 0)
                {
                    k.line.append(buf, static_cast<std::size_t>(r));
                    if (k.line.find('\n') == std::string::npos)
                        return read_ready(k);
                    if (k.line.rfind("ready ", 0) != 0)
                        err = "unexpected first line: " + k.line;
                    k.gpid = std::atoi(k.line.c_str() + 6);
                }
                else if (r == 0)
                    err = "EOF before \"ready\"";
                else if (errno == EAGAIN || errno == EINTR)
                    return read_ready(k);
                else
                    err = std::string("read: ") + std::strerror(errno);
            }
            else
                err = "ready wait: " + ec.message();
            if (!err.empty())
                fail(err);
            ++probed;
        });
    };
    // Watch every child (armed before the ready lines, like processkit's
    // async_wait): pidfd readable -> reap -> kill the group -> pipe EOF.
    burst_progress prog;
    prog.n = n;
    std::function<void(kid&)> drain = [&](kid& k) {
        k.out.async_wait(asio::posix::stream_descriptor::wait_read, [&, kp = &k](const boost::system::error_code& ec) {
            kid& k = *kp;
            if (ec)
                return fail("pipe wait: " + ec.message());
            char buf[256];
            for (;;)
            {
                ssize_t r = ::read(k.out.native_handle(), buf, sizeof buf);
                if (r > 0)
                    continue;
                if (r == 0)
                {
                    k.out.close();
                    prog.one_done();
                    return;
                }
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN)
                    break;
                return fail(std::string("read: ") + std::strerror(errno));
            }
            drain(k);
        });
    };
    for (auto& kp : ks)
    {
        kid& k = *kp;
        k.pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [&,
                                                                       kp = &k](const boost::system::error_code& ec) {
            kid& k = *kp;
            if (ec)
                return fail("pidfd wait: " + ec.message());
            siginfo_t si{};
            if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(k.pidfd.native_handle()), &si, WEXITED) != 0)
                return fail(std::string("waitid: ") + std::strerror(errno));
            k.reaped = true;
            k.pidfd.close();
            if (si.si_code != CLD_EXITED || si.si_status != 0)
                fail("a child did not exit 0");
            ::killpg(k.pid, SIGKILL); // the group outlives its reaped leader while the grandchild is in it
            drain(k);
        });
    }

    for (auto& k : ks)
        read_ready(*k);
    auto hard = clock::now() + std::chrono::seconds(90);
    while (probed < n && clock::now() < hard)
        ctx.run_one_for(std::chrono::milliseconds(100));
    if (probed < n || !first_error.empty())
        throw std::runtime_error("kernel limit: " +
                                 (first_error.empty() ? std::string("children not ready in time") : first_error));

    std::vector<int> pids, gpids;
    for (auto& k : ks)
        pids.push_back(k->pid), gpids.push_back(k->gpid);
    bool finished = run_burst(ctx, pids, lead_ms, window_ms, prog, res);

    // Every child is done, so every tree must be gone.
    res.survivors = kill_survivors(gpids);
    ks.clear();
    if (!finished)
        throw std::runtime_error("kernel limit: " + std::to_string(prog.done) + " of " + std::to_string(n) +
                                 " children done 30 s after the signal");
    if (!first_error.empty())
        throw std::runtime_error("kernel limit: " + first_error);
    return res;
}

lateness_result timer_alone(int lead_ms, int window_ms)
{
    asio::io_context ctx;
    burst_progress none; // no children: the window alone decides
    lateness_result res;
    run_burst(ctx, {}, lead_ms, window_ms, none, res);
    return res;
}

} // namespace lim
} // namespace pkb
