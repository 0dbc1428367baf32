// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_PROC_SCAN_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_PROC_SCAN_HPP

// What a group backend asks of the OS's process table: members of process
// groups, descendants that left them, and processes that are not our
// children but may become ours to reap (as a child subreaper). Linux
// implements it in src/linux/proc_scan.cpp (/proc and pidfds).

#include <boost/processkit/process_group.hpp>

#include <functional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// A process that need not be our child, held so that its pid can never
/// name another process (Linux: a pidfd). Move-only.
class process_ref
{
public:
    process_ref() = default;
    /// Empty when `pid` is gone already (or cannot be held).
    static process_ref open(int pid) noexcept;
    process_ref(process_ref&& o) noexcept : pid_(o.pid_), fd_(o.fd_) { o.pid_ = o.fd_ = -1; }
    process_ref& operator=(process_ref&& o) noexcept;
    ~process_ref();

    explicit operator bool() const noexcept { return fd_ >= 0; }
    int pid() const noexcept { return pid_; }
    bool exited() const noexcept;
    /// false when it is gone already.
    bool send_signal(int native_signal) const noexcept;
    /// Reaps it if it has become our child (we are its subreaper) and has
    /// exited. true once there is nothing left to reap: reaped now, reaped
    /// by its parent, or never ours.
    bool reap_if_orphan() noexcept;

private:
    int pid_ = -1;
    int fd_ = -1;
};

/// Whether this process is a child subreaper.
bool is_subreaper() noexcept;
/// Live members (zombies excluded) of the process groups `pgids`.
std::vector<member_info> pgroup_members(const std::vector<int>& pgids);
/// The live descendants of `roots` that are in none of `pgids`: they called
/// setsid() (or setpgid) and left. Found through parentage, so only while
/// the chain of parents back to a root is alive.
std::vector<int> descendants_outside(const std::vector<int>& roots, const std::vector<int>& pgids);
/// After a kill: reaps the `orphans` that were reparented to us. One whose
/// dying parent has not handed it over yet is retried for up to a second
/// when `subreaper`; else one look. Empties `orphans`.
void reap_orphans(std::vector<process_ref>& orphans, bool subreaper);
/// Reaps our zombie children (as a subreaper) that `ours` claims and that are
/// not in `skip`: members forked while a kill was under way, never seen alive.
void reap_strays(const std::vector<int>& skip, const std::function<bool(int pid)>& ours);
/// The process group of `pid`, or -1.
int pgid_of(int pid);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_PROC_SCAN_HPP
