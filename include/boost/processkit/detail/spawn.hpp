// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_DETAIL_SPAWN_HPP
#define BOOST_PROCESSKIT_DETAIL_SPAWN_HPP

#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>

#include <cstddef>
#include <memory>

namespace boost {
namespace processkit {
namespace detail {

class group_backend;
struct child_record;

struct reaped_by_processkit_t
{};

/// Everything the child needs to join a group, prepared in the parent so that
/// the child only makes async-signal-safe system calls.
struct join_plan
{
    std::shared_ptr<group_backend> group;
    int procs_fd = -1;              ///< cgroup.procs of the group's cgroup (cgroup_v2)
    int cgroup_fd = -1;             ///< the group's cgroup directory (cgroup_v2)
    int pgid = -1;                  ///< process group to join; 0 = become a new leader
    int tty_fd = -1;                ///< >= 0: make the child's process group the terminal's foreground
    volatile int became_leader = 0; ///< written by the child (shared memory)
};

/// Parent, before spawning: fails with group_closed once the group is torn down.
BOOST_PROCESSKIT_DECL error prepare_join(const std::shared_ptr<group_backend>& g, join_plan& plan);
/// Child, between clone and exec: async-signal-safe; returns 0 or an errno value.
BOOST_PROCESSKIT_DECL int join_in_child(join_plan& plan) noexcept;
/// Parent, after a successful exec: the group now tracks the child. Takes
/// ownership of `pidfd`. `owned`: processkit reaps the child (else another
/// handle, e.g. a Process v2 `basic_process`, does).
BOOST_PROCESSKIT_DECL std::shared_ptr<child_record> commit_join(join_plan& plan, int pid, int pidfd, bool owned);
/// Parent, after a failed spawn.
BOOST_PROCESSKIT_DECL void abort_join(join_plan& plan) noexcept;
/// Parent, before spawning a run whose stdin is this process's: when the
/// group is a process group and this process owns the foreground of the
/// controlling terminal on fd 0, the child's group gets the terminal (else
/// it would be stopped by SIGTTIN on its first read); teardown gives it back.
BOOST_PROCESSKIT_DECL void share_terminal(group_backend& g) noexcept;

/// A spawn fully prepared in the parent. The child runs `child_hook` (which
/// must be async-signal-safe), closes every fd >= 3 not in `keep_fds`,
/// clears its signal mask and handlers, then execs.
struct spawn_request
{
    const char* path = nullptr;
    const char* const* argv = nullptr;
    const char* const* envp = nullptr;
    const int* keep_fds = nullptr; ///< sorted ascending, all >= 3
    std::size_t keep_count = 0;
    int (*child_hook)(void* ctx) noexcept = nullptr; ///< returns 0 or an errno value
    void* hook_ctx = nullptr;
    const char* volatile* child_step = nullptr; ///< the hook names the failing step here
    int cgroup_fd = -1; ///< >= 0: a cgroup directory to create the child in (clone3 CLONE_INTO_CGROUP)
    /// Set (before the child runs) to whether the child was created in
    /// `cgroup_fd`; false when clone3 is unavailable and the hook must move it.
    volatile bool* born_in_cgroup = nullptr;
};

struct spawn_outcome
{
    int pid = -1;
    int pidfd = -1;
    error_code ec;              ///< set on failure; no child is left behind then
    const char* step = nullptr; ///< the step that failed ("clone", "execve", ...)
};

/// Start a child with a vfork-style clone (CLONE_VM | CLONE_VFORK | CLONE_PIDFD):
/// no copy of the parent's memory, no notify_fork, failures reported through
/// shared memory, failed children reaped before returning. Where clone3 works
/// (x86-64 and AArch64, Linux 5.7+) the child is created directly in
/// `cgroup_fd` with its handlers reset by the kernel; elsewhere clone().
BOOST_PROCESSKIT_DECL spawn_outcome spawn(const spawn_request& req) noexcept;
/// What a failed spawn means to a user: a missing program (exec ENOENT) is
/// errc::program_not_found, a failed chdir errc::bad_working_directory;
/// anything else is the system's code.
BOOST_PROCESSKIT_DECL error_code spawn_error_code(const spawn_outcome& out) noexcept;

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_DETAIL_SPAWN_HPP
