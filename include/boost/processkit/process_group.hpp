// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_PROCESS_GROUP_HPP
#define BOOST_PROCESSKIT_PROCESS_GROUP_HPP

#include <boost/processkit/config.hpp>
#include <boost/processkit/detail/access.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/mechanism.hpp>
#include <boost/processkit/signal.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost {
namespace processkit {

class command;
class pipeline;
class running_process;

namespace detail {
class group_backend;
struct access;
} // namespace detail

/// Tuning for a `process_group`.
struct process_group_options
{
    /// Which containment to use; `automatic` picks the strongest available.
    mechanism_request mechanism = mechanism_request::automatic;
    /// How long teardown waits for the tree to be gone before giving up.
    std::chrono::milliseconds teardown_timeout{10000};
};

/// One live process of a group.
struct member_info
{
    int pid = 0;
    int ppid = 0;
    std::string name;             ///< the kernel's short name (comm)
    std::uint64_t start_time = 0; ///< clock ticks after boot: (pid, start_time) is reuse-safe
};

/// What a graceful `shutdown` did.
struct shutdown_report
{
    std::size_t members_before = 0;
    std::size_t members_after = 0;
    bool escalated = false; ///< SIGKILL was needed after the grace period
    std::chrono::nanoseconds elapsed{};
    std::vector<int> escaped; ///< descendants found outside the group (process_group mechanism)
};

/// Called once per process, the first time a group with `mechanism_request::automatic`
/// falls back from cgroup v2 to a POSIX process group. The default writes one
/// line to stderr; pass an empty function to silence it.
BOOST_PROCESSKIT_DECL void set_fallback_handler(std::function<void(const containment_report&)> handler);

/// Makes this process the reaper of orphaned descendants
/// (PR_SET_CHILD_SUBREAPER). Group teardown then reaps the killed
/// grandchildren itself instead of leaving their zombies to PID 1. Use it where
/// PID 1 does not reap (minimal containers). It affects the whole process:
/// orphans of children started by other code become this process's children
/// too. Linux only; elsewhere `errc::unsupported`.
BOOST_PROCESSKIT_DECL result<void> enable_subreaper();

/// A kill-on-destruction container for a process tree.
///
/// @details Every child launched into the group, and everything those children
/// spawn, is contained in one kernel object: a private cgroup v2 (children join
/// it before exec, so no descendant is ever born outside) or, as the fallback,
/// a POSIX process group. Destroying the group kills the whole tree, waits
/// until it is gone, and removes the cgroup.
///
/// Exception safety: the destructor never throws; other members report
/// failures through `result`.
///
/// Thread safety: all members may be called concurrently; a group may be
/// shared by many concurrent runs.
///
/// Platform notes: on the process_group mechanism a descendant that calls
/// setsid() leaves the process group. Before every signal it sends the
/// group finds such escapees through /proc parentage and records them (a
/// pidfd each): they get every later signal and die at teardown, however
/// their parents end, and are listed in `escaped()`. An escapee whose
/// parent exited before any signal was sent cannot be found. An owner killed with SIGKILL runs no destructor: its cgroup and
/// process group survive it.
class BOOST_PROCESSKIT_DECL process_group
{
public:
    /// A group with automatic mechanism choice. Throws `error_with_diagnostics`
    /// only if no mechanism at all can be set up.
    process_group();
    explicit process_group(const process_group_options& options);
    /// Non-throwing construction.
    static result<process_group> create(const process_group_options& options = {});

    process_group(process_group&&) noexcept;
    process_group& operator=(process_group&&) noexcept;
    process_group(const process_group&) = delete;
    process_group& operator=(const process_group&) = delete;

    /// Kills the whole tree, waits until it is gone, removes the cgroup.
    ~process_group();

    /// The mechanism in effect for this group.
    processkit::mechanism mechanism() const noexcept;

    /// Sends `s` to every member of the tree and returns without waiting.
    /// `signal::kill` on the process_group mechanism also kills the
    /// descendants that left the process group (see `escaped`).
    result<void> signal(processkit::signal s);
    /// Stops every member (cgroup.freeze, or SIGSTOP to the process group).
    result<void> suspend();
    /// Continues every member after `suspend`.
    result<void> resume();
    /// The live members (zombies excluded).
    result<std::vector<member_info>> members() const;
    /// Moves an outside process into the group. On the process_group mechanism
    /// only a child of this process that has not yet called exec can move.
    result<void> adopt(int pid);
    /// Kills every member and waits until none is left. Idempotent; the
    /// group stays usable.
    result<void> kill_all();
    /// SIGTERM, wait up to `grace` for the tree to exit, then SIGKILL.
    result<shutdown_report> shutdown(std::chrono::milliseconds grace);

    /// Starts `cmd` as a member of this group, served by `ex` (or by
    /// processkit's own I/O thread): the same run as `group_runner(*this)`
    /// gives (a subgroup of this group per run, torn down when the run
    /// ends), with the same stdio, timeouts and probes as `start(cmd)`.
    /// The verbs: `group_runner(group).run(cmd)` and the rest. Include
    /// <boost/processkit/running_process.hpp> to use the result.
    result<running_process> start(asio::any_io_executor ex, command cmd);
    result<running_process> start(command cmd);
    /// Starts a pipeline in this group (see `start(ex, pipeline)`).
    result<running_process> start(asio::any_io_executor ex, pipeline p);
    result<running_process> start(pipeline p);

    /// Descendants that left the group (setsid on the process_group
    /// mechanism) and were found and killed during teardown.
    std::vector<int> escaped() const;
    /// The cgroup directory (cgroup_v2), else empty.
    std::string cgroup_path() const;

private:
    friend struct detail::access;
    explicit process_group(std::shared_ptr<detail::group_backend> s) noexcept;
    std::shared_ptr<detail::group_backend> state_;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_PROCESS_GROUP_HPP
