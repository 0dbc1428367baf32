// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Shared test utilities: the helper's path, /proc observations, skips.

#ifndef BOOST_PROCESSKIT_TEST_PK_TEST_HPP
#define BOOST_PROCESSKIT_TEST_PK_TEST_HPP

#include <boost/processkit/mechanism.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pk_test {

inline std::string helper() { return PK_HELPER_PATH; }

inline bool cgroup_usable() { return boost::processkit::host_containment().mechanism == boost::processkit::mechanism::cgroup_v2; }

/// Boost.Test precondition: skips (visibly, as "skipped" in the report) when
/// cgroup v2 containment is not available on this host.
struct needs_cgroup
{
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const
    {
        if (cgroup_usable())
            return true;
        boost::test_tools::assertion_result r(false);
        r.message() << "SKIPPED: cgroup v2 containment unavailable here: "
                    << boost::processkit::host_containment().reason;
        return r;
    }
};

/// Is `pid` still in /proc at all (zombies included)?
inline bool pid_exists(int pid)
{
    struct stat st;
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

/// Waits up to `limit` for every pid to vanish from /proc; returns the survivors.
inline std::vector<int> survivors(const std::vector<int>& pids,
                                  std::chrono::milliseconds limit = std::chrono::milliseconds(3000))
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<int> left;
    do
    {
        left.clear();
        for (int p : pids)
            if (pid_exists(p))
                left.push_back(p);
        if (left.empty())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < deadline);
    return left;
}

/// Children (any state, zombies included) of this process, all threads.
inline std::vector<int> own_children()
{
    std::vector<int> out;
    std::string task = "/proc/self/task";
    DIR* d = ::opendir(task.c_str());
    if (!d)
        return out;
    while (dirent* e = ::readdir(d))
    {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream in(task + "/" + e->d_name + "/children");
        int pid;
        while (in >> pid)
            out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

/// Per-test fixture: when the test ends, this process has no child left,
/// zombies included (waits up to a second for teardown to settle).
struct no_leftover_children
{
    ~no_leftover_children()
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        std::vector<int> kids;
        while (!(kids = own_children()).empty() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        for (int k : kids)
        {
            std::ifstream stat("/proc/" + std::to_string(k) + "/stat");
            std::string line;
            std::getline(stat, line);
            BOOST_TEST_MESSAGE("leftover child: " << line.substr(0, 60));
        }
        BOOST_TEST(kids.empty(), "no child process or zombie left behind");
    }
};

/// Open fds of this process.
inline std::vector<int> own_fds()
{
    std::vector<int> out;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d)
        return out;
    int self = ::dirfd(d);
    while (dirent* e = ::readdir(d))
    {
        if (e->d_name[0] == '.')
            continue;
        int fd = std::stoi(e->d_name);
        if (fd != self)
            out.push_back(fd);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

/// Integers following "pid " on each line of `text`.
inline std::vector<int> pid_lines(const std::string& text)
{
    std::vector<int> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("pid ", 0) == 0)
            out.push_back(std::stoi(line.substr(4)));
    return out;
}

/// The cgroup v2 path of `pid` ("" if gone).
inline std::string cgroup_of(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0)
            return line.substr(3);
    return {};
}

} // namespace pk_test

#endif // BOOST_PROCESSKIT_TEST_PK_TEST_HPP
