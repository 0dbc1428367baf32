// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The supervisor's restart loop alone (src/core/supervise_machine), with a
// fake clock and no process: the restart policies, max_restarts, the
// backoff and its reset, crash storms, readiness, health checks, stop, the
// predicates, spawn failures, the events and the status.

#define BOOST_TEST_MODULE supervise
#include "../../src/core/supervise_machine.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {
// For the test log.
std::ostream& boost_test_print_type(std::ostream& os, const supervise_action& a)
{
    static const char* const names[] = {"none",      "spawn", "probe_ready", "schedule_health", "check_health",
                                        "soft_stop", "kill",  "sleep",       "finish"};
    return os << names[static_cast<int>(a.what)] << "(" << a.delay.count() << " ns)";
}
} // namespace detail
} // namespace processkit
} // namespace boost

namespace pk = boost::processkit;
namespace pd = boost::processkit::detail;
using namespace std::chrono_literals;
using act = pd::supervise_action;
using K = pd::supervise_action::kind;
using ev = pk::supervisor_event::kind;

namespace {

act a(K k, std::chrono::nanoseconds d = {}) { return act{k, d}; }

// A machine and a clock the test moves by hand.
struct fixture
{
    explicit fixture(pk::supervisor_options o) : m(o, 42) {}

    pd::supervise_machine m;
    pd::supervise_machine::time_point now{};
    int next_pid = 100;

    void advance(std::chrono::nanoseconds d) { now += d; }
    act begin() { return m.begin(now); }
    act spawned() { return m.on_spawned(now, ++next_pid); }
    act exit_code(int code) { return m.on_exit(now, pk::run_outcome::exited(code), code == 0, ""); }
    act crash() { return m.on_exit(now, pk::run_outcome::signalled(11), false, "boom"); }
    act timer() { return m.on_timer(now); }

    std::vector<ev> kinds()
    {
        std::vector<ev> out;
        for (auto& e : m.take_events())
            out.push_back(e.what);
        return out;
    }
};

pk::supervisor_options fast(pk::restart_policy p)
{
    pk::supervisor_options o;
    o.restart = p;
    o.initial_delay = 100ms;
    o.multiplier = 2.0;
    o.max_delay = 1s;
    o.reset_after.reset();
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_crashing_run_restarts_exactly_max_restarts_times_with_growing_delays)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.max_restarts = 3;
    fixture f(o);
    BOOST_TEST(f.begin() == a(K::spawn));
    const std::chrono::nanoseconds expected[] = {100ms, 200ms, 400ms};
    for (auto delay : expected)
    {
        BOOST_TEST(f.spawned() == a(K::none));
        f.advance(10ms);
        BOOST_TEST(f.crash() == a(K::sleep, delay));
        BOOST_TEST(f.m.state() == pk::supervisor_state::backing_off);
        f.advance(delay);
        BOOST_TEST(f.timer() == a(K::spawn));
    }
    BOOST_TEST(f.spawned() == a(K::none));
    BOOST_TEST(f.crash() == a(K::finish));
    const auto& out = f.m.outcome();
    BOOST_TEST(out.reason == pk::stop_reason::restarts_exhausted);
    BOOST_TEST(out.runs == 4u);
    BOOST_TEST(out.restarts == 3u);
    BOOST_TEST(out.last.number == 4u);
    BOOST_TEST(out.last.std_err == "boom");
    BOOST_TEST(!out.last.succeeded);
    BOOST_TEST(out.uptime == 30ms);
    BOOST_TEST(out.elapsed == 30ms + 700ms);
    BOOST_TEST(!f.m.error());
}

BOOST_AUTO_TEST_CASE(the_delay_is_capped_and_jitter_stays_within_it)
{
    auto o = fast(pk::restart_policy::always);
    o.max_delay = 300ms;
    o.full_jitter = true;
    fixture f(o);
    f.begin();
    for (int i = 0; i < 20; ++i)
    {
        f.spawned();
        auto next = f.crash();
        BOOST_TEST((next.what == K::sleep));
        BOOST_TEST(next.delay <= 300ms);
        BOOST_TEST(next.delay >= 0ns);
        BOOST_TEST(f.timer() == a(K::spawn));
    }
}

