// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// `processkit demo`: start a three-level process tree in a group, destroy the
// group, and count the survivors by pid.

#include "commands.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/processkit/posix/launcher.hpp>
#include <boost/processkit/process_group.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace boost {
namespace processkit {
namespace tool {
namespace {

bool alive(int pid)
{
    struct stat st;
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

bool exists(const std::string& path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

// Waits (up to 2 s) until the group holds `count` processes.
std::vector<member_info> wait_for_members(const process_group& group, std::size_t count)
{
    using namespace std::chrono_literals;
    for (int i = 0; i < 200; ++i)
    {
        auto m = group.members();
        if (m && m.value().size() >= count)
            break;
        std::this_thread::sleep_for(10ms);
    }
    return group.members().value();
}

} // namespace

int demo(const demo_options& options)
{
    // Reap the killed grandchildren ourselves, whatever PID 1 does.
    (void)enable_subreaper();
    asio::io_context ctx;
    std::vector<int> pids;
    std::string cgroup;
    process::v2::process top(ctx);
    {
        process_group group({options.mechanism});
        cgroup = group.cgroup_path();
        std::cout << "group mechanism: " << group.mechanism() << (cgroup.empty() ? std::string() : " (" + cgroup + ")")
                  << "\n";
        // sh -> two background sleeps, one of them in a nested shell: a 3-level tree.
        launcher launch;
        top = launch(ctx, "/bin/sh", std::vector<std::string>{"-c", "sleep 300 & sh -c 'sleep 300 & wait' & wait"},
                     in_group(group));
        for (const member_info& m : wait_for_members(group, 4))
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
    const bool cgroup_left = !cgroup.empty() && exists(cgroup);
    std::cout << pids.size() << " processes started, " << survivors << " survived"
              << (cgroup.empty() ? ""
                  : cgroup_left  ? ", cgroup still present"
                                 : ", cgroup removed")
              << "\n";
    return survivors == 0 && !cgroup_left ? 0 : 1;
}

} // namespace tool
} // namespace processkit
} // namespace boost
