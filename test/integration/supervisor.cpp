// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The supervisor with real processes: restarts counted to max_restarts, a
// crash storm's pause, readiness and health checks (a callable and a
// command) killing and restarting the child, stop() during a backoff and
// against a child that ignores SIGTERM, cancellation and destruction, the
// sync form, a program that can never start, the events and the status,
// and many supervisors sharing one io_context. After each case no process
// is left.

#define BOOST_TEST_MODULE supervisor
#include "pk_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/supervisor.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;
using ev = pk::supervisor_event::kind;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

pk::supervisor_options quick(pk::restart_policy p = pk::restart_policy::on_failure)
{
    pk::supervisor_options o;
    o.restart = p;
    o.initial_delay = 5ms;
    o.max_delay = 20ms;
    o.stop_grace = 2s;
    return o;
}

// Runs a supervisor on `ctx`, calling `on_event` with every event (on the
// context's thread), until supervision ends.
struct session
{
    asio::io_context& ctx;
    pk::supervisor sup;
    std::vector<pk::supervisor_event> seen;
    std::function<void(const pk::supervisor_event&)> on_event;
    std::optional<std::pair<error_code, pk::supervision_outcome>> done;
    bool events_ended = false;

    session(asio::io_context& c, pk::command cmd, pk::supervisor_options o)
        : ctx(c), sup(c.get_executor(), std::move(cmd), std::move(o))
    {
    }

    void pump(pk::supervisor_events events)
    {
        events.async_next([this, events](error_code ec, pk::supervisor_event e) mutable {
            if (ec)
            {
                BOOST_TEST(ec == pk::errc::end_of_stream);
                events_ended = true;
                return;
            }
            seen.push_back(e);
            if (on_event)
                on_event(e);
            pump(events);
        });
    }

    template <class Start>
    void run(Start start)
    {
        pump(sup.events());
        start([this](error_code ec, pk::supervision_outcome o) { done.emplace(ec, std::move(o)); });
        ctx.run_for(60s);
        ctx.restart();
        BOOST_REQUIRE(done.has_value());
        BOOST_TEST(events_ended);
    }
    void run()
    {
        run([this](auto h) { sup.async_run(std::move(h)); });
    }

    std::vector<int> started_pids() const
    {
        std::vector<int> pids;
        for (auto& e : seen)
            if (e.what == ev::started)
                pids.push_back(e.pid);
        return pids;
    }
    std::size_t count(ev k) const
    {
        std::size_t n = 0;
        for (auto& e : seen)
            n += e.what == k;
        return n;
    }
};

void expect_nothing_left(const std::vector<int>& pids)
{
    BOOST_TEST(pk_test::survivors(pids).empty());
    BOOST_TEST(pk_test::children_after().empty());
}

} // namespace

BOOST_AUTO_TEST_CASE(a_crashing_child_restarts_exactly_max_restarts_times)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 3;
    session s(ctx, pk_test::helper_command({"exit", "3"}), o);
    s.run();
    auto& [ec, out] = *s.done;
    BOOST_TEST(!ec);
    BOOST_TEST(out.reason == pk::stop_reason::restarts_exhausted);
    BOOST_TEST(out.runs == 4u);
    BOOST_TEST(out.restarts == 3u);
    BOOST_REQUIRE(out.last.outcome.has_value());
    BOOST_TEST((*out.last.outcome == pk::run_outcome::exited(3)));
    auto pids = s.started_pids();
    BOOST_TEST(pids.size() == 4u);
    BOOST_TEST(std::set<int>(pids.begin(), pids.end()).size() == 4u);
    BOOST_TEST(s.count(ev::restarting) == 3u);
    BOOST_TEST(s.count(ev::exited) == 4u);
    BOOST_REQUIRE(!s.seen.empty());
    BOOST_TEST(s.seen.back().what == ev::stopped);
    BOOST_TEST(s.seen.back().reason == pk::stop_reason::restarts_exhausted);
    expect_nothing_left(pids);
}

BOOST_AUTO_TEST_CASE(a_clean_exit_satisfies_on_failure)
{
    asio::io_context ctx;
    session s(ctx, pk_test::helper_command({"exit", "0"}), quick());
    s.run();
    BOOST_TEST(!s.done->first);
    BOOST_TEST(s.done->second.reason == pk::stop_reason::policy_satisfied);
    BOOST_TEST(s.done->second.runs == 1u);
    BOOST_TEST(s.done->second.last.succeeded);
}

