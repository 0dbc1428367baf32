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

#include <chrono>
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

/// The pids this process holds a handle to (a child_record, a process_ref)
/// and has not reaped: whoever holds one reaps it, so it is never a stray.
void note_held(int pid) noexcept;
void note_released(int pid) noexcept;
bool is_held(int pid) noexcept;

/// Whether this process is a child subreaper.
bool is_subreaper() noexcept;
/// Live members (zombies excluded) of the process groups `pgids`.
std::vector<member_info> pgroup_members(const std::vector<int>& pgids);
/// Whether a live process (zombies excluded) is in one of `pgids`, from a
/// walk of the process table that started after `after`. One walk serves
/// every caller waiting at the same time (many groups torn down at once
/// share it), so the cost does not grow with the number of groups.
bool pgroups_populated(const std::vector<int>& pgids, std::chrono::steady_clock::time_point after);
/// The live descendants of `roots` that are in none of `pgids`: they called
/// setsid() (or setpgid) and left. Found through parentage, so only while
/// the chain of parents back to a root is alive.
std::vector<int> descendants_outside(const std::vector<int>& roots, const std::vector<int>& pgids);
/// After a kill: reaps the `orphans` that were reparented to us, and drops
/// the ones someone else reaped. One whose dying parent has not handed it
/// over yet is looked at again for up to `patience` (0: one look). Returns
/// whether none is left; the rest stay in `orphans`.
bool reap_orphans(std::vector<process_ref>& orphans, std::chrono::nanoseconds patience) noexcept;
/// How long a subreaper waits for orphans on their way to it.
inline constexpr std::chrono::seconds orphan_patience{1};
/// Reaps our zombie children (as a subreaper) that `ours` claims and that
/// nobody holds (is_held) and that are not in `skip` (the group's direct
/// children: their handles reap them): members forked while a kill was under
/// way, never seen alive. Held children are skipped unread, so the cost does not grow
/// with the number of runs being torn down at once.
void reap_strays(const std::vector<int>& skip, const std::function<bool(int pid)>& ours);
/// The process group of `pid`, or -1.
int pgid_of(int pid);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_PROC_SCAN_HPP
