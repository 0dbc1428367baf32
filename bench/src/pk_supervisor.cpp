// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 11's processkit sides (crashloop.hpp): a supervisor per crash
// loop, and the same loops by hand on live processes (start + async_wait +
// a steady_timer), all on one io_context.

#include "crashloop.hpp"
#include "pk_side.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/processkit/command.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/processkit/supervisor.hpp>

#include <memory>
#include <optional>

namespace pkb {
namespace pk {
namespace {

namespace asio = boost::asio;
namespace bpk = boost::processkit;
using clock = ticker::clock;

bpk::job_runner& loop_runner(mech m)
{
    static bpk::job_runner cg(bpk::process_group_options{bpk::mechanism_request::cgroup_v2});
    static bpk::job_runner pg(bpk::process_group_options{bpk::mechanism_request::process_group});
    return m == mech::cgroup ? cg : pg;
}

bpk::command crasher_cmd(const argv_t& a)
{
    bpk::command c(a[0]);
    c.args(std::vector<std::string>(a.begin() + 1, a.end()));
    return c;
}

/// The supervisors, their completions, and their events feeding the log.
struct supervised_loops
{
    asio::io_context& ctx;
    crashloop_log& log;
    std::vector<std::unique_ptr<bpk::supervisor>> sups;
    std::vector<std::unique_ptr<asio::steady_timer>> firsts; ///< each supervisor's begin
    int finished = 0;
    std::string error;

    supervised_loops(asio::io_context& c, crashloop_log& l) : ctx(c), log(l) {}

    void pump(int i, bpk::supervisor_events events)
    {
        events.async_next([this, i, events](bpk::error_code ec, bpk::supervisor_event e) mutable {
            if (ec) // end_of_stream: supervision ended
                return;
            if (e.what == bpk::supervisor_event::kind::restarting)
                log.restarting(i, clock::now(), e.delay);
            else if (e.what == bpk::supervisor_event::kind::started)
                log.started(i, clock::now());
            pump(i, events);
        });
    }

    /// Supervisor `i` begins after `after` (its first run starts then).
    void start(mech m, const bpk::command& cmd, const bpk::supervisor_options& o, std::chrono::microseconds after)
    {
        const int i = static_cast<int>(sups.size());
        sups.push_back(std::make_unique<bpk::supervisor>(ctx.get_executor(), loop_runner(m), cmd, o));
        firsts.push_back(std::make_unique<asio::steady_timer>(ctx, after));
        pump(i, sups.back()->events());
        firsts.back()->async_wait([this, s = sups.back().get()](const boost::system::error_code&) {
            s->async_run([this](bpk::error_code ec, bpk::supervision_outcome out) {
                ++finished;
                if (ec && error.empty())
                    error = "async_run: " + ec.message();
                else if (out.reason != bpk::stop_reason::stopped && error.empty())
                    error = std::string("supervision ended by itself: ") + bpk::to_string(out.reason);
            });
        });
    }
};

/// One loop by hand: the current run and the restart timer.
struct hand_loop
{
    int index = 0;
    std::optional<bpk::running_process> proc;
    asio::steady_timer timer;
    explicit hand_loop(asio::io_context& c) : timer(c) {}
};

struct hand_loops
{
    asio::io_context& ctx;
    bpk::process_runner& runner;
    bpk::command cmd;
    crashloop_log& log;
    std::chrono::milliseconds delay;
    std::vector<std::unique_ptr<hand_loop>> loops;
    bool stopping = false;
    int active = 0;
    std::string error;
    std::vector<double> start_ms; ///< each runner.start call

    hand_loops(asio::io_context& c, bpk::process_runner& r, bpk::command cm, crashloop_log& l,
               std::chrono::milliseconds d)
        : ctx(c), runner(r), cmd(std::move(cm)), log(l), delay(d)
    {
    }

    void abort_loop(std::string what)
    {
        if (error.empty())
            error = std::move(what);
        --active;
    }

    void run(hand_loop& k)
    {
        k.proc.reset(); // the last run's handle; its operations completed long ago
        const auto t0 = clock::now();
        auto p = runner.start(ctx.get_executor(), cmd);
        start_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
        if (!p)
            return abort_loop("start: " + p.error().message());
        k.proc.emplace(std::move(p).value());
        log.started(k.index, clock::now());
        k.proc->async_wait([this, kp = &k](bpk::error_code ec, bpk::run_outcome) {
            if (ec)
                return abort_loop("async_wait: " + ec.message());
            restart(*kp);
        });
    }