BOOST_AUTO_TEST_CASE(a_crash_storm_pauses_for_the_configured_time)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 4;
    o.storm = pk::crash_storm{3, 10s, 400ms};
    session s(ctx, pk_test::helper_command({"exit", "1"}), o);
    std::chrono::steady_clock::time_point paused_at{}, resumed_at{};
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::storm_pause)
            paused_at = std::chrono::steady_clock::now();
        else if (e.what == ev::started && paused_at != decltype(paused_at){} && resumed_at == decltype(resumed_at){})
            resumed_at = std::chrono::steady_clock::now();
    };
    s.run();
    BOOST_TEST(s.done->second.storm_pauses == 1u);
    BOOST_TEST(s.count(ev::storm_pause) == 1u);
    for (auto& e : s.seen)
        if (e.what == ev::storm_pause)
            BOOST_TEST((e.delay == 400ms));
    const auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(resumed_at - paused_at);
    BOOST_TEST(pause.count() >= 380); // generous bounds: timers never fire early, a loaded machine runs late
    BOOST_TEST(pause.count() < 5000);
    BOOST_TEST(s.done->second.reason == pk::stop_reason::restarts_exhausted);
    expect_nothing_left(s.started_pids());
}

BOOST_AUTO_TEST_CASE(a_failing_health_check_kills_and_restarts_the_child)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 1;
    int checks = 0;
    o.health = pk::health_check::of(
        [&checks] {
            ++checks;
            return false;
        },
        30ms, 3);
    session s(ctx, pk_test::helper_command({"sleep", "30000"}), o);
    s.run();
    auto& out = s.done->second;
    BOOST_TEST(out.reason == pk::stop_reason::restarts_exhausted);
    BOOST_TEST(out.liveness_kills == 2u);
    BOOST_TEST(checks == 6);
    BOOST_TEST(out.last.unhealthy);
    BOOST_TEST(s.count(ev::unhealthy) == 2u);
    auto pids = s.started_pids();
    BOOST_REQUIRE(pids.size() == 2u);
    BOOST_TEST(pids[0] != pids[1]); // a new child after the liveness kill
    expect_nothing_left(pids);
}

BOOST_AUTO_TEST_CASE(a_health_command_that_fails_kills_the_child)
{
    asio::io_context ctx;
    auto o = quick(pk::restart_policy::never);
    o.health = pk::health_check::of(pk_test::helper_command({"exit", "1"}), 50ms, 2);
    session s(ctx, pk_test::helper_command({"sleep", "30000"}), o);
    s.run();
    BOOST_TEST(s.done->second.reason == pk::stop_reason::unhealthy);
    BOOST_TEST(s.done->second.liveness_kills == 1u);
    BOOST_REQUIRE(s.done->second.last.outcome.has_value());
    BOOST_TEST((*s.done->second.last.outcome == pk::run_outcome::signalled(9)));
    expect_nothing_left(s.started_pids());
}

BOOST_AUTO_TEST_CASE(a_passing_health_command_keeps_the_child)
{
    asio::io_context ctx;
    auto o = quick();
    // A timeout of its own: under a sanitizer a check's spawn can outlast a
    // short interval, and a check still running at the interval fails.
    o.health = pk::health_check::of(pk_test::helper_command({"exit", "0"}).timeout(10s), 50ms, 1);
    session s(ctx, pk_test::helper_command({"sleep", "600"}), o);
    s.run();
    BOOST_TEST(s.done->second.reason == pk::stop_reason::policy_satisfied);
    BOOST_TEST(s.done->second.liveness_kills == 0u);
    BOOST_TEST(s.done->second.last.succeeded);
}

BOOST_AUTO_TEST_CASE(readiness_gates_the_start_and_a_child_never_ready_is_restarted)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 1;
    o.ready = pk::readiness_probe::output("never printed", 100ms);
    session s(ctx, pk_test::helper_command({"sleep", "30000"}), o);
    s.run();
    auto& out = s.done->second;
    BOOST_TEST(out.reason == pk::stop_reason::restarts_exhausted);
    BOOST_TEST(out.last.error == pk::errc::not_ready);
    BOOST_TEST(!out.last.ready);
    BOOST_TEST(s.count(ev::ready) == 0u);
    expect_nothing_left(s.started_pids());

    asio::io_context ctx2;
    auto o2 = quick();
    o2.ready = pk::readiness_probe::line([](std::string_view l) { return l == "up"; }, 5s);
    session s2(ctx2, pk_test::helper_command({"print-sleep", "up", "100"}), o2);
    s2.run();
    BOOST_TEST(s2.count(ev::ready) == 1u);
    BOOST_TEST(s2.done->second.reason == pk::stop_reason::policy_satisfied);
    BOOST_TEST(s2.done->second.last.ready);
}

