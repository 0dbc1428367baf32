// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "supervise_machine.hpp"

#include <boost/assert.hpp>

#include <cmath>
#include <ostream>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using std::chrono::nanoseconds;
using action = supervise_action;
using kind = supervise_action::kind;

backoff_params backoff_of(const supervisor_options& o, std::uint64_t seed) noexcept
{
    backoff_params p;
    p.max_attempts.reset(); // the restarts have their own bound (max_restarts)
    p.initial_delay = o.initial_delay;
    p.multiplier = o.multiplier;
    p.max_delay = o.max_delay;
    p.full_jitter = o.full_jitter;
    p.seed = o.seed.value_or(seed);
    return p;
}

const char* probe_problem(const readiness_probe& p) noexcept
{
    if (p.deadline().count() <= 0)
        return "ready: the probe's deadline is not positive";
    switch (p.type())
    {
    case readiness_probe::kind::line: return p.line_predicate() ? nullptr : "ready: the line probe has no predicate";
    case readiness_probe::kind::condition:
        return p.condition_predicate() ? nullptr : "ready: the condition probe has no predicate";
    case readiness_probe::kind::output: return p.text().empty() ? "ready: the output probe's text is empty" : nullptr;
    case readiness_probe::kind::path: return p.text().empty() ? "ready: the path probe's path is empty" : nullptr;
    case readiness_probe::kind::port: return p.port_number() == 0 ? "ready: the port probe's port is 0" : nullptr;
    }
    return nullptr;
}

const char* health_problem(const health_check& h) noexcept
{
    if (h.cmd.has_value() == static_cast<bool>(h.fn))
        return "health: give either a command or a callable";
    if (h.interval.count() <= 0)
        return "health: interval is not positive";
    if (h.failures == 0)
        return "health: failures is 0";
    return nullptr;
}

const char* storm_problem(const crash_storm& s) noexcept
{
    if (s.failures == 0)
        return "storm: failures is 0";
    if (s.window.count() <= 0)
        return "storm: window is not positive";
    if (s.pause.count() < 0)
        return "storm: pause is negative";
    return nullptr;
}

} // namespace

const char* supervisor_options_problem(const supervisor_options& o) noexcept
{
    if (const char* p = backoff_problem(backoff_of(o, 0)))
        return p;
    if (o.reset_after && o.reset_after->count() <= 0)
        return "reset_after is not positive";
    if (o.stop_grace.count() < 0)
        return "stop_grace is negative";
    if (o.storm)
        if (const char* p = storm_problem(*o.storm))
            return p;
    if (o.ready)
        if (const char* p = probe_problem(*o.ready))
            return p;
    if (o.health)
        if (const char* p = health_problem(*o.health))
            return p;
    return nullptr;
}

supervise_machine::supervise_machine(const supervisor_options& o, std::uint64_t seed)
    : opts_(o), backoff_(backoff_of(o, seed))
{
    BOOST_ASSERT(supervisor_options_problem(o) == nullptr);
}

void supervise_machine::emit(supervisor_event::kind k, nanoseconds delay)
{
    supervisor_event e;
    e.what = k;
    e.run_number = run_.number;
    e.pid = run_.pid;
    e.delay = delay;
    events_.push_back(std::move(e));
}

std::vector<supervisor_event> supervise_machine::take_events() { return std::exchange(events_, {}); }

bool supervise_machine::run_is_up() const noexcept
{
    return state_ == supervisor_state::starting || state_ == supervisor_state::running ||
           state_ == supervisor_state::stopping;
}

supervisor_status supervise_machine::status() const
{
    supervisor_status s;
    s.state = state_;
    s.pid = run_is_up() ? run_.pid : 0;
    s.restarts = outcome_.restarts;
    if (outcome_.last.number != 0)
        s.last = outcome_.last;
    return s;
}

supervise_action supervise_machine::begin(time_point now)
{
    if (began_)
        return {};
    began_ = true;
    began_at_ = now;
    if (stop_requested_)
        return finish(now, stop_reason::stopped);
    return spawn_next(now);
}

supervise_action supervise_machine::spawn_next(time_point now)
{
    if (outcome_.runs > 0)
        ++outcome_.restarts;
    ++outcome_.runs;
    run_ = supervised_run{};
    run_.number = outcome_.runs;
    run_started_ = now;
    health_failures_ = 0;
    state_ = supervisor_state::starting;
    return {kind::spawn, {}};
}

