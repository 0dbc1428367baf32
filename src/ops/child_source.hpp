// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP
#define BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP

// Where an op's child comes from: spawned by a runner (in a private group,
// or in a subgroup of a group_runner's group), or a scripted child with no
// process (backend/scripted_child.hpp). The ops drive both alike.

#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>

#include "../backend/spawn.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace boost {
namespace processkit {
namespace detail {

/// Starts the child of `cmd`; `interactive_stdin`: a default stdin becomes
/// a pipe (live processes). Called once, on the op's strand.
using child_source = std::function<result<started_child>(const command& cmd, bool interactive_stdin)>;

/// spawn_run with these options, into `parent`'s subgroup when not null.
child_source spawn_source(const process_group_options& options, std::shared_ptr<group_backend> parent);

/// The capture op (src/ops/capture_op.cpp): one run to completion.
void async_capture(asio::any_io_executor ex, command cmd,
                   asio::any_completion_handler<void(error_code, process_result)> handler, child_source source);

/// A live process (src/ops/live_start.cpp).
result<running_process> start_live(asio::any_io_executor ex, command cmd, const child_source& source);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP
