// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The asynchronous verbs of the runner with every kind of completion token,
// per-operation cancellation, the diagnostics overloads, and concurrent use.

#define BOOST_TEST_MODULE runner_async
#include "pk_test.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <exception>
#include <filesystem>
#include <future>
#include <optional>
#include <stop_token>
#include <thread>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

bool is_processkit(const error_code& ec) { return std::string(ec.category().name()) == "boost.processkit"; }

// Rethrows what a coroutine threw, so the test sees it.
struct rethrow
{
    std::exception_ptr* out;
    void operator()(std::exception_ptr e) const { *out = e; }
};

// Runs `tree 2 30000`, emits `type` on the operation's cancellation slot
// after `delay` (or at once, before the io_context runs, when delay is 0).
void cancel_through_slot(asio::cancellation_type type, std::chrono::milliseconds delay)
{
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    int calls = 0;
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"tree", "2", "30000"}),
                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::string) {
                      got = ec;
                      ++calls;
                  }));
    asio::steady_timer timer(ctx, delay);
    if (delay == 0ms)
        signal.emit(type);
    else
        timer.async_wait([&](error_code) { signal.emit(type); });
    auto t0 = std::chrono::steady_clock::now();
    ctx.run();
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("cancelled after " << ms << " ms");
    BOOST_TEST(ms < 5000);
    BOOST_TEST(calls == 1);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled, got->message());
    BOOST_TEST(is_processkit(*got));
    BOOST_TEST(pk_test::children_after().empty(), "the whole tree is gone");
}

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Completion tokens

BOOST_AUTO_TEST_CASE(callback_token)
{
    asio::io_context ctx;
    std::optional<std::string> out;
    bool on_ctx_thread = false;
    std::optional<error_code> err;
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"args", "  hello  "}),
                  [&](error_code ec, std::string s) {
                      BOOST_TEST(!ec);
                      on_ctx_thread = ctx.get_executor().running_in_this_thread();
                      out = std::move(s);
                  });
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"stderr-exit", "3", "boom"}),
                  [&](error_code ec, std::string s) {
                      err = ec;
                      BOOST_TEST(s == "");
                  });
    ctx.run();
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(*out == "  hello");
    BOOST_TEST(on_ctx_thread, "the handler runs on its executor");
    BOOST_TEST_REQUIRE(err.has_value());
    BOOST_TEST(*err == pk::errc::nonzero_exit);
    BOOST_TEST(is_processkit(*err), err->category().name());
}

BOOST_AUTO_TEST_CASE(callback_output_string_keeps_nonzero_exit_in_result)
{
    asio::io_context ctx;
    std::optional<pk::process_result> res;
    pk::async_output_string(ctx.get_executor(), pk_test::helper_command({"stderr-exit", "3", "boom"}),
                            [&](error_code ec, pk::process_result r) {
                                BOOST_TEST(!ec);
                                res = std::move(r);
                            });
    ctx.run();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->code().value_or(-1000) == 3);
    BOOST_TEST(res->std_err == "boom\n");
    BOOST_TEST(!res->success());
}

BOOST_AUTO_TEST_CASE(use_future_token)
{
    pk_test::io_thread io; // stopped and joined at the end, even on failure
    asio::io_context& ctx = io.ctx;
    auto ok = pk::async_run(ctx.get_executor(), pk_test::helper_command({"args", "future"}), asio::use_future);
    auto bad = pk::async_run(ctx.get_executor(), pk_test::helper_command({"exit", "3"}), asio::use_future);
    auto res = pk::async_output_string(ctx.get_executor(), pk_test::helper_command({"lines", "2"}), asio::use_future);
    BOOST_TEST(ok.get() == "future");
    BOOST_CHECK_EXCEPTION(bad.get(), boost::system::system_error,
                          [](const boost::system::system_error& e) { return e.code() == pk::errc::nonzero_exit; });
    BOOST_TEST(res.get().std_out == "line0\nline1\n");
}

BOOST_AUTO_TEST_CASE(use_awaitable_token)
{
    asio::io_context ctx;
    std::string out, first;
    std::optional<pk::process_result> res;
    error_code thrown;
    std::exception_ptr failure;
    // Built outside the coroutine: g++ 12 miscompiles initializer_list temporaries across co_await.
    const auto c1 = pk_test::helper_command({"args", "awaited"}), c2 = pk_test::helper_command({"bytes", "1000"}),
               c3 = pk_test::helper_command({"lines", "3"}), c4 = pk_test::helper_command({"exit", "4"});
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            out = co_await pk::async_run(ex, c1, asio::use_awaitable);
            res = co_await pk::async_output_bytes(ex, c2, asio::use_awaitable);
            first = co_await pk::default_runner().async_first_line(ex, c3, asio::use_awaitable);
            try
            {
                co_await pk::async_run_unit(ex, c4, asio::use_awaitable);
            }
            catch (const boost::system::system_error& e)
            {
                thrown = e.code();
            }
        },
        rethrow{&failure});
    ctx.run();
    if (failure)
        std::rethrow_exception(failure);
    BOOST_TEST(out == "awaited");
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->std_out.size() == 1000u);
    BOOST_TEST(first == "line0");
    BOOST_TEST(thrown == pk::errc::nonzero_exit);
}