BOOST_AUTO_TEST_CASE(on_failure_ends_on_a_success_and_always_restarts_it)
{
    {
        fixture f(fast(pk::restart_policy::on_failure));
        f.begin();
        f.spawned();
        BOOST_TEST(f.exit_code(0) == a(K::finish));
        BOOST_TEST(f.m.outcome().reason == pk::stop_reason::policy_satisfied);
        BOOST_TEST(f.m.outcome().last.succeeded);
    }
    {
        fixture f(fast(pk::restart_policy::always));
        f.begin();
        f.spawned();
        BOOST_TEST(f.exit_code(0) == a(K::sleep, 100ms));
        BOOST_TEST(f.timer() == a(K::spawn));
        BOOST_TEST(f.m.outcome().restarts == 1u);
    }
}

BOOST_AUTO_TEST_CASE(never_ends_after_the_first_run_whatever_it_did)
{
    fixture f(fast(pk::restart_policy::never));
    f.begin();
    f.spawned();
    BOOST_TEST(f.crash() == a(K::finish));
    BOOST_TEST(f.m.outcome().reason == pk::stop_reason::policy_satisfied);
    BOOST_TEST(f.m.outcome().runs == 1u);
    BOOST_TEST(f.m.outcome().restarts == 0u);
}

BOOST_AUTO_TEST_CASE(a_run_that_stayed_up_long_enough_resets_the_backoff)
{
    auto o = fast(pk::restart_policy::always);
    o.reset_after = 5s;
    fixture f(o);
    f.begin();
    f.spawned();
    BOOST_TEST(f.crash() == a(K::sleep, 100ms));
    f.timer();
    f.spawned();
    BOOST_TEST(f.crash() == a(K::sleep, 200ms));
    f.timer();
    f.spawned();
    f.advance(5s); // healthy for reset_after
    BOOST_TEST(f.crash() == a(K::sleep, 100ms));
    f.timer();
    f.spawned();
    f.advance(4s); // not long enough
    BOOST_TEST(f.crash() == a(K::sleep, 200ms));
}

BOOST_AUTO_TEST_CASE(a_crash_storm_pauses_then_resumes_with_the_count_cleared)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.storm = pk::crash_storm{3, 1s, 10s};
    fixture f(o);
    f.begin();
    f.spawned();
    BOOST_TEST(f.crash() == a(K::sleep, 100ms));
    f.advance(100ms);
    f.timer();
    f.spawned();
    BOOST_TEST(f.crash() == a(K::sleep, 200ms));
    f.advance(200ms);
    f.timer();
    f.spawned();
    f.kinds();
    BOOST_TEST(f.crash() == a(K::sleep, 10s)); // the third failure within 1 s
    BOOST_TEST(f.m.state() == pk::supervisor_state::storm_paused);
    auto events = f.m.take_events();
    BOOST_REQUIRE(events.size() == 2u);
    BOOST_TEST(events[0].what == ev::exited);
    BOOST_TEST(events[1].what == ev::storm_pause);
    BOOST_TEST(events[1].delay == 10s);
    BOOST_TEST(f.m.outcome().storm_pauses == 1u);
    f.advance(10s);
    BOOST_TEST(f.timer() == a(K::spawn));
    f.spawned();
    BOOST_TEST(f.crash() == a(K::sleep, 400ms)); // count cleared: a plain backoff again
}

BOOST_AUTO_TEST_CASE(failures_spread_wider_than_the_window_are_no_storm)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.storm = pk::crash_storm{3, 1s, 10s};
    o.max_delay = 100ms;
    fixture f(o);
    f.begin();
    for (int i = 0; i < 10; ++i)
    {
        f.spawned();
        f.advance(500ms); // a failure every 600 ms: never 3 within 1 s
        BOOST_TEST(f.crash() == a(K::sleep, 100ms));
        f.advance(100ms);
        f.timer();
    }
    BOOST_TEST(f.m.outcome().storm_pauses == 0u);
}