supervise_action supervise_machine::on_spawned(time_point now, int pid)
{
    if (state_ != supervisor_state::starting || run_.pid != 0)
        return {};
    run_.pid = pid;
    run_started_ = now;
    emit(supervisor_event::kind::started);
    if (opts_.ready)
        return {kind::probe_ready, {}};
    run_.ready = true;
    state_ = supervisor_state::running;
    if (opts_.health)
        return {kind::schedule_health, opts_.health->interval};
    return {};
}

supervise_action supervise_machine::on_spawn_failed(time_point now, const processkit::error& failure, bool retryable)
{
    if (state_ != supervisor_state::starting || run_.pid != 0)
        return {};
    run_.error = failure.code();
    run_.diagnostics = failure.diag();
    if (!retryable)
    {
        error_ = failure.code();
        outcome_.last = run_;
        emit(supervisor_event::kind::exited);
        events_.back().run = run_;
        return finish(now, stop_reason::gave_up);
    }
    return end_run(now);
}

supervise_action supervise_machine::on_ready(time_point)
{
    if (state_ != supervisor_state::starting || run_.pid == 0)
        return {};
    run_.ready = true;
    state_ = supervisor_state::running;
    emit(supervisor_event::kind::ready);
    if (opts_.health)
        return {kind::schedule_health, opts_.health->interval};
    return {};
}

supervise_action supervise_machine::on_not_ready(time_point, error_code ec)
{
    if (state_ != supervisor_state::starting || run_.pid == 0)
        return {};
    run_.error = ec;
    state_ = supervisor_state::stopping;
    return {kind::kill, {}};
}

supervise_action supervise_machine::on_health_due(time_point)
{
    if (state_ != supervisor_state::running)
        return {};
    return {kind::check_health, {}};
}

supervise_action supervise_machine::on_health(time_point, bool healthy)
{
    if (state_ != supervisor_state::running)
        return {};
    if (healthy)
        health_failures_ = 0;
    else if (++health_failures_ >= opts_.health->failures)
    {
        run_.unhealthy = true;
        ++outcome_.liveness_kills;
        state_ = supervisor_state::stopping;
        emit(supervisor_event::kind::unhealthy);
        return {kind::kill, {}};
    }
    return {kind::schedule_health, opts_.health->interval};
}

supervise_action supervise_machine::on_timer(time_point now)
{
    switch (state_)
    {
    case supervisor_state::backing_off:
    case supervisor_state::storm_paused: return spawn_next(now);
    case supervisor_state::stopping: return {kind::kill, {}}; // a stop's grace ran out
    default: return {};
    }
}

supervise_action supervise_machine::on_exit(time_point now, run_outcome how, bool accepted, std::string std_err)
{
    if (!run_is_up() || run_.pid == 0)
        return {};
    run_.outcome = how;
    run_.std_err = std::move(std_err);
    run_.uptime = now - run_started_;
    if (!run_.ready && !run_.error)
        run_.error = make_error_code(errc::exited_before_ready);
    run_.succeeded = accepted && run_.ready && !run_.unhealthy && !run_.stopped && !run_.error;
    return end_run(now);
}

supervise_action supervise_machine::end_run(time_point now)
{
    outcome_.uptime += run_.uptime;
    outcome_.last = run_;
    emit(supervisor_event::kind::exited);
    events_.back().run = run_;

    if (stop_requested_)
        return finish(now, stop_reason::stopped);
    if (opts_.stop_when && opts_.stop_when(run_))
        return finish(now, stop_reason::predicate);
    if (opts_.give_up_when && opts_.give_up_when(run_))
        return finish(now, stop_reason::gave_up);
    if (opts_.restart == restart_policy::never)
        return finish(now, run_.unhealthy ? stop_reason::unhealthy : stop_reason::policy_satisfied);
    if (opts_.restart == restart_policy::on_failure && run_.succeeded)
        return finish(now, stop_reason::policy_satisfied);
    if (opts_.max_restarts && outcome_.restarts >= *opts_.max_restarts)
        return finish(now, stop_reason::restarts_exhausted);

    if (opts_.reset_after && run_.ready && run_.uptime >= *opts_.reset_after)
        backoff_.reset();
    if (!run_.succeeded && counts_storm(now))
    {
        ++outcome_.storm_pauses;
        return restart_after(opts_.storm->pause, supervisor_state::storm_paused);
    }
    return restart_after(backoff_.next().delay, supervisor_state::backing_off);
}