BOOST_AUTO_TEST_CASE(as_tuple_use_awaitable_token)
{
    asio::io_context ctx;
    error_code ok_ec, bad_ec;
    std::string ok_out;
    std::exception_ptr failure;
    const auto good = pk_test::helper_command({"args", "tuple"}),
               bad = pk_test::helper_command({"stderr-exit", "3", "boom"});
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            auto [e1, s1] = co_await pk::async_run(ex, good, asio::as_tuple(asio::use_awaitable));
            ok_ec = e1;
            ok_out = s1;
            auto [e2, s2] = co_await pk::async_run(ex, bad, asio::as_tuple(asio::use_awaitable));
            bad_ec = e2;
        },
        rethrow{&failure});
    ctx.run();
    if (failure)
        std::rethrow_exception(failure);
    BOOST_TEST(!ok_ec);
    BOOST_TEST(ok_out == "tuple");
    BOOST_TEST(bad_ec == pk::errc::nonzero_exit);
    BOOST_TEST(is_processkit(bad_ec));
}

BOOST_AUTO_TEST_CASE(deferred_token_is_lazy)
{
    char tmpl[] = "/tmp/pk-runner-async-XXXXXX";
    BOOST_TEST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl, marker = dir + "/made";
    asio::io_context ctx;
    auto op = pk::async_output_string(ctx.get_executor(), pk_test::helper_command({"make-file", marker, "0"}),
                                      asio::deferred);
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(!fs::exists(marker), "nothing runs before the deferred operation is invoked");
    BOOST_TEST(pk_test::own_children().empty());
    std::optional<pk::process_result> res;
    std::move(op)([&](error_code ec, pk::process_result r) {
        BOOST_TEST(!ec);
        res = std::move(r);
    });
    ctx.run();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->code().value_or(-1000) == 0);
    BOOST_TEST(fs::exists(marker));
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(parallel_group_first_wins_and_loser_is_cancelled)
{
    asio::io_context ctx;
    auto ex = ctx.get_executor();
    std::optional<std::array<std::size_t, 2>> order;
    error_code slow_ec, fast_ec;
    std::string fast_out;
    asio::experimental::make_parallel_group(
        pk::async_run(ex, pk_test::helper_command({"tree", "1", "30000"}), asio::deferred),
        pk::async_run(ex, pk_test::helper_command({"args", "fast"}), asio::deferred))
        .async_wait(asio::experimental::wait_for_one(),
                    [&](std::array<std::size_t, 2> o, error_code e0, std::string, error_code e1, std::string s1) {
                        order = o;
                        slow_ec = e0;
                        fast_ec = e1;
                        fast_out = std::move(s1);
                    });
    auto t0 = std::chrono::steady_clock::now();
    ctx.run();
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("parallel group done after " << ms << " ms");
    BOOST_TEST(ms < 5000);
    BOOST_TEST_REQUIRE(order.has_value());
    BOOST_TEST((*order)[0] == 1u, "the fast run completed first");
    BOOST_TEST(!fast_ec);
    BOOST_TEST(fast_out == "fast");
    BOOST_TEST(slow_ec == pk::errc::cancelled, slow_ec.message());
    BOOST_TEST(pk_test::children_after().empty());
}

// ---------------------------------------------------------------------------
// Per-operation cancellation

BOOST_AUTO_TEST_CASE(cancel_slot_terminal) { cancel_through_slot(asio::cancellation_type::terminal, 300ms); }

BOOST_AUTO_TEST_CASE(cancel_slot_partial) { cancel_through_slot(asio::cancellation_type::partial, 300ms); }

