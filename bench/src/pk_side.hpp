// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The processkit side of every scenario. Two parts, so that the bench builds
// while the library is still growing:
//  - runner (pk_runner.cpp): the verbs of process_runner.hpp (output_string,
//    async_output_string, job_runner). Replaced by stubs that throw
//    not_available when the build is configured with PK_BENCH_SIDE=launcher.
//  - launcher (pk_launcher.cpp): process_group + launcher + in_group, which
//    the scenarios that need a group handle (teardown) use, plus an interim
//    capture built by hand on the launcher. Stubbed with PK_BENCH_SIDE=none.

#ifndef PK_BENCH_PK_SIDE_HPP
#define PK_BENCH_PK_SIDE_HPP

#include "crashloop.hpp"
#include "limit.hpp"

namespace pkb {
namespace pk {

enum class mech
{
    cgroup, ///< mechanism_request::cgroup_v2
    pgroup, ///< mechanism_request::process_group
};
inline const char* name(mech m) { return m == mech::cgroup ? "cgroup_v2" : "process_group"; }

/// What this build links: "runner", "launcher" or "none".
const char* side();
/// Can a group with this mechanism be created here? (else `why` says why)
bool mechanism_available(mech m, std::string& why);

// --- runner verbs (process_runner.hpp) ----------------------------------
/// job_runner{m}.output_string(command(argv)): stdout (stderr captured too).
std::string output_string(mech m, const argv_t& argv);
/// `total` runs, `inflight` concurrent job_runner{m}.async_output_string on
/// one io_context run by this thread.
void fanout(mech m, const argv_t& argv, int total, int inflight);
/// The same fan-out through the batch verb: processkit::output_all(
/// job_runner{m}, `total` commands, `inflight`) (blocking; a private
/// io_context serves the runs). Every entry must have succeeded with a
/// non-empty stdout.
void fanout_output_all(mech m, const argv_t& argv, int total, int inflight);
/// What one pipeline run gave: the last stage's stdout and, when the chain
/// or one of its stages did not succeed, what happened (`failure`: every
/// stage; `failure_short`: the failed stage, for the table).
struct pipeline_run
{
    std::string out;
    std::string failure;
    std::string failure_short;
};
/// A pipeline without a shell: `command(stages[0]) | command(stages[1]) |
/// ...` run with job_runner{m}.output_string(pipeline). Throws when the
/// run could not happen; a chain that ran but did not succeed is reported
/// in the result.
pipeline_run pipeline_output(mech m, const std::vector<argv_t>& stages);
/// output_string with stderr to /dev/null; returns stdout's size.
std::size_t capture_big(mech m, const argv_t& argv, std::size_t expected);
/// Line streaming: start(command) through job_runner{m}, then
/// stdout_lines().async_next_batch until the end, counting lines and bytes,
/// on one io_context run by this thread; stderr to /dev/null.
line_stats lines(mech m, const argv_t& argv);
/// `k` idle async_output_string runs (cancelled together through one
/// stop_token at the end), then `m` stamp runs one after another on the
/// same io_context.
lim::idle_result idle_exitlat(mech mc, const argv_t& idle, int k, const argv_t& stamp, int m);
/// Scenario 9: `n` runs of `forker` (`pk_gen forker`: forks a grandchild
/// that blocks forever, prints "ready GPID", exits 0 at SIGUSR1), each
/// started with processkit::start(executor, command, {.mechanism = m}) on
/// one io_context run by this thread. Once every run has printed "ready",
/// a 1 ms ticker (ticker.hpp) starts on the same io_context; `lead_ms`
/// later another thread sends SIGUSR1 to all `n` children at once, and every
/// tick is recorded from then until `window_ms` have passed and every
/// async_wait has completed (+20 ms).
lim::lateness_result teardown_lateness(mech m, const argv_t& forker, int n, int lead_ms, int window_ms);
/// Scenario 11 (crashloop.hpp, pk_supervisor.cpp): `p.loops` supervisors on
/// one io_context run by this thread, each keeping `crasher` alive through
/// job_runner{m} (restart_policy::always, a fixed `p.delay_ms` backoff), their
/// events read on the same io_context; stopped with stop(0s) after the window.
crashloop_result supervised_crash_loops(mech m, const argv_t& crasher, const crashloop_params& p);
/// The same loops by hand: job_runner{m}.start(executor, command) +
/// async_wait + a steady_timer per loop, on one io_context.
crashloop_result crash_loops_by_hand(mech m, const argv_t& crasher, const crashloop_params& p);

// --- launcher + process_group -----------------------------------------
/// Interim capture without the runner: a fresh process_group per run,
/// launcher + in_group + bp2::process_stdio with asio pipes, async_read both
/// to EOF + async_wait, then the group is destroyed.
std::string launcher_capture(mech m, const argv_t& argv);
/// Launch `tree_argv` into a group, wait for "ready" and for members() to
/// reach `expected`, then time: destroy the group + reap every process.
/// Returns milliseconds; `leftover` = zombies the bench had to reap itself.
double teardown_ms(mech m, const argv_t& tree_argv, int expected, int& leftover);

} // namespace pk
} // namespace pkb

#endif