BOOST_AUTO_TEST_CASE(stop_during_a_backoff_returns_at_once)
{
    asio::io_context ctx;
    auto o = quick(pk::restart_policy::always);
    o.initial_delay = 30s;
    o.max_delay = 30s;
    session s(ctx, pk_test::helper_command({"exit", "1"}), o);
    std::chrono::steady_clock::time_point stop_at{};
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::restarting)
        {
            stop_at = std::chrono::steady_clock::now();
            s.sup.stop();
        }
    };
    s.run();
    BOOST_TEST(s.done->second.reason == pk::stop_reason::stopped);
    BOOST_TEST(pk_test::ms_since(stop_at) < 1000);
    BOOST_TEST(s.done->second.runs == 1u);
    BOOST_TEST(s.done->second.restarts == 0u);
}

BOOST_AUTO_TEST_CASE(stop_escalates_to_sigkill_after_the_grace_when_term_is_ignored)
{
    asio::io_context ctx;
    auto o = quick(pk::restart_policy::always);
    o.ready = pk::readiness_probe::output("ready", 10s); // SIGTERM is ignored from here on
    session s(ctx, pk_test::helper_command({"ignore-term", "30000"}), o);
    std::chrono::steady_clock::time_point stop_at{};
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::ready)
        {
            stop_at = std::chrono::steady_clock::now();
            s.sup.stop(300ms);
        }
    };
    s.run();
    const auto took = pk_test::ms_since(stop_at);
    auto& out = s.done->second;
    BOOST_TEST(out.reason == pk::stop_reason::stopped);
    BOOST_REQUIRE(out.last.outcome.has_value());
    BOOST_TEST((*out.last.outcome == pk::run_outcome::signalled(9)));
    BOOST_TEST(out.last.stopped);
    BOOST_TEST(took >= 290);
    BOOST_TEST(took < 5000);
    expect_nothing_left(s.started_pids());
}

BOOST_AUTO_TEST_CASE(a_graceful_stop_ends_a_child_that_honours_term)
{
    asio::io_context ctx;
    session s(ctx, pk_test::helper_command({"sleep", "30000"}), quick(pk::restart_policy::always));
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::started)
            s.sup.stop(10s);
    };
    s.run();
    BOOST_REQUIRE(s.done->second.last.outcome.has_value());
    BOOST_TEST((*s.done->second.last.outcome == pk::run_outcome::signalled(15)));
    BOOST_TEST(s.done->second.last.uptime < 5s);
}

BOOST_AUTO_TEST_CASE(cancelling_async_run_stops_supervision)
{
    for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial})
    {
        asio::io_context ctx;
        asio::cancellation_signal sig;
        session s(ctx, pk_test::helper_command({"sleep", "30000"}), quick(pk::restart_policy::always));
        s.on_event = [&](const pk::supervisor_event& e) {
            if (e.what == ev::started)
                sig.emit(type);
        };
        s.run([&](auto h) { s.sup.async_run(asio::bind_cancellation_slot(sig.slot(), std::move(h))); });
        BOOST_TEST(s.done->second.reason == pk::stop_reason::stopped);
        BOOST_REQUIRE(s.done->second.last.outcome.has_value());
        const int expected = type == asio::cancellation_type::terminal ? 9 : 15;
        BOOST_TEST((*s.done->second.last.outcome == pk::run_outcome::signalled(expected)));
        expect_nothing_left(s.started_pids());
    }
}

BOOST_AUTO_TEST_CASE(the_commands_cancel_on_token_stops_supervision)
{
    asio::io_context ctx;
    std::stop_source stop;
    session s(ctx, pk_test::helper_command({"sleep", "30000"}).cancel_on(stop.get_token()),
              quick(pk::restart_policy::always));
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::started)
            stop.request_stop();
    };
    s.run();
    BOOST_TEST(s.done->second.reason == pk::stop_reason::stopped);
    BOOST_TEST(s.done->second.runs == 1u);
    BOOST_TEST(s.done->second.last.stopped);
    expect_nothing_left(s.started_pids());
}

