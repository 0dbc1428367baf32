// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The process-table hooks of src/backend/proc_scan.hpp, from /proc and pidfds.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_LINUX

#  include "../backend/proc_scan.hpp"
#  include "../posix/unique_fd.hpp"
#  include "pidfd.hpp"
#  include "procfs.hpp"

#  include <algorithm>
#  include <chrono>
#  include <cstdio>
#  include <cstdlib>
#  include <mutex>
#  include <set>
#  include <sys/prctl.h>
#  include <thread>

namespace boost {
namespace processkit {
namespace detail {

namespace {

struct held_pids
{
    std::mutex mu;
    std::vector<int> pids; // a pid may be held twice (a child_record and a process_ref)
};

held_pids& held()
{
    static held_pids h;
    return h;
}

} // namespace

void note_held(int pid) noexcept
{
    auto& h = held();
    std::lock_guard<std::mutex> lk(h.mu);
    try
    {
        h.pids.push_back(pid);
    }
    catch (const std::bad_alloc&)
    {
    }
}

void note_released(int pid) noexcept
{
    auto& h = held();
    std::lock_guard<std::mutex> lk(h.mu);
    if (auto it = std::find(h.pids.begin(), h.pids.end(), pid); it != h.pids.end())
    {
        *it = h.pids.back();
        h.pids.pop_back();
    }
}

bool is_held(int pid) noexcept
{
    auto& h = held();
    std::lock_guard<std::mutex> lk(h.mu);
    return std::find(h.pids.begin(), h.pids.end(), pid) != h.pids.end();
}

process_ref process_ref::open(int pid) noexcept
{
    process_ref r;
    int fd = above_stdio(pidfd_open(pid));
    if (fd >= 0)
    {
        r.pid_ = pid, r.fd_ = fd;
        note_held(pid);
    }
    return r;
}

process_ref& process_ref::operator=(process_ref&& o) noexcept
{
    if (this != &o)
    {
        if (fd_ >= 0)
            ::close(fd_), note_released(pid_);
        pid_ = o.pid_;
        fd_ = o.fd_;
        o.pid_ = o.fd_ = -1;
    }
    return *this;
}

process_ref::~process_ref()
{
    if (fd_ >= 0)
        ::close(fd_), note_released(pid_);
}

bool process_ref::exited() const noexcept { return fd_ < 0 || pidfd_exited(fd_); }

bool process_ref::send_signal(int sig) const noexcept { return fd_ >= 0 && pidfd_send(fd_, sig) == 0; }

bool process_ref::reap_if_orphan() noexcept
{
    if (fd_ < 0)
        return true;
    siginfo_t info{};
    if (pidfd_wait(fd_, info, WEXITED | WNOHANG) == 0)
        return info.si_pid != 0;
    if (errno != ECHILD)
        return true;
    // Not our child (yet): a dying parent may not have handed it over. The
    // pidfd's fdinfo says -1 once its parent reaped it.
    int pid = 0;
    try
    {
        if (auto fdinfo = read_file("/proc/self/fdinfo/" + std::to_string(fd_)))
            if (auto pos = fdinfo->find("Pid:"); pos != std::string::npos)
                pid = std::atoi(fdinfo->c_str() + pos + 4);
    }
    catch (...)
    {
    }
    return pid <= 0;
}

bool is_subreaper() noexcept
{
    int flag = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0) == 0 && flag != 0;
}

std::vector<member_info> pgroup_members(const std::vector<int>& pgids)
{
    std::vector<member_info> out;
    for (int pid : all_pids())
    {
        auto st = read_proc_stat(pid);
        if (st && st->state != 'Z' && std::find(pgids.begin(), pgids.end(), st->pgid) != pgids.end())
            out.push_back(st->info);
    }
    return out;
}

namespace {

// The pgids of every live process, sorted, as one walk of /proc found them.
struct pgid_snapshot
{
    std::mutex mu;
    std::chrono::steady_clock::time_point started{};
    std::vector<int> pgids;
};

pgid_snapshot& snapshot()
{
    static pgid_snapshot s;
    return s;
}

} // namespace

bool pgroups_populated(const std::vector<int>& pgids, std::chrono::steady_clock::time_point after)
{
    auto& s = snapshot();
    std::lock_guard<std::mutex> lk(s.mu);
    if (s.started <= after)
    {
        s.started = std::chrono::steady_clock::now();
        s.pgids.clear();
        for (int pid : all_pids())
            if (auto st = read_proc_stat(pid); st && st->state != 'Z')
                s.pgids.push_back(st->pgid);
        std::sort(s.pgids.begin(), s.pgids.end());
    }
    return std::any_of(pgids.begin(), pgids.end(),
                       [&](int pgid) { return std::binary_search(s.pgids.begin(), s.pgids.end(), pgid); });
}

std::vector<int> descendants_outside(const std::vector<int>& roots, const std::vector<int>& pgids)
{
    std::vector<int> out;
    std::vector<int> stack = roots;
    std::set<int> seen;
    while (!stack.empty())
    {
        int pid = stack.back();
        stack.pop_back();
        if (!seen.insert(pid).second)
            continue;
        for (int child : children_of(pid))
        {
            auto st = read_proc_stat(child);
            if (!st || st->state == 'Z')
                continue;
            if (std::find(pgids.begin(), pgids.end(), st->pgid) == pgids.end())
                out.push_back(child);
            stack.push_back(child);
        }
    }
    return out;
}

bool reap_orphans(std::vector<process_ref>& orphans, std::chrono::nanoseconds patience) noexcept
{
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + patience;
    for (;;)
    {
        orphans.erase(std::remove_if(orphans.begin(), orphans.end(), [](process_ref& r) { return r.reap_if_orphan(); }),
                      orphans.end());
        if (orphans.empty() || clock::now() >= deadline)
            return orphans.empty();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

namespace {

// Whether any child of this process is waiting to be reaped (nothing is reaped).
bool have_zombie_child()
{
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

} // namespace

void reap_strays(const std::vector<int>& skip, const std::function<bool(int pid)>& ours)
{
    if (!have_zombie_child())
        return;
    for (int pid : children_of(::getpid()))
    {
        if (is_held(pid) || std::find(skip.begin(), skip.end(), pid) != skip.end())
            continue;
        auto st = read_proc_stat(pid);
        if (!st || st->state != 'Z' || !ours(pid))
            continue;
        int fd = pidfd_open(pid); // an unreaped zombie: no reuse
        if (fd < 0)
            continue;
        siginfo_t info{};
        pidfd_wait(fd, info, WEXITED | WNOHANG);
        ::close(fd);
    }
}

int pgid_of(int pid)
{
    auto st = read_proc_stat(pid);
    return st ? st->pgid : -1;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_LINUX
