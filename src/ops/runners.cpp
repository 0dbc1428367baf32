// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The two runners that spawn: job_runner (a private group per run) and
// group_runner (a subgroup of a group you own). Both hand the ops a
// child_source; the ops do the rest.

#include <boost/processkit/process_runner.hpp>

#include "child_source.hpp"
#include "io_thread.hpp"

namespace boost {
namespace processkit {
namespace detail {

child_source spawn_source(const process_group_options& options, std::shared_ptr<group_backend> parent)
{
    return [options, parent = std::move(parent)](const command& cmd, bool interactive) {
        return spawn_run(cmd, options, parent, interactive);
    };
}

} // namespace detail

result<running_process> job_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), detail::spawn_source(options_, nullptr));
}

void job_runner::async_capture(asio::any_io_executor ex, command cmd,
                               asio::any_completion_handler<void(error_code, process_result)> handler)
{
    detail::async_capture(std::move(ex), std::move(cmd), std::move(handler), detail::spawn_source(options_, nullptr));
}

result<running_process> group_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), detail::spawn_source(group_->options, group_));
}

void group_runner::async_capture(asio::any_io_executor ex, command cmd,
                                 asio::any_completion_handler<void(error_code, process_result)> handler)
{
    detail::async_capture(std::move(ex), std::move(cmd), std::move(handler),
                          detail::spawn_source(group_->options, group_));
}

result<running_process> process_group::start(asio::any_io_executor ex, command cmd)
{
    return group_runner(*this).start(std::move(ex), std::move(cmd));
}

result<running_process> process_group::start(command cmd)
{
    return start(detail::background_executor(), std::move(cmd));
}

result<running_process> start(asio::any_io_executor ex, command cmd)
{
    return start(std::move(ex), std::move(cmd), {});
}

result<running_process> start(asio::any_io_executor ex, command cmd, const process_group_options& options)
{
    return detail::start_live(std::move(ex), std::move(cmd), detail::spawn_source(options, nullptr));
}

result<running_process> start(command cmd) { return start(detail::background_executor(), std::move(cmd)); }

} // namespace processkit
} // namespace boost
