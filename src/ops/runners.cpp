// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The two runners that spawn: job_runner (a private group per run) and
// group_runner (a subgroup of a group you own). Both hand the ops a
// child_source; the ops do the rest.

#include <boost/processkit/process_runner.hpp>

#include "child_source.hpp"
#include "io_thread.hpp"
#include "run_limits.hpp"
#include "../core/plan.hpp"

namespace boost {
namespace processkit {
namespace detail {

child_source spawn_source(const process_group_options& options, std::shared_ptr<group_backend> parent)
{
    return [options, parent = std::move(parent)](const command& cmd, bool interactive) {
        return spawn_run(cmd, options, parent, interactive);
    };
}

capture_spec spec_of(command cmd)
{
    capture_spec s;
    s.limits = limits_of(cmd);
    s.cancel = cmd.cancel_token();
    s.stages.push_back(std::move(cmd));
    return s;
}

capture_spec spec_of(pipeline p)
{
    capture_spec s;
    s.limits = limits_of(p);
    s.cancel = p.cancel_token();
    s.stages = std::move(p.stages());
    return s;
}

run_source single_source(child_source source)
{
    return [source = std::move(source)](const std::vector<command>& stages, bool interactive) -> result<started_run> {
        auto child = source(stages.front(), interactive);
        if (!child)
            return child.error();
        started_run run;
        run.stages.push_back(std::move(child).value());
        return run;
    };
}

run_source pipeline_source(const process_group_options& options, std::shared_ptr<group_backend> parent)
{
    return [options, parent = std::move(parent)](const std::vector<command>& stages, bool interactive) {
        return spawn_pipeline(stages, options, parent, interactive);
    };
}

namespace {

// A pipeline's checks come first: an invalid one completes (posted) without spawning.
void capture_pipeline(asio::any_io_executor ex, pipeline p, capture_handler handler, run_source source)
{
    if (error e = check_pipeline(p))
        return async_fail(std::move(ex), std::move(e), std::move(handler));
    async_capture(std::move(ex), spec_of(std::move(p)), std::move(handler), std::move(source));
}

} // namespace
} // namespace detail

namespace {

// What a runner that does not override the pipeline primitives answers.
error no_pipelines(const pipeline& p, const char* step)
{
    diagnostics d;
    d.program = p.stages().empty() ? std::string() : p.stages().front().program();
    d.step = step;
    d.detail = "this runner does not run pipelines";
    return error(errc::unsupported, std::move(d));
}

} // namespace

void process_runner::async_capture_pipeline(asio::any_io_executor ex, pipeline p, detail::capture_handler handler)
{
    detail::async_fail(std::move(ex), no_pipelines(p, "run pipeline"), std::move(handler));
}

result<running_process> process_runner::start_pipeline(asio::any_io_executor, pipeline p)
{
    return no_pipelines(p, "start pipeline");
}

result<running_process> job_runner::start_pipeline(asio::any_io_executor ex, pipeline p)
{
    return detail::start_live(std::move(ex), std::move(p), detail::pipeline_source(options_, nullptr));
}

result<running_process> group_runner::start_pipeline(asio::any_io_executor ex, pipeline p)
{
    return detail::start_live(std::move(ex), std::move(p), detail::pipeline_source(group_->options, group_));
}

void job_runner::async_capture_pipeline(asio::any_io_executor ex, pipeline p, detail::capture_handler handler)
{
    detail::capture_pipeline(std::move(ex), std::move(p), std::move(handler),
                             detail::pipeline_source(options_, nullptr));
}

void group_runner::async_capture_pipeline(asio::any_io_executor ex, pipeline p, detail::capture_handler handler)
{
    detail::capture_pipeline(std::move(ex), std::move(p), std::move(handler),
                             detail::pipeline_source(group_->options, group_));
}

result<running_process> job_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), detail::spawn_source(options_, nullptr));
}

void job_runner::async_capture(asio::any_io_executor ex, command cmd,
                               asio::any_completion_handler<void(error_code, process_result)> handler)
{
    detail::async_capture(std::move(ex), detail::spec_of(std::move(cmd)), std::move(handler),
                          detail::single_source(detail::spawn_source(options_, nullptr)));
}

result<running_process> group_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), detail::spawn_source(group_->options, group_));
}

void group_runner::async_capture(asio::any_io_executor ex, command cmd,
                                 asio::any_completion_handler<void(error_code, process_result)> handler)
{
    detail::async_capture(std::move(ex), detail::spec_of(std::move(cmd)), std::move(handler),
                          detail::single_source(detail::spawn_source(group_->options, group_)));
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

result<running_process> process_group::start(asio::any_io_executor ex, pipeline p)
{
    return group_runner(*this).start_pipeline(std::move(ex), std::move(p));
}

result<running_process> process_group::start(pipeline p) { return start(detail::background_executor(), std::move(p)); }

result<running_process> start(asio::any_io_executor ex, pipeline p, const process_group_options& options)
{
    return job_runner(options).start_pipeline(std::move(ex), std::move(p));
}

result<running_process> start(asio::any_io_executor ex, pipeline p) { return start(std::move(ex), std::move(p), {}); }

result<running_process> start(pipeline p) { return start(detail::background_executor(), std::move(p)); }

} // namespace processkit
} // namespace boost
