// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP
#define BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP

// Where an op's child comes from: spawned by a runner (in a private group,
// or in a subgroup of a group_runner's group), or a scripted child with no
// process (backend/scripted_child.hpp). The ops drive both alike.

#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>

#include "../backend/spawn.hpp"
#include "../core/run_machine.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

using capture_handler = asio::any_completion_handler<void(error_code, process_result)>;

/// Starts the child of `cmd`; `interactive_stdin`: a default stdin becomes
/// a pipe (live processes). Called once, on the op's strand.
using child_source = std::function<result<started_child>(const command& cmd, bool interactive_stdin)>;

/// spawn_run with these options, into `parent`'s subgroup when not null.
child_source spawn_source(const process_group_options& options, std::shared_ptr<group_backend> parent);

/// What one capture runs: one command (one stage), or a pipeline's stages
/// with the chain's limits and cancel_on.
struct capture_spec
{
    std::vector<command> stages;
    run_limits limits;
    std::stop_token cancel;
};
capture_spec spec_of(command cmd);
capture_spec spec_of(pipeline p);

/// Starts a capture's children (every stage of `stages`); called once, on
/// the op's strand.
using run_source = std::function<result<started_run>(const std::vector<command>& stages, bool interactive_stdin)>;
/// A one-command run from a child_source.
run_source single_source(child_source source);
/// spawn_pipeline with these options, into `parent`'s subgroup when not null.
run_source pipeline_source(const process_group_options& options, std::shared_ptr<group_backend> parent);

/// Completes `handler` with `e` (and a result carrying its diagnostics),
/// posted: never inside this call. Nothing runs.
void async_fail(asio::any_io_executor ex, error e,
                asio::any_completion_handler<void(error_code, process_result)> handler);

/// The capture op (src/ops/capture_op.cpp): one run to completion.
void async_capture(asio::any_io_executor ex, capture_spec spec,
                   asio::any_completion_handler<void(error_code, process_result)> handler, run_source source);

/// A live process (src/ops/live_start.cpp).
result<running_process> start_live(asio::any_io_executor ex, command cmd, const child_source& source);
/// A live pipeline: the last stage's streams, the first one's stdin.
result<running_process> start_live(asio::any_io_executor ex, pipeline p, const run_source& source);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_CHILD_SOURCE_HPP