BOOST_AUTO_TEST_CASE(a_run_counts_as_started_only_once_ready)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.ready = pk::readiness_probe::output("listening", 2s);
    o.health = pk::health_check::of([] { return true; }, 1s);
    fixture f(o);
    f.begin();
    BOOST_TEST(f.spawned() == a(K::probe_ready));
    BOOST_TEST(f.m.state() == pk::supervisor_state::starting);
    BOOST_TEST(f.m.on_ready(f.now) == a(K::schedule_health, 1s));
    BOOST_TEST(f.m.state() == pk::supervisor_state::running);
    BOOST_TEST((f.kinds() == std::vector<ev>{ev::started, ev::ready}));
    BOOST_TEST(f.m.on_ready(f.now) == a(K::none)); // stale
    BOOST_TEST(f.exit_code(0) == a(K::finish));
    BOOST_TEST(f.m.outcome().last.succeeded);
}

BOOST_AUTO_TEST_CASE(a_run_that_never_gets_ready_is_killed_and_fails)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.ready = pk::readiness_probe::port(8080, 2s);
    fixture f(o);
    f.begin();
    f.spawned();
    f.advance(2s);
    BOOST_TEST(f.m.on_not_ready(f.now, make_error_code(pk::errc::not_ready)) == a(K::kill));
    BOOST_TEST(f.m.state() == pk::supervisor_state::stopping);
    BOOST_TEST(f.crash() == a(K::sleep, 100ms));
    BOOST_TEST(f.m.outcome().last.error == pk::errc::not_ready);
    BOOST_TEST(!f.m.outcome().last.ready);
    BOOST_TEST(!f.m.outcome().last.succeeded);

    // A clean exit before the probe held fails too.
    f.timer();
    f.spawned();
    BOOST_TEST(f.exit_code(0) == a(K::sleep, 200ms));
    BOOST_TEST(f.m.outcome().last.error == pk::errc::exited_before_ready);
    // The probe's own report of that exit comes late and changes nothing.
    BOOST_TEST(f.m.on_not_ready(f.now, make_error_code(pk::errc::exited_before_ready)) == a(K::none));
}

BOOST_AUTO_TEST_CASE(k_consecutive_failed_health_checks_kill_the_run)
{
    auto o = fast(pk::restart_policy::on_failure);
    o.health = pk::health_check::of([] { return true; }, 1s, 3);
    fixture f(o);
    f.begin();
    BOOST_TEST(f.spawned() == a(K::schedule_health, 1s));
    BOOST_TEST(f.m.on_health_due(f.now) == a(K::check_health));
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::schedule_health, 1s));
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::schedule_health, 1s));
    BOOST_TEST(f.m.on_health(f.now, true) == a(K::schedule_health, 1s)); // resets the count
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::schedule_health, 1s));
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::schedule_health, 1s));
    f.kinds();
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::kill));
    BOOST_TEST((f.kinds() == std::vector<ev>{ev::unhealthy}));
    BOOST_TEST(f.m.on_health_due(f.now) == a(K::none)); // no check while it goes
    BOOST_TEST(f.crash() == a(K::sleep, 100ms));
    BOOST_TEST(f.m.outcome().liveness_kills == 1u);
    BOOST_TEST(f.m.outcome().last.unhealthy);
}

BOOST_AUTO_TEST_CASE(an_unhealthy_run_under_never_ends_as_unhealthy)
{
    auto o = fast(pk::restart_policy::never);
    o.health = pk::health_check::of([] { return false; }, 1s, 1);
    fixture f(o);
    f.begin();
    f.spawned();
    BOOST_TEST(f.m.on_health(f.now, false) == a(K::kill));
    BOOST_TEST(f.crash() == a(K::finish));
    BOOST_TEST(f.m.outcome().reason == pk::stop_reason::unhealthy);
}