BOOST_AUTO_TEST_CASE(cancel_on_during_a_backoff_ends_supervision_at_once)
{
    asio::io_context ctx;
    std::stop_source stop;
    auto o = quick(pk::restart_policy::always);
    o.initial_delay = 30s;
    o.max_delay = 30s;
    session s(ctx, pk_test::helper_command({"exit", "1"}).cancel_on(stop.get_token()), o);
    std::chrono::steady_clock::time_point stop_at{};
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::restarting)
        {
            stop_at = std::chrono::steady_clock::now();
            stop.request_stop();
        }
    };
    s.run();
    BOOST_TEST(!s.done->first);
    BOOST_TEST(s.done->second.reason == pk::stop_reason::stopped);
    BOOST_TEST(pk_test::ms_since(stop_at) < 1000);

    // Stopped before supervision begins: nothing runs.
    asio::io_context ctx2;
    session s2(ctx2, pk_test::helper_command({"sleep", "30000"}).cancel_on(stop.get_token()), quick());
    s2.run();
    BOOST_TEST(!s2.done->first);
    BOOST_TEST(s2.done->second.reason == pk::stop_reason::stopped);
    BOOST_TEST(s2.done->second.runs == 0u);
}

BOOST_AUTO_TEST_CASE(the_completion_waits_for_a_running_health_check)
{
    // When supervision ends a check is running: its tree must be gone before
    // the handler runs.
    asio::io_context ctx;
    auto o = quick(pk::restart_policy::always);
    o.health = pk::health_check::of(pk_test::helper_command({"sleep", "5000"}), 300ms, 3);
    pk::supervisor sup(ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}), o);
    std::optional<std::vector<int>> children_at_completion;
    sup.async_run([&](error_code, pk::supervision_outcome) { children_at_completion = pk_test::own_children(); });
    asio::steady_timer t(ctx, 450ms); // the first check runs from 300 ms to its 300 ms timeout
    t.async_wait([&](error_code) { sup.stop(0s); });
    ctx.run_for(30s);
    BOOST_REQUIRE(children_at_completion.has_value());
    BOOST_TEST(children_at_completion->empty());
}

BOOST_AUTO_TEST_CASE(destroying_the_supervisor_stops_it_and_kills_the_tree)
{
    asio::io_context ctx;
    std::optional<pk::supervisor> sup;
    sup.emplace(ctx.get_executor(), pk_test::helper_command({"spawn-sleeper", "30000"}),
                quick(pk::restart_policy::always));
    std::optional<pk::supervision_outcome> done;
    int pid = 0;
    sup->async_run([&](error_code ec, pk::supervision_outcome o) {
        BOOST_TEST(!ec);
        done = std::move(o);
    });
    asio::steady_timer t(ctx, 300ms);
    t.async_wait([&](error_code) {
        pid = sup->status().pid;
        sup.reset();
    });
    ctx.run_for(30s);
    BOOST_REQUIRE(done.has_value());
    BOOST_TEST(done->reason == pk::stop_reason::stopped);
    BOOST_TEST(pid > 0);
    expect_nothing_left({pid});
}

BOOST_AUTO_TEST_CASE(the_sync_form_and_status_work_from_another_thread)
{
    auto o = quick();
    o.max_restarts = 2;
    pk::supervisor sup(pk_test::helper_command({"exit", "4"}), o);
    BOOST_TEST((sup.status().state == pk::supervisor_state::idle));
    auto r = sup.run();
    BOOST_REQUIRE_MESSAGE(r.has_value(), pk_test::why(r));
    BOOST_TEST(r.value().reason == pk::stop_reason::restarts_exhausted);
    BOOST_TEST(r.value().runs == 3u);
    auto st = sup.status();
    BOOST_TEST((st.state == pk::supervisor_state::finished));
    BOOST_TEST(st.restarts == 2u);
    BOOST_REQUIRE(st.last.has_value());
    BOOST_TEST(st.last->number == 3u);
    // A second run is refused.
    auto again = sup.run();
    BOOST_TEST(again.has_error());

    // The events, read with the blocking form afterwards: all there, then the end.
    auto events = sup.events();
    std::size_t n = 0;
    while (true)
    {
        auto e = events.next();
        if (!e)
        {
            BOOST_TEST(e.error().code() == pk::errc::end_of_stream);
            break;
        }
        ++n;
    }
    BOOST_TEST(n == 3u /*started*/ + 3u /*exited*/ + 2u /*restarting*/ + 1u /*stopped*/);
}

BOOST_AUTO_TEST_CASE(status_names_the_running_child)
{
    asio::io_context ctx;
    session s(ctx, pk_test::helper_command({"sleep", "30000"}), quick(pk::restart_policy::always));
    pk::supervisor_status seen;
    s.on_event = [&](const pk::supervisor_event& e) {
        if (e.what == ev::started)
        {
            seen = s.sup.status();
            BOOST_TEST(seen.pid == e.pid);
            s.sup.stop(0s);
        }
    };
    s.run();
    BOOST_TEST((seen.state == pk::supervisor_state::running));
    BOOST_TEST(pk_test::running(seen.pid) == false);
}

