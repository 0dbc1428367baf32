// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The `processkit` command-line tool:
//   processkit doctor                 what containment this host gives, and why
//   processkit demo [--mechanism M]   start a process tree in a group, destroy
//                                     the group, show that nothing survived
//   processkit run [--timeout MS] [--mechanism M] -- PROGRAM [ARGS...]
//                                     run PROGRAM in a private group with the
//                                     terminal's stdio; on timeout the whole
//                                     tree is killed (exit 124, like timeout(1))

#include <boost/asio/io_context.hpp>
#include <boost/processkit/launcher.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>

#include <chrono>
#include <cstring>
#include <optional>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
using namespace std::chrono_literals;

namespace {

int usage()
{
    std::cerr << "usage: processkit doctor\n"
                 "       processkit demo [--mechanism automatic|cgroup_v2|process_group]\n"
                 "       processkit run [--timeout MS] [--mechanism M] -- PROGRAM [ARGS...]\n";
    return 64;
}

std::optional<pk::mechanism_request> parse_mechanism(const std::string& s)
{
    if (s == "automatic")
        return pk::mechanism_request::automatic;
    if (s == "cgroup_v2")
        return pk::mechanism_request::cgroup_v2;
    if (s == "process_group")
        return pk::mechanism_request::process_group;
    return std::nullopt;
}

// Exit status like a shell's: the code, 128 + signal, or 124 on timeout.
int run(const std::vector<std::string>& args)
{
    pk::process_group_options options;
    std::optional<std::chrono::milliseconds> timeout;
    std::size_t i = 1;
    for (; i < args.size() && args[i] != "--"; ++i)
    {
        if (args[i] == "--timeout" && i + 1 < args.size())
            timeout = std::chrono::milliseconds(std::stoll(args[++i]));
        else if (args[i] == "--mechanism" && i + 1 < args.size())
        {
            auto m = parse_mechanism(args[++i]);
            if (!m)
                return usage();
            options.mechanism = *m;
        }
        else
            return usage();
    }
    if (i + 1 >= args.size())
        return usage();
    pk::command cmd(args[i + 1]);
    cmd.args(std::vector<std::string>(args.begin() + static_cast<long>(i) + 2, args.end()))
        .std_in(pk::stdin_source::inherit())
        .std_out(pk::stdio_mode::inherit())
        .std_err(pk::stdio_mode::inherit());
    if (timeout)
        cmd.timeout(*timeout).timeout_grace(std::chrono::milliseconds(500));
    pk::job_runner runner(options);
    auto r = runner.output_bytes(std::move(cmd));
    if (!r)
    {
        std::cerr << "processkit: " << r.error().message() << "\n";
        return r.error().code() == pk::errc::program_not_found ? 127 : 126;
    }
    const auto& res = r.value();
    if (res.timed_out())
    {
        std::cerr << "processkit: timed out after " << timeout->count() << " ms; the whole tree was killed\n";
        return 124;
    }
    if (res.signal())
        return 128 + *res.signal();
    return *res.code();
}

int doctor()
{
    auto r = pk::host_containment();
    std::cout << "mechanism:       " << r.mechanism << "\n"
              << "reason:          " << r.reason << "\n"
              << "cgroup2 mounted: " << (r.cgroup2_mounted ? "yes at " + r.cgroup2_mount : std::string("no")) << "\n"
              << "own cgroup:      " << (r.own_cgroup.empty() ? "-" : r.own_cgroup) << "\n"
              << "writable:        " << (r.writable ? "yes" : "no") << "\n"
              << "cgroup.kill:     " << (r.cgroup_kill ? "yes" : "no") << "\n"
              << "pidfd:           " << (r.pidfd ? "yes" : "no") << "\n";
    return r.pidfd ? 0 : 1;
}

bool alive(int pid)
{
    struct stat st;
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

int demo(pk::mechanism_request req)
{
    // Reap the killed grandchildren ourselves, whatever PID 1 does.
    (void)pk::enable_subreaper();
    boost::asio::io_context ctx;
    std::vector<int> pids;
    std::string cgroup;
    boost::process::v2::process top(ctx);
    {
        pk::process_group group({req});
        cgroup = group.cgroup_path();
        std::cout << "group mechanism: " << group.mechanism()
                  << (cgroup.empty() ? std::string() : " (" + cgroup + ")") << "\n";
        // sh -> two background sleeps, one of them in a nested shell: a 3-level tree.
        pk::launcher launch;
        top = launch(ctx, "/bin/sh",
                          std::vector<std::string>{"-c", "sleep 300 & sh -c 'sleep 300 & wait' & wait"},
                          pk::in_group(group));
        for (int i = 0; i < 200; ++i)
        {
            auto m = group.members();
            if (m && m.value().size() >= 4)
                break;
            std::this_thread::sleep_for(10ms);
        }
        auto members = group.members().value();
        for (auto& m : members)
        {
            std::cout << "  member pid " << m.pid << " (" << m.name << "), parent " << m.ppid << "\n";
            pids.push_back(m.pid);
        }
        std::cout << "destroying the group...\n";
    }
    top.wait(); // reap the direct child the group killed
    std::cout << "top-level shell ended by signal " << WTERMSIG(top.native_exit_code()) << "\n";
    int survivors = 0;
    for (int pid : pids)
        if (alive(pid))
        {
            std::cout << "  SURVIVOR pid " << pid << "\n";
            ++survivors;
        }
    struct stat st;
    bool cgroup_left = !cgroup.empty() && ::stat(cgroup.c_str(), &st) == 0;
    std::cout << pids.size() << " processes started, " << survivors << " survived"
              << (cgroup.empty() ? "" : cgroup_left ? ", cgroup still present" : ", cgroup removed") << "\n";
    return survivors == 0 && !cgroup_left ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return usage();
    try
    {
        if (args[0] == "doctor" && args.size() == 1)
            return doctor();
        if (args[0] == "run")
            return run(args);
        if (args[0] == "demo")
        {
            pk::mechanism_request req = pk::mechanism_request::automatic;
            if (args.size() == 3 && args[1] == "--mechanism")
            {
                auto m = parse_mechanism(args[2]);
                if (!m)
                    return usage();
                req = *m;
            }
            else if (args.size() != 1)
                return usage();
            return demo(req);
        }
    }
    catch (const std::exception& e)
    {
        std::cerr << "processkit: " << e.what() << "\n";
        return 1;
    }
    return usage();
}