// A total cancellation must leave no side effect: once the child is spawned
// none can be had, so it is refused and the run goes on to its normal result.
BOOST_AUTO_TEST_CASE(cancel_slot_total)
{
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    std::string out;
    int calls = 0;
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"tree", "2", "1500"}),
                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::string o) {
                      got = ec;
                      out = std::move(o);
                      ++calls;
                  }));
    asio::steady_timer timer(ctx, 300ms);
    timer.async_wait([&](error_code) { signal.emit(asio::cancellation_type::total); });
    auto t0 = std::chrono::steady_clock::now();
    ctx.run();
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("completed after " << ms << " ms");
    BOOST_TEST(calls == 1);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(!*got, "refused: the run completes normally, not " << got->message());
    BOOST_TEST(ms >= 1400, "the child ran to its end (" << ms << " ms)");
    BOOST_TEST(ms < 10000);
    BOOST_TEST(pk_test::pid_lines(out).size() == 3u, "the whole tree reported: " << out);
    BOOST_TEST(pk_test::children_after().empty(), "the whole tree is gone");
}

// A partial cancellation escalates as a timeout does: the soft signal first,
// SIGKILL only once the grace has passed. The run fails with cancelled.
BOOST_AUTO_TEST_CASE(cancel_slot_partial_sends_the_soft_signal_then_kills_after_the_grace)
{
    struct ended
    {
        error_code ec;
        pk::process_result r;
        long long ms_after_cancel = -1;
    };
    // Emits partial cancellation once `trigger` is printed (or after 300 ms).
    auto run = [](pk::command cmd, std::optional<std::string> trigger) {
        asio::io_context ctx;
        asio::cancellation_signal signal;
        std::optional<std::chrono::steady_clock::time_point> cancelled_at;
        auto cancel = [&] {
            cancelled_at = std::chrono::steady_clock::now();
            signal.emit(asio::cancellation_type::partial);
        };
        if (trigger)
            cmd.on_stdout_line([&, t = *trigger](std::string_view line) {
                if (line == t)
                    asio::post(ctx, cancel);
            });
        std::optional<ended> e;
        pk::default_runner().async_capture(
            ctx.get_executor(), std::move(cmd),
            asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, pk::process_result r) {
                e = ended{ec, std::move(r), cancelled_at ? pk_test::ms_since(*cancelled_at) : -1};
            }));
        asio::steady_timer timer(ctx, 300ms);
        if (!trigger)
            timer.async_wait([&](error_code) { cancel(); });
        ctx.run();
        BOOST_TEST_REQUIRE(e.has_value());
        return std::move(*e);
    };

    // SIGTERM ignored once "ready" is out: only the SIGKILL after the grace ends it.
    auto stubborn = run(pk_test::helper_command({"ignore-term", "30000"}).timeout_grace(400ms), "ready");
    BOOST_TEST(stubborn.ec == pk::errc::cancelled, stubborn.ec.message());
    BOOST_TEST((stubborn.r.signal() == pk::native_signal(pk::signal::kill)), "outcome " << stubborn.r.outcome);
    BOOST_TEST(stubborn.ms_after_cancel >= 350,
               "SIGKILL came only after the grace (" << stubborn.ms_after_cancel << " ms)");
    BOOST_TEST(stubborn.ms_after_cancel < 5000);

    // A child that honours the soft signal ends at once, without the grace.
    auto polite = run(pk_test::helper_command({"sleep", "30000"}).timeout_grace(20000ms), std::nullopt);
    BOOST_TEST(polite.ec == pk::errc::cancelled, polite.ec.message());
    BOOST_TEST((polite.r.signal() == pk::native_signal(pk::signal::term)), "outcome " << polite.r.outcome);
    BOOST_TEST(polite.ms_after_cancel >= 0);
    BOOST_TEST(polite.ms_after_cancel < 5000, "the 20 s grace was not waited for");
    BOOST_TEST(pk_test::children_after().empty());
}

BOOST_AUTO_TEST_CASE(cancel_slot_right_after_initiation)
{
    cancel_through_slot(asio::cancellation_type::terminal, 0ms);
}

BOOST_AUTO_TEST_CASE(one_stop_source_cancels_three_async_runs)
{
    std::stop_source stop;
    asio::io_context ctx;
    std::array<std::optional<pk::error_code>, 3> ecs;
    for (std::size_t i = 0; i < ecs.size(); ++i)
        pk::async_run(ctx.get_executor(), pk_test::helper_command({"tree", "1", "30000"}).cancel_on(stop.get_token()),
                      [&, i](pk::error_code ec, std::string) { ecs[i] = ec; });
    auto t0 = std::chrono::steady_clock::now();
    std::jthread stopper([&] {
        std::this_thread::sleep_for(300ms);
        stop.request_stop();
    });
    ctx.run();
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    for (auto& ec : ecs)
    {
        BOOST_TEST_REQUIRE(ec.has_value(), "every run completed");
        BOOST_TEST(*ec == pk::errc::cancelled);
    }
    BOOST_TEST(pk_test::children_after().empty());
}

