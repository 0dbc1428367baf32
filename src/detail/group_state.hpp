// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_GROUP_STATE_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_GROUP_STATE_HPP

#include <boost/processkit/process_group.hpp>

#include "child_record.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

struct group_state
{
    processkit::mechanism mech = processkit::mechanism::process_group;
    process_group_options options;

    mutable std::mutex mu;
    bool closed = false;

    // cgroup_v2
    std::string cg_path;
    int cg_dirfd = -1;
    int procs_fd = -1;
    /// cgroup.kill was written. Linux (seen on 6.18) kills a child that
    /// clone3 creates directly in a cgroup killed before (CLONE_INTO_CGROUP;
    /// test kill_all_is_idempotent_and_group_stays_usable): from then on
    /// children join by writing cgroup.procs instead.
    bool cg_killed = false;
    bool cg_frozen_once = false; ///< cgroup.freeze was written
    /// A run's private group (runner): its cgroup is never seen by user code,
    /// so an untouched one may be parked for the next run (cgroup_park).
    bool reusable = false;

    // process_group: every pgid a member led; dead ones are pruned on ESRCH.
    std::vector<int> pgids;
    /// The controlling terminal handed to the members' group (share_terminal),
    /// given back to this process's group once the tree is dead.
    int tty_fd = -1;

    // Direct children not yet known to be reaped.
    std::vector<std::shared_ptr<child_record>> children;
    /// Every escapee ever found (reported by `escaped()`).
    std::vector<int> escaped;
    /// The escapees found and not yet torn down, with a pidfd each: found
    /// while their parent lived (before any signal could orphan them), they
    /// get every later signal and die in the next kill_tree, however their
    /// parents end.
    struct escapee
    {
        int pid;
        int pidfd;
    };
    std::vector<escapee> escapees;

    ~group_state();
};

/// Builds the private group of one run (spawn_run): its cgroup comes from,
/// and goes back to, the pool of parked cgroups.
struct group_access
{
    static result<process_group> create_private(const process_group_options& options);
};

/// Kill the tree, wait until it is empty, reap direct children. Used by
/// kill_all and teardown. Never throws.
error kill_tree(group_state& g) noexcept;
/// Tear the group down for good: kill_tree + remove the cgroup.
void close_group(group_state& g) noexcept;

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_DETAIL_GROUP_STATE_HPP
