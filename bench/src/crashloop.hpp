// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 11: `n` crash loops on one io_context run by one thread. Each
// loop runs a child that fails at once (`/bin/false`) and restarts it after
// a fixed delay, for ever; the loops' first runs are spread evenly over one
// delay (loop i starts i * delay / n in), as independent services' would
// be, rather than in lockstep bursts of `n` spawns at once. A 1 ms ticker (ticker.hpp) on the same io_context
// measures how late its handlers run, and every restart measures how late
// the next run started: (time the run was started - time the restart was
// scheduled) - the delay. The sides (a supervisor per loop, the same loops
// by hand on processkit's live processes, the kernel limit) differ only in
// how a loop runs its child; the measured part is this file's, for all.

#ifndef PK_BENCH_CRASHLOOP_HPP
#define PK_BENCH_CRASHLOOP_HPP

#include "limit.hpp"
#include "ticker.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace pkb {

struct crashloop_params
{
    int loops = 50;
    int delay_ms = 100; ///< the fixed restart delay (backoff without growth)
    int lead_ms = 300;  ///< not recorded: the first runs start, the loops settle
    int window_ms = 1000;

    /// When loop `i` starts its first run, from the start of the scenario.
    std::chrono::microseconds first_start(int i) const
    {
        return std::chrono::microseconds(static_cast<long long>(i) * delay_ms * 1000 / loops);
    }
};

struct crashloop_result
{
    std::vector<double> late_ms;         ///< every tick of the window: handler time - grid time (ms)
    std::vector<double> restart_late_ms; ///< every restart scheduled in the window: (started - scheduled) - delay (ms)
    std::vector<int> restarts_per_loop;  ///< restarts each loop scheduled in the window
    std::vector<double> start_call_ms;   ///< by hand and the limit: how long each start call blocked the io thread
    double lead_max_ms = 0;              ///< worst tick of the lead-in
    int left_behind = 0;                 ///< children of the bench still there once every loop had ended
    double io_cpu_ms = 0;                ///< the io thread's CPU time over the ticker's run (schedstat)
    double io_runq_wait_ms = 0;          ///< its run-queue wait over the same
    bool sched_ok = false;
};

/// What each side reports from its handlers: a restart was scheduled (after
/// a run ended), the next run started. Samples are kept with the time the
/// restart was scheduled; `fill` keeps those of the window.
class crashloop_log
{
public:
    using clock = ticker::clock;

    explicit crashloop_log(int loops) : loops_(static_cast<std::size_t>(loops)) {}
    void restarting(int loop, clock::time_point t, clock::duration delay);
    void started(int loop, clock::time_point t);
    /// The samples of restarts scheduled in [from, to), and the per-loop counts.
    void fill(clock::time_point from, clock::time_point to, crashloop_result& res) const;

private:
    struct pending
    {
        clock::time_point at{};
        clock::duration delay{};
        bool open = false;
    };
    struct sample
    {
        int loop;
        clock::time_point at;
        double late_ms;
    };
    std::vector<pending> loops_;
    std::vector<sample> samples_;
};

/// The measured part, identical on every side: the loops are running on
/// `ctx` (this thread runs it). A 1 ms ticker starts now; the window opens
/// `lead_ms` later and lasts `window_ms`. Fills late_ms, lead_max_ms and
/// the schedstat figures, and returns the window's bounds (for `fill`).
/// The loops keep running afterwards: the side stops them.
std::pair<ticker::clock::time_point, ticker::clock::time_point>
run_crash_window(boost::asio::io_context& ctx, const crashloop_params& p, crashloop_result& res);

/// Waits up to `limit_ms` for this process to have no child left; returns
/// how many are left (and SIGKILLs and reaps them).
int children_left_after(int limit_ms);

namespace lim {
/// The kernel limit: the same loops without processkit. Each run is
/// posix_spawn'ed as the leader of its own process group (stdin /dev/null,
/// stdout and stderr on one pipe), watched on `ctx` through a pidfd in an
/// asio::posix::stream_descriptor: async_wait(wait_read) -> waitid(P_PIDFD)
/// -> killpg(SIGKILL) -> the pipe read to EOF -> a steady_timer for the delay
/// -> the next posix_spawn.
crashloop_result crash_loops_kernel(const argv_t& crasher, const crashloop_params& p);
/// The ticker alone on a fresh io_context (no loops).
crashloop_result crash_timer_alone(const crashloop_params& p);
} // namespace lim

} // namespace pkb

#endif