BOOST_AUTO_TEST_CASE(stop_during_a_backoff_ends_at_once)
{
    fixture f(fast(pk::restart_policy::always));
    f.begin();
    f.spawned();
    f.crash();
    f.kinds();
    BOOST_TEST(f.m.on_stop(f.now, 5s) == a(K::finish));
    BOOST_TEST(f.m.outcome().reason == pk::stop_reason::stopped);
    BOOST_TEST((f.kinds() == std::vector<ev>{ev::stopped}));
    BOOST_TEST(f.timer() == a(K::none)); // the cancelled sleep's late report
    BOOST_TEST(f.m.on_stop(f.now, 5s) == a(K::none));
}

BOOST_AUTO_TEST_CASE(stop_while_running_signals_then_kills_after_the_grace)
{
    fixture f(fast(pk::restart_policy::always));
    f.begin();
    f.spawned();
    BOOST_TEST(f.m.on_stop(f.now, 2s) == a(K::soft_stop, 2s));
    BOOST_TEST(f.m.status().state == pk::supervisor_state::stopping);
    BOOST_TEST(f.m.status().pid == 101);
    f.advance(2s);
    BOOST_TEST(f.timer() == a(K::kill)); // it ignored the soft signal
    BOOST_TEST(f.m.on_exit(f.now, pk::run_outcome::signalled(9), false, "") == a(K::finish));
    BOOST_TEST(f.m.outcome().reason == pk::stop_reason::stopped);
    BOOST_TEST(f.m.outcome().last.stopped);
    BOOST_TEST(f.m.status().pid == 0);
}

BOOST_AUTO_TEST_CASE(stop_without_a_grace_kills_at_once_even_while_stopping)
{
    fixture f(fast(pk::restart_policy::always));
    f.begin();
    f.spawned();
    BOOST_TEST(f.m.on_stop(f.now, std::nullopt) == a(K::kill));
    fixture g(fast(pk::restart_policy::always));
    g.begin();
    g.spawned();
    BOOST_TEST(g.m.on_stop(g.now, 10s) == a(K::soft_stop, 10s));
    BOOST_TEST(g.m.on_stop(g.now, std::nullopt) == a(K::kill));
    BOOST_TEST(g.m.on_stop(g.now, 0s) == a(K::kill)); // a zero grace too, whatever the first stop gave
    BOOST_TEST(g.m.on_stop(g.now, 1s) == a(K::none));
    BOOST_TEST(g.exit_code(0) == a(K::finish));
    BOOST_TEST(!g.m.outcome().last.succeeded); // a stopped run never counts as a success
}

BOOST_AUTO_TEST_CASE(stop_before_begin_spawns_nothing)
{
    fixture f(fast(pk::restart_policy::always));
    BOOST_TEST(f.m.on_stop(f.now, 1s) == a(K::none));
    BOOST_TEST(f.begin() == a(K::finish));
    BOOST_TEST(f.m.outcome().runs == 0u);
    BOOST_TEST(f.m.outcome().reason == pk::stop_reason::stopped);
}

BOOST_AUTO_TEST_CASE(the_predicates_end_supervision_with_their_own_reasons)
{
    {
        auto o = fast(pk::restart_policy::always);
        o.stop_when = [](const pk::supervised_run& r) { return r.outcome && r.outcome->code() == 7; };
        fixture f(o);
        f.begin();
        f.spawned();
        BOOST_TEST(f.exit_code(1) == a(K::sleep, 100ms));
        f.timer();
        f.spawned();
        BOOST_TEST(f.exit_code(7) == a(K::finish));
        BOOST_TEST(f.m.outcome().reason == pk::stop_reason::predicate);
    }
    {
        auto o = fast(pk::restart_policy::always);
        o.give_up_when = [](const pk::supervised_run& r) { return r.number == 2; };
        fixture f(o);
        f.begin();
        f.spawned();
        f.crash();
        f.timer();
        f.spawned();
        BOOST_TEST(f.crash() == a(K::finish));
        BOOST_TEST(f.m.outcome().reason == pk::stop_reason::gave_up);
    }
}

