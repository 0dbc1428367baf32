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

    // process_group: every pgid a member led; dead ones are pruned on ESRCH.
    std::vector<int> pgids;

    // Direct children not yet known to be reaped.
    std::vector<std::shared_ptr<child_record>> children;
    std::vector<int> escaped;

    ~group_state();
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