bool supervise_machine::counts_storm(time_point now)
{
    if (!opts_.storm)
        return false;
    failures_.push_back(now);
    while (!failures_.empty() && now - failures_.front() > opts_.storm->window)
        failures_.pop_front();
    if (failures_.size() < opts_.storm->failures)
        return false;
    failures_.clear();
    return true;
}

supervise_action supervise_machine::restart_after(nanoseconds delay, supervisor_state how)
{
    state_ = how;
    supervisor_event e;
    e.what = how == supervisor_state::storm_paused ? supervisor_event::kind::storm_pause
                                                   : supervisor_event::kind::restarting;
    e.run_number = run_.number + 1;
    e.delay = delay;
    events_.push_back(std::move(e));
    return {kind::sleep, delay};
}

supervise_action supervise_machine::on_stop(time_point now, std::optional<nanoseconds> grace)
{
    switch (state_)
    {
    case supervisor_state::idle: stop_requested_ = true; return began_ ? finish(now, stop_reason::stopped) : action{};
    case supervisor_state::backing_off:
    case supervisor_state::storm_paused: stop_requested_ = true; return finish(now, stop_reason::stopped);
    case supervisor_state::starting:
    case supervisor_state::running:
        stop_requested_ = true;
        run_.stopped = true;
        state_ = supervisor_state::stopping;
        if (!grace || grace->count() == 0)
            return {kind::kill, {}};
        return {kind::soft_stop, *grace};
    case supervisor_state::stopping:
        // Already stopping (gracefully, or killing an unready or unhealthy
        // run): the exit ends supervision now; no grace (or a zero one)
        // means kill at once, whatever grace an earlier stop gave.
        stop_requested_ = true;
        run_.stopped = true;
        return !grace || grace->count() == 0 ? action{kind::kill, {}} : action{};
    case supervisor_state::finished: return {};
    }
    return {};
}

supervise_action supervise_machine::finish(time_point now, stop_reason why)
{
    state_ = supervisor_state::finished;
    outcome_.reason = why;
    outcome_.elapsed = now - began_at_;
    supervisor_event e;
    e.what = supervisor_event::kind::stopped;
    e.run_number = run_.number;
    e.reason = why;
    events_.push_back(std::move(e));
    return {kind::finish, {}};
}

} // namespace detail

// The stable names of the supervisor's vocabulary.

const char* to_string(stop_reason r) noexcept
{
    switch (r)
    {
    case stop_reason::policy_satisfied: return "policy_satisfied";
    case stop_reason::restarts_exhausted: return "restarts_exhausted";
    case stop_reason::predicate: return "predicate";
    case stop_reason::gave_up: return "gave_up";
    case stop_reason::stopped: return "stopped";
    case stop_reason::unhealthy: return "unhealthy";
    }
    return "unknown";
}

const char* to_string(supervisor_event::kind k) noexcept
{
    switch (k)
    {
    case supervisor_event::kind::started: return "started";
    case supervisor_event::kind::ready: return "ready";
    case supervisor_event::kind::exited: return "exited";
    case supervisor_event::kind::restarting: return "restarting";
    case supervisor_event::kind::storm_pause: return "storm_pause";
    case supervisor_event::kind::unhealthy: return "unhealthy";
    case supervisor_event::kind::stopped: return "stopped";
    }
    return "unknown";
}

const char* to_string(supervisor_state s) noexcept
{
    switch (s)
    {
    case supervisor_state::idle: return "idle";
    case supervisor_state::starting: return "starting";
    case supervisor_state::running: return "running";
    case supervisor_state::stopping: return "stopping";
    case supervisor_state::backing_off: return "backing_off";
    case supervisor_state::storm_paused: return "storm_paused";
    case supervisor_state::finished: return "finished";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, stop_reason r) { return os << to_string(r); }

std::ostream& operator<<(std::ostream& os, supervisor_state s) { return os << to_string(s); }

std::ostream& operator<<(std::ostream& os, supervisor_event::kind k) { return os << to_string(k); }

} // namespace processkit
} // namespace boost
