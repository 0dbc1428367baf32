// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 9's probe: a periodic steady_timer on a fixed grid that records
// how late each tick's handler runs, and the measured part of a burst
// (ticker + SIGUSR1 trigger + the io thread's scheduler figures), shared by
// every side: processkit (pk_runner.cpp) and both limits (limit_teardown.cpp).

#ifndef PK_BENCH_TICKER_HPP
#define PK_BENCH_TICKER_HPP

#include "limit.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <vector>

namespace pkb {

/// Ticks at origin + k * period (k = 1, 2, ...). A late tick does not shift
/// the grid: after a stall the ticks that fell due meanwhile fire one after
/// another, each late by its own amount, so every millisecond of a stall
/// shows as a sample. Lateness = the handler's clock time - the tick's grid
/// time. Ticks due before `record_from` go to `lead_ms` (not the result),
/// the others to `late_ms`. After each tick, `more(next grid time)` says
/// whether to go on.
class ticker
{
public:
    using clock = std::chrono::steady_clock;

    explicit ticker(const boost::asio::any_io_executor& ex) : timer_(ex) {}
    ticker(const ticker&) = delete;
    ticker& operator=(const ticker&) = delete;

    void start(clock::time_point origin, clock::duration period, clock::time_point record_from,
               std::function<bool(clock::time_point)> more)
    {
        next_ = origin + period;
        period_ = period;
        record_from_ = record_from;
        more_ = std::move(more);
        done_ = false;
        arm();
    }
    bool done() const { return done_; }
    void cancel() { timer_.cancel(); }

    std::vector<double> late_ms; ///< ticks due at or after record_from
    std::vector<double> lead_ms; ///< ticks due before it

private:
    void arm()
    {
        timer_.expires_at(next_);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec)
                return;
            double late = std::chrono::duration<double, std::milli>(clock::now() - next_).count();
            (next_ >= record_from_ ? late_ms : lead_ms).push_back(late);
            next_ += period_;
            if (!more_(next_))
            {
                done_ = true;
                return;
            }
            arm();
        });
    }

    boost::asio::steady_timer timer_;
    clock::time_point next_, record_from_;
    clock::duration period_{};
    std::function<bool(clock::time_point)> more_;
    bool done_ = true;
};

/// The calling thread's scheduler figures so far, from
/// /proc/thread-self/schedstat: time on a CPU and time runnable but waiting
/// in a run queue (both in ms). `ok` is false (zeros) when the kernel does
/// not provide them.
struct sched_times
{
    double cpu_ms = 0;
    double runq_wait_ms = 0;
    bool ok = false;
};
sched_times thread_sched();

/// How many of a burst's `n` children are done (exited, reaped, tree gone),
/// and when the last one was. Each side calls one_done() from its handlers.
struct burst_progress
{
    int n = 0;
    int done = 0;
    ticker::clock::time_point t_all_done{};
    void one_done()
    {
        if (++done == n)
            t_all_done = ticker::clock::now();
    }
};

/// The measured part of scenario 9, identical on every side. The children
/// are live, ready and already watched on `ctx` (this thread runs it). A 1 ms
/// ticker starts on `ctx`; `lead_ms` later another thread sends SIGUSR1 to
/// every pid of `pids` at once; `ctx` runs until `window_ms` have passed
/// since then, every child is done (`prog`) and 20 ms more have passed.
/// Fills late_ms, lead_max_ms, all_exited_ms (trigger -> last child done;
/// 0 without children) and the io thread's cpu/run-queue figures (from the
/// ticker's start to its end). False if 30 s after the trigger the
/// children still were not all done.
bool run_burst(boost::asio::io_context& ctx, const std::vector<int>& pids, int lead_ms, int window_ms,
               const burst_progress& prog, lim::lateness_result& res);

/// Scenario 9's containment check: how many of `gpids` (the grandchildren)
/// are still alive (a zombie counts as gone); those are SIGKILLed.
int kill_survivors(const std::vector<int>& gpids);

} // namespace pkb

#endif
