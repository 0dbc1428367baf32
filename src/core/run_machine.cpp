// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "run_machine.hpp"

#include <boost/assert.hpp>

namespace boost {
namespace processkit {
namespace detail {
namespace {

constexpr std::size_t index(timer_kind k) noexcept { return static_cast<std::size_t>(k); }

} // namespace

run_machine::run_machine(const run_limits& limits, std::size_t children, std::size_t streams)
    : limits_(limits), status_(children), eof_(streams, false), torn_down_(children, false), open_streams_(streams)
{
    BOOST_ASSERT(children > 0); // a run without a child could never complete
}

std::optional<child_exit> run_machine::status(std::size_t child) const noexcept
{
    if (child >= status_.size())
        return std::nullopt;
    return status_[child];
}

run_actions run_machine::on_started() noexcept
{
    run_actions a;
    if (started_ || completed_)
        return a;
    started_ = true;
    if (limits_.timeout)
        arm(a, timer_kind::deadline, *limits_.timeout);
    if (limits_.idle_timeout)
        arm(a, timer_kind::idle, *limits_.idle_timeout);
    return a;
}

run_actions run_machine::on_output(std::size_t stream) noexcept
{
    BOOST_ASSERT(stream < eof_.size());
    (void)stream; // any stream's output breaks the silence
    run_actions a;
    // Once the run is being ended, silence no longer matters.
    if (ignores_events() || sealed() || cause_ != end_cause::none || !limits_.idle_timeout)
        return a;
    arm(a, timer_kind::idle, *limits_.idle_timeout);
    return a;
}

run_actions run_machine::on_stream_eof(std::size_t stream) noexcept
{
    BOOST_ASSERT(stream < eof_.size());
    run_actions a;
    // Accepted before on_started(): a slot the spawn did not open is closed
    // up front (nothing can complete yet, so there is never an action then).
    if (completed_ || stream >= eof_.size() || eof_[stream])
        return a;
    eof_[stream] = true;
    --open_streams_;
    finish(a);
    return a;
}

run_actions run_machine::on_output_limit(std::size_t stream) noexcept
{
    BOOST_ASSERT(stream < eof_.size());
    (void)stream; // one limit ends the run, whichever stream hit it
    run_actions a;
    if (ignores_events())
        return a;
    if (sealed())
    {
        // The output did exceed its bound: still reported, but the teardown
        // already takes care of the tree.
        if (cause_ == end_cause::none)
            cause_ = end_cause::output_limited;
        return a;
    }
    end_run(a, end_cause::output_limited, false);
    return a;
}

run_actions run_machine::on_exit(std::size_t child, child_exit how, bool previous_writing) noexcept
{
    BOOST_ASSERT(child < status_.size());
    run_actions a;
    if (ignores_events() || child >= status_.size() || status_[child])
        return a;
    status_[child] = how;
    ++exited_count_;
    if (!all_exited())
    {
        const std::size_t prev = child - 1;
        if (child > 0 && previous_writing && !sealed() && !status_[prev] && !torn_down_[prev])
        {
            torn_down_[prev] = true;
            a.kill_child = prev;
        }
        return a;
    }
    disarm_all(a);
    if (!stdin_closed_)
    {
        stdin_closed_ = true;
        a.close_stdin = true;
    }
    if (teardown_ == teardown_state::none)
    {
        teardown_ = teardown_state::running;
        a.start_teardown = true; // whatever the children left behind
    }
    else
        finish(a); // an early teardown may be over already
    return a;
}

run_actions run_machine::on_timer(timer_kind kind, std::uint64_t generation) noexcept
{
    run_actions a;
    auto& pending = armed_[index(kind)];
    if (ignores_events() || generation == 0 || pending != generation)
        return a; // stale: re-armed or disarmed after this wait had completed
    pending = 0;
    if (sealed())
        return a;
    switch (kind)
    {
    case timer_kind::deadline:
    case timer_kind::idle:
        if (cause_ != end_cause::none)
            return a; // at most one timeout, never after a cancel
        idle_expired_ = kind == timer_kind::idle;
        end_run(a, end_cause::timed_out, true);
        break;
    case timer_kind::grace: kill(a); break;
    }
    return a;
}

run_actions run_machine::on_cancel(cancel_grade grade) noexcept
{
    run_actions a;
    if (completed_)
        return a;
    if (!started_)
    {
        // Nothing spawned, nothing to undo: every grade is honoured.
        cause_ = end_cause::cancelled;
        completed_ = true;
        a.complete = true;
        return a;
    }
    if (sealed())
        return a; // the exit is known or the tree is going anyway
    if (grade == cancel_grade::total)
    {
        a.refused = true; // a started child cannot be un-started
        return a;
    }
    end_run(a, end_cause::cancelled, grade == cancel_grade::partial);
    return a;
}

run_actions run_machine::request_teardown() noexcept
{
    run_actions a;
    if (ignores_events() || teardown_ != teardown_state::none)
        return a;
    teardown_ = teardown_state::running;
    disarm_all(a); // the teardown kills everything: no timer can add to it
    a.start_teardown = true;
    return a;
}

run_actions run_machine::on_teardown_done(bool ok) noexcept
{
    run_actions a;
    if (completed_ || teardown_ != teardown_state::running)
        return a;
    teardown_ = teardown_state::done;
    teardown_failed_ = !ok;
    finish(a);
    return a;
}

void run_machine::arm(run_actions& a, timer_kind k, std::chrono::nanoseconds after) noexcept
{
    armed_[index(k)] = ++last_generation_;
    a.arm[index(k)] = timer_arm{after, last_generation_};
    a.disarm[index(k)] = false; // arming replaces the pending wait
}

void run_machine::disarm(run_actions& a, timer_kind k) noexcept
{
    if (armed_[index(k)] == 0)
        return;
    armed_[index(k)] = 0;
    a.disarm[index(k)] = true;
}

void run_machine::disarm_all(run_actions& a) noexcept
{
    disarm(a, timer_kind::deadline);
    disarm(a, timer_kind::idle);
    disarm(a, timer_kind::grace);
}

// A timeout, a cancellation or an output limit: the first one names the
// cause; `soft` starts the escalation (soft signal, grace), else it kills.
void run_machine::end_run(run_actions& a, end_cause why, bool soft) noexcept
{
    if (cause_ == end_cause::none)
        cause_ = why;
    disarm(a, timer_kind::deadline);
    disarm(a, timer_kind::idle);
    if (!soft)
        return kill(a);
    if (soft_sent_ || killed_)
        return; // the escalation is under way already
    if (!limits_.grace)
        return kill(a);
    soft_sent_ = true;
    a.signal = limits_.soft_signal;
    arm(a, timer_kind::grace, *limits_.grace);
}

void run_machine::kill(run_actions& a) noexcept
{
    disarm(a, timer_kind::grace);
    if (killed_)
        return;
    killed_ = true;
    a.signal = processkit::signal::kill;
}

void run_machine::finish(run_actions& a) noexcept
{
    if (!all_exited() || teardown_ != teardown_state::done)
        return;
    if (!exited_reported_)
    {
        exited_reported_ = true;
        a.exited = true;
    }
    // After a failed teardown a survivor may hold the pipes forever.
    if (open_streams_ != 0 && !teardown_failed_)
        return;
    disarm_all(a);
    completed_ = true;
    a.complete = true;
}

} // namespace detail
} // namespace processkit
} // namespace boost