BOOST_AUTO_TEST_CASE(cancel_output_string_through_slot)
{
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    pk::async_output_string(
        ctx.get_executor(), pk_test::helper_command({"spawn-sleeper", "30000"}),
        asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, pk::process_result) { got = ec; }));
    asio::steady_timer timer(ctx, 300ms);
    timer.async_wait([&](error_code) { signal.emit(asio::cancellation_type::terminal); });
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled, "cancellation is an error even for output_string");
    BOOST_TEST(pk_test::children_after().empty());
}

// ---------------------------------------------------------------------------
// Diagnostics, verbs, runners

BOOST_AUTO_TEST_CASE(diagnostics_overload_fills_on_failure)
{
    asio::io_context ctx;
    pk::diagnostics diag, member_diag;
    error_code e1, e2;
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"stderr-exit", "3", "boom"}), diag,
                  [&](error_code ec, std::string) { e1 = ec; });
    pk::default_runner().async_run_unit(ctx.get_executor(), pk_test::helper_command({"stderr-exit", "5", "bang"}),
                                        member_diag, [&](error_code ec) { e2 = ec; });
    ctx.run();
    BOOST_TEST(e1 == pk::errc::nonzero_exit);
    BOOST_TEST(is_processkit(e1));
    BOOST_TEST(diag.exit_code.value_or(-1000) == 3);
    BOOST_TEST(diag.stderr_tail.find("boom") != std::string::npos, diag.stderr_tail);
    BOOST_TEST(diag.program == pk_test::helper());
    BOOST_TEST(diag.message(e1).find("exited with code 3: boom") != std::string::npos, diag.message(e1));
    BOOST_TEST(e2 == pk::errc::nonzero_exit);
    BOOST_TEST(member_diag.exit_code.value_or(-1000) == 5);
    BOOST_TEST(member_diag.stderr_tail.find("bang") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(diagnostics_for_program_not_found)
{
    asio::io_context ctx;
    pk::diagnostics diag;
    error_code got;
    pk::async_exit_code(ctx.get_executor(), pk::command("pk-no-such-program-7f3a"), diag,
                        [&](error_code ec, int) { got = ec; });
    ctx.run();
    BOOST_TEST(got == pk::errc::program_not_found);
    BOOST_TEST(is_processkit(got));
    BOOST_TEST(!diag.detail.empty(), "the searched directories are listed");
    BOOST_TEST(pk_test::own_children().empty());
}

BOOST_AUTO_TEST_CASE(every_async_verb)
{
    asio::io_context ctx;
    auto ex = ctx.get_executor();
    std::optional<error_code> unit_ec, probe2_ec, empty_ec;
    std::optional<pk::process_result> checked, bytes;
    std::optional<int> code;
    std::optional<bool> probe0, probe1;
    std::optional<std::string> line;
    pk::async_run_unit(ex, pk_test::helper_command({"exit", "0"}), [&](error_code ec) { unit_ec = ec; });
    pk::async_checked(ex, pk_test::helper_command({"lines", "2"}), [&](error_code ec, pk::process_result r) {
        BOOST_TEST(!ec);
        checked = std::move(r);
    });
    pk::async_output_bytes(ex, pk_test::helper_command({"bad-utf8"}), [&](error_code ec, pk::process_result r) {
        BOOST_TEST(!ec);
        bytes = std::move(r);
    });
    pk::async_exit_code(ex, pk_test::helper_command({"exit", "9"}), [&](error_code ec, int c) {
        BOOST_TEST(!ec);
        code = c;
    });
    pk::async_probe(ex, pk_test::helper_command({"exit", "0"}), [&](error_code ec, bool b) {
        BOOST_TEST(!ec);
        probe0 = b;
    });
    pk::async_probe(ex, pk_test::helper_command({"exit", "1"}), [&](error_code ec, bool b) {
        BOOST_TEST(!ec);
        probe1 = b;
    });
    pk::async_probe(ex, pk_test::helper_command({"exit", "2"}), [&](error_code ec, bool) { probe2_ec = ec; });
    pk::async_first_line(ex, pk_test::helper_command({"lines", "5"}), [&](error_code ec, std::string s) {
        BOOST_TEST(!ec);
        line = std::move(s);
    });
    pk::async_first_line(ex, pk_test::helper_command({"exit", "0"}),
                         [&](error_code ec, std::string) { empty_ec = ec; });
    ctx.run();
    BOOST_TEST_REQUIRE(unit_ec.has_value());
    BOOST_TEST(!*unit_ec);
    BOOST_TEST_REQUIRE(checked.has_value());
    BOOST_TEST(checked->std_out == "line0\nline1\n");
    BOOST_TEST_REQUIRE(bytes.has_value());
    BOOST_TEST(bytes->std_out == "ok \xff\xfe bad\ncaf\xc3\xa9\nlatin1 caf\xe9\n");
    BOOST_TEST(code.value_or(-1000) == 9);
    BOOST_TEST(probe0.value_or(false) == true);
    BOOST_TEST(probe1.value_or(true) == false);
    BOOST_TEST_REQUIRE(probe2_ec.has_value());
    BOOST_TEST(*probe2_ec == pk::errc::unexpected_probe_code);
    BOOST_TEST(line.value_or("?") == "line0");
    BOOST_TEST_REQUIRE(empty_ec.has_value());
    BOOST_TEST(*empty_ec == pk::errc::empty_output);
}

BOOST_AUTO_TEST_CASE(async_timeouts)
{
    asio::io_context ctx;
    std::optional<error_code> run_ec;
    std::optional<pk::process_result> res;
    pk::async_run(ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}).timeout(200ms),
                  [&](error_code ec, std::string) { run_ec = ec; });
    pk::async_output_string(ctx.get_executor(), pk_test::helper_command({"spawn-sleeper", "30000"}).timeout(200ms),
                            [&](error_code ec, pk::process_result r) {
                                BOOST_TEST(!ec, "a timeout is recorded in the result");
                                res = std::move(r);
                            });
    auto t0 = std::chrono::steady_clock::now();
    ctx.run();
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    BOOST_TEST_REQUIRE(run_ec.has_value());
    BOOST_TEST(*run_ec == pk::errc::timed_out);
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->timed_out());
    BOOST_TEST(!res->code().has_value());
    BOOST_TEST(pk_test::survivors(pk_test::pid_lines(res->std_out)).empty());
}

