// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_POSIX_PGROUP_BACKEND_HPP
#define BOOST_PROCESSKIT_SRC_POSIX_PGROUP_BACKEND_HPP

#include "../backend/group_backend.hpp"

namespace boost {
namespace processkit {
namespace detail {

/// A group that is the set of POSIX process groups its members lead.
std::shared_ptr<group_backend> make_pgroup_backend(const process_group_options& options);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_POSIX_PGROUP_BACKEND_HPP