BOOST_AUTO_TEST_CASE(a_program_that_can_never_start_ends_supervision_with_its_error)
{
    pk::supervisor sup(pk::command("/nonexistent/processkit-no-such-program"), quick(pk::restart_policy::always));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = sup.run();
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == pk::errc::program_not_found);
    BOOST_TEST(r.error().message().find("processkit-no-such-program") != std::string::npos);
    BOOST_TEST(pk_test::ms_since(t0) < 2000);

    pk::supervisor bad_arg(pk::command(pk_test::helper()).arg(std::string("a\0b", 3)), quick());
    auto r2 = bad_arg.run();
    BOOST_REQUIRE(r2.has_error());
    BOOST_TEST(r2.error().code() == pk::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_program_that_cannot_be_executed_is_not_restarted)
{
    pk_test::temp_dir t;
    const auto script = t.path / "not-executable";
    {
        std::ofstream(script) << "#!/bin/sh\nexit 0\n";
    }
    std::filesystem::permissions(script, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto o = quick(pk::restart_policy::always);
    o.max_restarts = 50;
    asio::io_context ctx;
    session s(ctx, pk::command(script.string()), o);
    s.run();
    BOOST_TEST(s.done->first == boost::system::errc::permission_denied);
    BOOST_TEST(s.done->second.runs == 1u);
    // The failed start's details reach the async form too.
    BOOST_TEST(s.done->second.last.diagnostics.step == "execve");
    BOOST_TEST(s.done->second.last.diagnostics.program == script.string());
}

BOOST_AUTO_TEST_CASE(invalid_options_spawn_nothing)
{
    auto o = quick();
    o.health = pk::health_check::of([] { return true; }, 0ms);
    pk::supervisor sup(pk_test::helper_command({"sleep", "30000"}), o);
    auto r = sup.run();
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == pk::errc::invalid_argument);
    BOOST_TEST(r.error().message().find("health: interval") != std::string::npos);
    BOOST_TEST(pk_test::children_after(100ms).empty());
}

BOOST_AUTO_TEST_CASE(async_run_takes_a_future)
{
    asio::io_context ctx;
    auto o = quick(pk::restart_policy::never);
    pk::supervisor sup(ctx.get_executor(), pk_test::helper_command({"exit", "0"}), o);
    auto f = sup.async_run(asio::use_future);
    ctx.run();
    auto out = f.get();
    BOOST_TEST(out.reason == pk::stop_reason::policy_satisfied);
}

BOOST_AUTO_TEST_CASE(async_run_takes_deferred_and_use_awaitable)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 1;
    pk::supervisor a(ctx.get_executor(), pk_test::helper_command({"exit", "5"}), o);
    pk::supervisor b(ctx.get_executor(), pk_test::helper_command({"exit", "0"}), o);
    std::optional<pk::supervision_outcome> first, second;
    auto op = a.async_run(asio::deferred); // nothing runs until it is invoked
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            first = co_await std::move(op)(asio::use_awaitable);
            second = co_await b.async_run(asio::use_awaitable);
            // The event stream is awaitable too: the first event is the first start.
            auto e = co_await b.events().async_next(asio::use_awaitable);
            BOOST_TEST(e.what == ev::started);
        },
        asio::detached);
    ctx.run();
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(first->reason == pk::stop_reason::restarts_exhausted);
    BOOST_REQUIRE(second.has_value());
    BOOST_TEST(second->reason == pk::stop_reason::policy_satisfied);
}

BOOST_AUTO_TEST_CASE(fifty_supervisors_share_one_io_context)
{
    asio::io_context ctx;
    auto o = quick();
    o.max_restarts = 5;
    std::vector<std::unique_ptr<pk::supervisor>> sups;
    std::vector<std::optional<pk::supervision_outcome>> outs(50);
    for (std::size_t i = 0; i < 50; ++i)
    {
        sups.push_back(std::make_unique<pk::supervisor>(ctx.get_executor(), pk_test::helper_command({"exit", "2"}), o));
        sups.back()->async_run([&outs, i](error_code ec, pk::supervision_outcome out) {
            BOOST_TEST(!ec);
            outs[i] = std::move(out);
        });
    }
    ctx.run_for(120s);
    for (auto& out : outs)
    {
        BOOST_REQUIRE(out.has_value());
        BOOST_TEST(out->reason == pk::stop_reason::restarts_exhausted);
        BOOST_TEST(out->runs == 6u);
    }
    BOOST_TEST(pk_test::children_after().empty());
}