BOOST_AUTO_TEST_CASE(spawn_failures_end_supervision_or_count_as_failed_runs)
{
    {
        fixture f(fast(pk::restart_policy::always));
        f.begin();
        pk::diagnostics d;
        d.program = "tool";
        d.step = "find program";
        const pk::error missing(make_error_code(pk::errc::program_not_found), d);
        BOOST_TEST(f.m.on_spawn_failed(f.now, missing, false) == a(K::finish));
        BOOST_TEST(f.m.outcome().last.diagnostics.step == "find program");
        BOOST_TEST(f.m.error() == pk::errc::program_not_found);
        BOOST_TEST(f.m.outcome().reason == pk::stop_reason::gave_up);
        BOOST_TEST(f.m.outcome().last.error == pk::errc::program_not_found);
        BOOST_TEST((f.kinds() == std::vector<ev>{ev::exited, ev::stopped}));
    }
    {
        fixture f(fast(pk::restart_policy::on_failure));
        f.begin();
        const auto eagain = boost::system::errc::make_error_code(boost::system::errc::resource_unavailable_try_again);
        BOOST_TEST(f.m.on_spawn_failed(f.now, pk::error(eagain), true) == a(K::sleep, 100ms));
        BOOST_TEST(!f.m.outcome().last.outcome);
        BOOST_TEST(f.m.outcome().last.pid == 0);
        BOOST_TEST(f.timer() == a(K::spawn));
        BOOST_TEST(f.m.run_number() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(the_events_and_the_status_follow_the_runs)
{
    fixture f(fast(pk::restart_policy::on_failure));
    BOOST_TEST(f.m.status().state == pk::supervisor_state::idle);
    f.begin();
    f.spawned();
    auto s = f.m.status();
    BOOST_TEST(s.state == pk::supervisor_state::running);
    BOOST_TEST(s.pid == 101);
    BOOST_TEST(!s.last);
    f.crash();
    auto events = f.m.take_events();
    BOOST_REQUIRE(events.size() == 3u);
    BOOST_TEST(events[0].what == ev::started);
    BOOST_TEST(events[0].pid == 101);
    BOOST_TEST(events[0].run_number == 1u);
    BOOST_TEST(events[1].what == ev::exited);
    BOOST_REQUIRE(events[1].run.has_value());
    BOOST_TEST((events[1].run->outcome == pk::run_outcome::signalled(11)));
    BOOST_TEST(events[2].what == ev::restarting);
    BOOST_TEST(events[2].run_number == 2u);
    BOOST_TEST(events[2].delay == 100ms);
    s = f.m.status();
    BOOST_TEST(s.state == pk::supervisor_state::backing_off);
    BOOST_TEST(s.pid == 0);
    BOOST_TEST(s.restarts == 0u);
    BOOST_REQUIRE(s.last.has_value());
    BOOST_TEST(s.last->number == 1u);
    f.timer();
    BOOST_TEST(f.m.status().restarts == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_options_are_named_by_field)
{
    auto problem = [](auto change) {
        pk::supervisor_options o;
        change(o);
        const char* p = pd::supervisor_options_problem(o);
        return std::string(p ? p : "");
    };
    BOOST_TEST(problem([](auto&) {}) == "");
    BOOST_TEST(problem([](auto& o) { o.multiplier = 0.5; }).find("multiplier") != std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.reset_after = 0s; }).find("reset_after") != std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.stop_grace = -1s; }).find("stop_grace") != std::string::npos);
    BOOST_TEST(problem([](auto& o) {
                   o.storm = pk::crash_storm{0, 1s, 1s};
               }).find("storm: failures") != std::string::npos);
    BOOST_TEST(problem([](auto& o) {
                   o.storm = pk::crash_storm{1, 0s, 1s};
               }).find("storm: window") != std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.ready = pk::readiness_probe::port(80, 0s); }).find("deadline") !=
               std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.ready = pk::readiness_probe::line({}, 1s); }).find("predicate") !=
               std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.health = pk::health_check{}; }).find("either") != std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.health = pk::health_check::of([] { return true; }, 0s); }).find("interval") !=
               std::string::npos);
    BOOST_TEST(problem([](auto& o) { o.health = pk::health_check::of([] { return true; }, 1s, 0); }).find("failures") !=
               std::string::npos);
}
