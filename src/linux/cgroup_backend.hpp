// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_LINUX_CGROUP_BACKEND_HPP
#define BOOST_PROCESSKIT_SRC_LINUX_CGROUP_BACKEND_HPP

#include "../backend/group_backend.hpp"
#include "cgroup.hpp"

namespace boost {
namespace processkit {
namespace detail {

/// A group that is a private cgroup v2 directory. `reusable`: the cgroup
/// goes back to the pool of parked cgroups if nothing could tell it was used.
std::shared_ptr<group_backend> make_cgroup_backend(const process_group_options& options, cgroup_dir dir, bool reusable);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_LINUX_CGROUP_BACKEND_HPP