    void restart(hand_loop& k)
    {
        if (stopping)
        {
            --active;
            return;
        }
        log.restarting(k.index, clock::now(), delay);
        k.timer.expires_after(delay);
        k.timer.async_wait([this, kp = &k](const boost::system::error_code& ec) {
            if (ec || stopping)
            {
                --active;
                return;
            }
            run(*kp);
        });
    }

    void stop()
    {
        stopping = true;
        for (auto& k : loops)
        {
            k->timer.cancel();
            if (k->proc)
                (void)k->proc->kill(); // one that already ended says so; its end is on its way anyway
        }
    }
};

/// Runs `ctx` until `done()` or 10 s have passed.
template <class Done>
bool drain(asio::io_context& ctx, Done done)
{
    ctx.restart();
    const auto hard = clock::now() + std::chrono::seconds(10);
    while (!done() && clock::now() < hard)
        ctx.run_one_for(std::chrono::milliseconds(50));
    return done();
}

} // namespace

crashloop_result supervised_crash_loops(mech m, const argv_t& crasher, const crashloop_params& p)
{
    crashloop_result res;
    asio::io_context ctx; // first: destroyed after the supervisors
    crashloop_log log(p.loops);
    bpk::supervisor_options o;
    o.restart = bpk::restart_policy::always;
    o.initial_delay = o.max_delay = std::chrono::milliseconds(p.delay_ms);
    o.multiplier = 1.0; // a fixed delay: every restart waits the same
    o.reset_after.reset();
    const bpk::command cmd = crasher_cmd(crasher);
    supervised_loops sl(ctx, log);
    for (int i = 0; i < p.loops; ++i)
        sl.start(m, cmd, o, p.first_start(i));

    auto [from, to] = run_crash_window(ctx, p, res);
    log.fill(from, to, res);
    for (auto& s : sl.sups)
        s->stop(std::chrono::nanoseconds(0)); // SIGKILL a run that is up; a backoff ends at once
    if (!drain(ctx, [&] { return sl.finished == p.loops; }))
        throw std::runtime_error("supervisors: " + std::to_string(p.loops - sl.finished) +
                                 " still running 10 s after stop()");
    sl.sups.clear();
    ctx.restart();
    ctx.poll(); // the event pumps' end_of_stream
    res.left_behind = children_left_after(1000);
    if (!sl.error.empty())
        throw std::runtime_error("supervisors: " + sl.error);
    return res;
}

crashloop_result crash_loops_by_hand(mech m, const argv_t& crasher, const crashloop_params& p)
{
    crashloop_result res;
    asio::io_context ctx; // first: destroyed after the handles
    crashloop_log log(p.loops);
    hand_loops hl(ctx, loop_runner(m), crasher_cmd(crasher), log, std::chrono::milliseconds(p.delay_ms));
    for (int i = 0; i < p.loops; ++i)
    {
        hl.loops.push_back(std::make_unique<hand_loop>(ctx));
        hl.loops.back()->index = i;
    }
    hl.active = p.loops;
    for (int i = 0; i < p.loops; ++i)
    {
        hand_loop& k = *hl.loops[static_cast<std::size_t>(i)];
        k.timer.expires_after(p.first_start(i));
        k.timer.async_wait([&hl, &k](const boost::system::error_code& ec) {
            if (ec || hl.stopping)
            {
                --hl.active;
                return;
            }
            hl.run(k);
        });
    }

    auto [from, to] = run_crash_window(ctx, p, res);
    log.fill(from, to, res);
    res.start_call_ms = std::move(hl.start_ms);
    hl.stop();
    if (!drain(ctx, [&] { return hl.active == 0; }))
        hl.error = std::to_string(hl.active) + " loops still running 10 s after the stop";
    hl.loops.clear();
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(100)); // whatever the handles' teardown left
    res.left_behind = children_left_after(1000);
    if (!hl.error.empty())
        throw std::runtime_error("processkit crash loops by hand: " + hl.error);
    return res;
}

} // namespace pk
} // namespace pkb