BOOST_AUTO_TEST_CASE(member_forms_and_job_runner)
{
    asio::io_context ctx;
    pk::process_group_options o;
    o.mechanism = pk::mechanism_request::process_group;
    pk::job_runner jr(o);
    std::string a, b;
    pk::default_runner().async_run(ctx.get_executor(), pk_test::helper_command({"args", "default"}),
                                   [&](error_code ec, std::string s) {
                                       BOOST_TEST(!ec);
                                       a = s;
                                   });
    jr.async_run(ctx.get_executor(), pk_test::helper_command({"args", "job"}), [&](error_code ec, std::string s) {
        BOOST_TEST(!ec);
        b = s;
    });
    ctx.run();
    BOOST_TEST(a == "default");
    BOOST_TEST(b == "job");
}

BOOST_AUTO_TEST_CASE(many_concurrent_runs_on_a_threaded_io_context)
{
    asio::io_context ctx(2);
    std::array<std::string, 8> out;
    std::array<error_code, 8> ecs;
    for (std::size_t i = 0; i < out.size(); ++i)
        pk::async_run(ctx.get_executor(), pk_test::helper_command({"idle-then-print", "100", "r" + std::to_string(i)}),
                      [&, i](error_code ec, std::string s) {
                          ecs[i] = ec;
                          out[i] = std::move(s);
                      });
    {
        std::jthread second([&] { ctx.run(); });
        ctx.run();
    }
    for (std::size_t i = 0; i < out.size(); ++i)
    {
        BOOST_TEST(!ecs[i]);
        BOOST_TEST(out[i] == "r" + std::to_string(i));
    }
}

BOOST_AUTO_TEST_CASE(runner_is_usable_from_many_threads)
{
    std::array<std::vector<std::string>, 4> got;
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < got.size(); ++i)
            threads.emplace_back([&, i] {
                for (int j = 0; j < 5; ++j)
                {
                    auto r = pk::run(pk_test::helper_command({"args", std::to_string(i) + "-" + std::to_string(j)}));
                    got[i].push_back(r.has_value() ? r.value() : "error: " + r.error().message());
                }
            });
    }
    for (std::size_t i = 0; i < got.size(); ++i)
        for (int j = 0; j < 5; ++j)
            BOOST_TEST(got[i].at(j) == std::to_string(i) + "-" + std::to_string(j));
}

BOOST_AUTO_TEST_CASE(abandoned_run_is_torn_down_with_its_io_context)
{
    {
        asio::io_context ctx;
        pk::async_run(ctx.get_executor(), pk_test::helper_command({"tree", "1", "30000"}),
                      [](error_code, std::string) {});
        ctx.run_for(300ms);
    }
    BOOST_TEST(pk_test::children_after(5000ms).empty(), "destroying the io_context kills the run's tree");
}

BOOST_AUTO_TEST_SUITE_END()
