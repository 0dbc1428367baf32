// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_PIPELINE_HPP
#define BOOST_PROCESSKIT_PIPELINE_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/retry.hpp>
#include <boost/processkit/signal.hpp>

#include <chrono>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

namespace boost {
namespace processkit {

/// A chain of commands, each stage's stdout connected to the next one's
/// stdin, with no shell: `command("gen") | command("filter") | command("sort")`.
///
/// @details The bytes flow from child to child through pipes whose ends only
/// the two children hold: the parent copies none of them. Every stage runs
/// in its own subgroup of one group for the chain (a private group, or the
/// group of a `group_runner`), so the whole chain -- and everything its
/// stages spawn -- is torn down when the run ends, times out or is
/// cancelled.
///
/// What each stage's command says, and what the chain says:
///  - per stage: program, arguments, working directory, environment, its
///    stderr (captured per stage by default -- see `process_result::stages`
///    -- or `stdio_mode::merge()` into its stdout, so into the next stage),
///    `ok_codes`, `unchecked_in_pipe()`, stderr encoding and tee, output
///    bounds for its captured streams;
///  - the first stage's stdin is the chain's stdin; the last stage's stdout
///    (mode, encoding, tee, bounds, line ending) is the chain's stdout;
///  - the chain's: `timeout` (+ grace and signal), `idle_timeout` (output on
///    any captured stream counts), `cancel_on`, `retry`.
///
/// A run is refused with `errc::invalid_argument`, and nothing is spawned,
/// when a stage sets what belongs to the chain (a timeout, idle timeout,
/// grace, cancel_on or retry of its own), when a stage after the first
/// sets its stdin, or one before the last its stdout. Every stage's program
/// is looked up before any is spawned: a stage that cannot start (not found,
/// bad working directory, ...) fails the run with the error of that stage
/// (`diagnostics::stage` names it) and no stage runs.
///
/// Outcome (pipefail): the result is the last stage's stdout with the
/// outcome of the rightmost stage that failed -- exited with a code outside
/// its `ok_codes`, or was killed by a signal -- and `failed_stage` names it;
/// a stage marked `unchecked_in_pipe()` never fails the chain. When a stage
/// ends while the stage before it is still running and still holds its
/// stdout (the parent keeps each pipe's read end, unread, to ask), that
/// stage's tree is killed: nothing would read what it writes, as a shell's
/// SIGPIPE would end a writer, and a quiet one would hold the run. Its end
/// asks the same of the stage before it, and so on up the chain. Such a
/// stage counts as killed (so `yes | head -1` fails unless `yes` is
/// unchecked) and is marked `torn_down`. A stage that has closed its stdout
/// (a `cat` exiting after its EOF) is left to end on its own.
///
/// Run it with the verbs (`run(p)`, `output_string(p)`, `async_checked(ex,
/// p, token)`, or on any `process_runner`), exactly as a command.
class pipeline
{
public:
    using duration = command::duration;

    /// `stages` in order; at least two.
    explicit pipeline(std::vector<command> stages) : stages_(std::move(stages)) {}
    pipeline(command first, command second)
    {
        stages_.push_back(std::move(first));
        stages_.push_back(std::move(second));
    }

    /// Appends a stage that reads this chain's stdout.
    pipeline& pipe(command next) &
    {
        stages_.push_back(std::move(next));
        return *this;
    }
    pipeline&& pipe(command next) &&
    {
        stages_.push_back(std::move(next));
        return std::move(*this);
    }

    /// Kill the whole chain when the run takes longer than `d`; the outcome is `timed_out`.
    pipeline& timeout(duration d)
    {
        timeout_ = d;
        return *this;
    }
    /// On timeout, send `timeout_signal` to the chain first and SIGKILL only after `grace`.
    pipeline& timeout_grace(duration grace)
    {
        grace_ = grace;
        return *this;
    }
    pipeline& timeout_signal(processkit::signal s)
    {
        signal_ = s;
        return *this;
    }
    /// Kill the chain when no captured stream (the last stdout, any stage's
    /// stderr) has carried output for `d`.
    pipeline& idle_timeout(duration d)
    {
        idle_timeout_ = d;
        return *this;
    }
    /// Cancel the run when `token` is stopped (see command::cancel_on).
    pipeline& cancel_on(std::stop_token token)
    {
        cancel_ = std::move(token);
        return *this;
    }
    /// Run the whole chain again when an attempt fails (see retry_policy).
    pipeline& retry(retry_policy policy)
    {
        retry_ = std::move(policy);
        return *this;
    }

    const std::vector<command>& stages() const noexcept { return stages_; }
    std::vector<command>& stages() noexcept { return stages_; }
    const std::optional<duration>& timeout_value() const noexcept { return timeout_; }
    const std::optional<duration>& grace_value() const noexcept { return grace_; }
    processkit::signal timeout_signal_value() const noexcept { return signal_; }
    const std::optional<duration>& idle_timeout_value() const noexcept { return idle_timeout_; }
    const std::stop_token& cancel_token() const noexcept { return cancel_; }
    const std::optional<retry_policy>& retry_value() const noexcept { return retry_; }

private:
    std::vector<command> stages_;
    std::optional<duration> timeout_;
    std::optional<duration> grace_;
    processkit::signal signal_ = processkit::signal::term;
    std::optional<duration> idle_timeout_;
    std::stop_token cancel_;
    std::optional<retry_policy> retry_;
};

/// `a | b`: a two-stage pipeline.
inline pipeline operator|(command first, command second) { return pipeline(std::move(first), std::move(second)); }
/// `p | c`: `p` with one more stage.
inline pipeline operator|(pipeline p, command next) { return std::move(p).pipe(std::move(next)); }

inline pipeline command::pipe(command next) const& { return pipeline(*this, std::move(next)); }
inline pipeline command::pipe(command next) && { return pipeline(std::move(*this), std::move(next)); }

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_PIPELINE_HPP
