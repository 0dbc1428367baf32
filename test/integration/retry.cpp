// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Retries (command::retry) with real processes through the verbs: attempts
// counted by the helper itself (fail-until), the last failure reported,
// the predicates, cancellation during an attempt and during a backoff (the
// completion token's slot and cancel_on), an invalid policy, and the sync
// and async forms; then the attempts' side of the runner seam (their slot,
// inline completion, the type forwarded) with a runner that spawns nothing.

#define BOOST_TEST_MODULE retry
#include "pk_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/retry.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

// Attempts in quick succession.
pk::retry_policy quick(std::size_t attempts)
{
    pk::retry_policy p;
    p.max_attempts = attempts;
    p.initial_delay = 1ms;
    p.multiplier = 2.0;
    p.max_delay = 10ms;
    return p;
}

// One attempt, then a backoff far longer than any test.
pk::retry_policy long_backoff(std::size_t attempts = 3)
{
    pk::retry_policy p = quick(attempts);
    p.initial_delay = 30s;
    p.max_delay = 30s;
    return p;
}

// The helper failing its first `failures` runs, each counted in `state`.
pk::command fail_until(std::size_t failures, const std::string& state, std::optional<int> sleep_ms = std::nullopt)
{
    auto cmd = pk_test::helper_command({"fail-until", std::to_string(failures), state});
    if (sleep_ms)
        cmd.arg(std::to_string(*sleep_ms));
    return cmd;
}

// An optional's value for the test log; -1 when unset.
template <class T>
long long or_none(const std::optional<T>& o)
{
    return o ? static_cast<long long>(*o) : -1;
}

// How many times the helper ran against `state`.
std::size_t runs(const std::string& state)
{
    std::error_code ec;
    auto n = fs::file_size(state, ec);
    return ec ? 0 : static_cast<std::size_t>(n);
}

// Waits until the helper has run `n` times and no child of ours is left:
// that attempt is over and the op sleeps; then a little more. False if that
// never happened. (No Boost.Test assertion here: it runs on other threads too.)
bool wait_for_backoff(const std::string& state, std::size_t n)
{
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((runs(state) < n || !pk_test::own_children().empty()) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    if (runs(state) != n || !pk_test::own_children().empty())
        return false;
    std::this_thread::sleep_for(100ms);
    return runs(state) == n;
}

// Waits until the helper has started its `n`th run (it is still running).
bool wait_for_run(const std::string& state, std::size_t n)
{
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (runs(state) < n && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    return runs(state) == n;
}

const char* type_name(asio::cancellation_type t)
{
    switch (t)
    {
    case asio::cancellation_type::terminal: return "terminal";
    case asio::cancellation_type::partial: return "partial";
    case asio::cancellation_type::total: return "total";
    default: return "other";
    }
}

// What an async_checked with the diagnostics overload completed with.
struct outcome
{
    error_code ec;
    pk::process_result result;
    pk::diagnostics diag;
    long long ms_after_cancel = 0;
};

// Runs `cmd` with async_checked on its own io_context thread; once `ready`
// returns true, emits `type` on the token's slot (on that thread) and waits.
outcome cancel_async(pk::command cmd, asio::cancellation_type type, const std::function<bool()>& ready)
{
    outcome out;
    asio::cancellation_signal signal;
    std::promise<void> done;
    pk_test::io_thread io; // stopped first
    pk::async_checked(io.ctx.get_executor(), std::move(cmd), out.diag,
                      asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, pk::process_result r) {
                          out.ec = ec;
                          out.result = std::move(r);
                          done.set_value();
                      }));
    BOOST_TEST_REQUIRE(ready(), "the run reached the state to cancel in");
    auto t0 = std::chrono::steady_clock::now();
    asio::post(io.ctx, [&] { signal.emit(type); });
    auto f = done.get_future();
    BOOST_TEST_REQUIRE((f.wait_for(60s) == std::future_status::ready), "the run completed");
    out.ms_after_cancel = pk_test::ms_since(t0);
    return out;
}

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Attempts and results

BOOST_AUTO_TEST_CASE(fails_twice_then_succeeds)
{
    pk_test::temp_dir t;
    auto r = pk::checked(fail_until(2, t / "checked").retry(quick(5)));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().attempts == 3u);
    BOOST_TEST(or_none(r.value().diagnostics.attempts) == 3);
    BOOST_TEST(or_none(r.value().code()) == 0);
    BOOST_TEST(runs(t / "checked") == 3u, "exactly three runs");

    // The synchronous run_unit form.
    PK_REQUIRE_OK(pk::run_unit(fail_until(2, t / "unit").retry(quick(5))));
    BOOST_TEST(runs(t / "unit") == 3u);
}

BOOST_AUTO_TEST_CASE(no_retry_after_a_success)
{
    pk_test::temp_dir t;
    auto r = pk::checked(fail_until(0, t / "s").retry(quick(5)));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().attempts == 1u);
    BOOST_TEST(runs(t / "s") == 1u);
}

BOOST_AUTO_TEST_CASE(attempts_exhausted_report_the_last_failure)
{
    pk_test::temp_dir t;
    auto r = pk::checked(fail_until(100, t / "s").retry(quick(3)));
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(or_none(r.error().diag().attempts) == 3);
    BOOST_TEST(or_none(r.error().diag().exit_code) == 1);
    BOOST_TEST(r.error().diag().program == pk_test::helper());
    BOOST_TEST(r.error().message().find("after 3 attempts") != std::string::npos, r.error().message());
    BOOST_TEST(r.error().message().find("exited with code 1") != std::string::npos, r.error().message());
    BOOST_TEST(runs(t / "s") == 3u);

    // output_string reports a non-zero exit in the result: the attempts too.
    auto o = pk::output_string(fail_until(100, t / "o").retry(quick(4)));
    PK_REQUIRE_OK(o);
    BOOST_TEST(o.value().attempts == 4u);
    BOOST_TEST(or_none(o.value().code()) == 1);
    BOOST_TEST(runs(t / "o") == 4u);
}

BOOST_AUTO_TEST_CASE(one_attempt_policy_runs_once)
{
    pk_test::temp_dir t;
    auto r = pk::checked(fail_until(100, t / "s").retry(quick(1)));
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
    BOOST_TEST(r.error().message().find("attempts") == std::string::npos, "one attempt is not worth a mention");
    BOOST_TEST(runs(t / "s") == 1u);
}

BOOST_AUTO_TEST_CASE(the_backoff_sleeps_between_attempts)
{
    pk_test::temp_dir t;
    pk::retry_policy p;
    p.max_attempts = 3;
    p.initial_delay = 200ms;
    p.multiplier = 2.0;
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::run_unit(fail_until(100, t / "s").retry(p));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("3 attempts in " << ms << " ms");
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(ms >= 600, "200 ms, then 400 ms");
    BOOST_TEST(ms < 5000);
    BOOST_TEST(runs(t / "s") == 3u);

    // Full jitter: each delay in [0, computed], so never longer in all.
    p.full_jitter = true;
    p.seed = 1;
    t0 = std::chrono::steady_clock::now();
    PK_CHECK_ERRC(pk::run_unit(fail_until(100, t / "j").retry(p)), pk::errc::nonzero_exit);
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    BOOST_TEST(runs(t / "j") == 3u);
}

// ---------------------------------------------------------------------------
// Predicates

BOOST_AUTO_TEST_CASE(default_predicate_does_not_retry_what_cannot_change)
{
    auto missing = pk::run_unit(pk::command("pk-no-such-program-7f3a").retry(quick(5)));
    PK_CHECK_ERRC(missing, pk::errc::program_not_found);
    BOOST_TEST(or_none(missing.error().diag().attempts) == 1);
    BOOST_TEST(missing.error().diag().program == "pk-no-such-program-7f3a");

    auto cwd = pk::run_unit(pk_test::helper_command({"exit", "0"}).cwd("/pk-nonexistent-dir-7f3a").retry(quick(5)));
    PK_CHECK_ERRC(cwd, pk::errc::bad_working_directory);
    BOOST_TEST(or_none(cwd.error().diag().attempts) == 1);
}

BOOST_AUTO_TEST_CASE(default_retryable_table)
{
    pk::process_result ok;
    BOOST_TEST(!pk::default_retryable({}, ok), "a success");
    pk::process_result rejected;
    rejected.outcome = pk::run_outcome::exited(1);
    rejected.accepted = false;
    BOOST_TEST(pk::default_retryable({}, rejected));
    pk::process_result killed;
    killed.outcome = pk::run_outcome::signalled(9);
    killed.accepted = false;
    BOOST_TEST(pk::default_retryable({}, killed));
    pk::process_result late;
    late.outcome = pk::run_outcome::timed_out();
    late.accepted = false;
    BOOST_TEST(pk::default_retryable({}, late));

    pk::process_result none;
    none.accepted = false;
    BOOST_TEST(pk::default_retryable(error_code(EAGAIN, boost::system::system_category()), none), "exhausted pids");
    BOOST_TEST(pk::default_retryable(pk::errc::containment_failed, none));
    for (pk::errc e :
         {pk::errc::cancelled, pk::errc::program_not_found, pk::errc::bad_working_directory, pk::errc::invalid_argument,
          pk::errc::unsupported, pk::errc::group_closed, pk::errc::output_limit})
        BOOST_TEST(!pk::default_retryable(e, none), pk::make_error_code(e).message());
    BOOST_TEST(!pk::default_retryable(asio::error::operation_aborted, none));
    for (int exec_refused : {EACCES, ENOEXEC, EISDIR, ENOTDIR, ENAMETOOLONG, ELOOP})
        BOOST_TEST(!pk::default_retryable(error_code(exec_refused, boost::system::system_category()), none),
                   "errno " << exec_refused);
}

BOOST_AUTO_TEST_CASE(a_program_that_cannot_be_executed_is_not_retried)
{
    pk_test::temp_dir t;
    const auto script = t.path / "not-executable";
    {
        std::ofstream(script) << "#!/bin/sh\nexit 0\n";
    }
    fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
    auto r = pk::run_unit(pk::command(script.string()).retry(quick(5)));
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == boost::system::errc::permission_denied);
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
}

BOOST_AUTO_TEST_CASE(a_custom_predicate_decides)
{
    pk_test::temp_dir t;
    // It sees each failed attempt and may retry what the default would not.
    std::vector<error_code> seen;
    pk::retry_policy p = quick(3);
    p.retry_if = [&](const error_code& ec, const pk::process_result&) {
        seen.push_back(ec);
        return ec == pk::errc::program_not_found;
    };
    auto missing = pk::run_unit(pk::command("pk-no-such-program-7f3a").retry(p));
    PK_CHECK_ERRC(missing, pk::errc::program_not_found);
    BOOST_TEST(or_none(missing.error().diag().attempts) == 3);
    BOOST_TEST_REQUIRE(seen.size() >= 2u);
    for (const auto& ec : seen)
        BOOST_TEST(ec == pk::errc::program_not_found);

    // ... and may refuse what the default would retry: only exit code 2 is.
    std::vector<int> codes;
    pk::retry_policy only2 = quick(5);
    only2.retry_if = [&](const error_code& ec, const pk::process_result& r) {
        BOOST_TEST(!ec);
        codes.push_back(r.code().value_or(-1000));
        return r.code() == 2;
    };
    auto r = pk::checked(fail_until(100, t / "s").retry(only2));
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
    BOOST_TEST(runs(t / "s") == 1u);
    BOOST_TEST(codes == std::vector<int>({1}), boost::test_tools::per_element());
}

// ---------------------------------------------------------------------------
// Cancellation

BOOST_AUTO_TEST_CASE(slot_cancellation_during_the_backoff_returns_at_once)
{
    for (auto type :
         {asio::cancellation_type::terminal, asio::cancellation_type::partial, asio::cancellation_type::total})
    {
        BOOST_TEST_CONTEXT("cancellation " << type_name(type))
        {
            pk_test::temp_dir t;
            auto got = cancel_async(fail_until(100, t / "s").retry(long_backoff()), type,
                                    [&] { return wait_for_backoff(t / "s", 1); });
            BOOST_TEST_MESSAGE(type_name(type) << ": completed " << got.ms_after_cancel << " ms after the cancel");
            BOOST_TEST(got.ec == pk::errc::cancelled, got.ec.message());
            BOOST_TEST(got.ms_after_cancel < 1000);
            BOOST_TEST(or_none(got.diag.attempts) == 1);
            BOOST_TEST(or_none(got.diag.exit_code) == 1, "the last attempt's result is kept");
            BOOST_TEST(got.diag.step.find("backoff") != std::string::npos, got.diag.step);
            BOOST_TEST(got.diag.message(got.ec).find("cancel") != std::string::npos, got.diag.message(got.ec));
            std::this_thread::sleep_for(200ms);
            BOOST_TEST(runs(t / "s") == 1u, "no attempt after the cancellation");
            BOOST_TEST(pk_test::own_children().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(slot_cancellation_during_the_backoff_after_two_attempts)
{
    pk_test::temp_dir t;
    // 1 ms, then 30 s: the cancel lands in the second backoff.
    pk::retry_policy p = quick(4);
    p.multiplier = 30000000.0;
    p.max_delay = 30s;
    auto got = cancel_async(fail_until(100, t / "s").retry(p), asio::cancellation_type::terminal,
                            [&] { return wait_for_backoff(t / "s", 2); });
    BOOST_TEST(got.ec == pk::errc::cancelled, got.ec.message());
    BOOST_TEST(got.ms_after_cancel < 1000);
    BOOST_TEST(or_none(got.diag.attempts) == 2);
    BOOST_TEST(got.diag.message(got.ec).find("after 2 attempts") != std::string::npos, got.diag.message(got.ec));
    BOOST_TEST(runs(t / "s") == 2u);
}

BOOST_AUTO_TEST_CASE(cancel_on_stop_during_the_backoff_returns_at_once)
{
    pk_test::temp_dir t;
    std::stop_source stop;
    std::chrono::steady_clock::time_point stopped_at{};
    bool in_backoff = false;
    std::jthread stopper([&] {
        in_backoff = wait_for_backoff(t / "s", 1);
        stopped_at = std::chrono::steady_clock::now();
        stop.request_stop();
    });
    auto r = pk::run_unit(fail_until(100, t / "s").retry(long_backoff()).cancel_on(stop.get_token()));
    auto ms = pk_test::ms_since(stopped_at);
    stopper.join();
    BOOST_TEST(in_backoff, "the stop came during the backoff");
    BOOST_TEST_MESSAGE("completed " << ms << " ms after the stop");
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(ms < 1000);
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
    BOOST_TEST(runs(t / "s") == 1u);
}

BOOST_AUTO_TEST_CASE(a_stopped_token_spawns_nothing)
{
    pk_test::temp_dir t;
    std::stop_source stop;
    stop.request_stop();
    auto r = pk::run_unit(fail_until(100, t / "s").retry(quick(3)).cancel_on(stop.get_token()));
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(!fs::exists(t / "s"), "nothing ran");
}

BOOST_AUTO_TEST_CASE(cancel_on_stop_during_an_attempt_is_not_retried)
{
    pk_test::temp_dir t;
    std::stop_source stop;
    bool started = false;
    std::jthread stopper([&] {
        started = wait_for_run(t / "s", 1);
        stop.request_stop();
    });
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::run_unit(fail_until(100, t / "s", 30000).retry(quick(3)).cancel_on(stop.get_token()));
    stopper.join();
    BOOST_TEST(started, "the stop came during the attempt");
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
    BOOST_TEST(runs(t / "s") == 1u);
}

// Terminal and partial reach the running attempt, which ends cancelled and
// is not retried, even by a predicate that retries everything.
BOOST_AUTO_TEST_CASE(slot_cancellation_during_an_attempt_reaches_it)
{
    for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial})
    {
        BOOST_TEST_CONTEXT("cancellation " << type_name(type))
        {
            pk_test::temp_dir t;
            pk::retry_policy p = quick(3);
            p.retry_if = [](const error_code&, const pk::process_result&) { return true; };
            auto got =
                cancel_async(fail_until(100, t / "s", 30000).retry(p), type, [&] { return wait_for_run(t / "s", 1); });
            BOOST_TEST(got.ec == pk::errc::cancelled, got.ec.message());
            BOOST_TEST(got.ms_after_cancel < 5000);
            BOOST_TEST(or_none(got.diag.attempts) == 1);
            BOOST_TEST(runs(t / "s") == 1u, "a cancelled attempt is never retried");
        }
    }
}

// Total cancellation is refused once the child runs (as without a retry):
// the attempt goes on to its end, then no retry follows.
BOOST_AUTO_TEST_CASE(refused_total_cancellation_still_stops_the_retries)
{
    pk_test::temp_dir t;
    auto got = cancel_async(fail_until(100, t / "s", 700).retry(long_backoff()), asio::cancellation_type::total,
                            [&] { return wait_for_run(t / "s", 1); });
    BOOST_TEST_MESSAGE("completed " << got.ms_after_cancel << " ms after the cancel");
    BOOST_TEST(got.ec == pk::errc::cancelled, got.ec.message());
    BOOST_TEST(got.ms_after_cancel >= 300, "the attempt was not cut short");
    BOOST_TEST(got.ms_after_cancel < 5000, "and no 30 s backoff followed");
    BOOST_TEST(or_none(got.diag.attempts) == 1);
    BOOST_TEST(or_none(got.diag.exit_code) == 1, "the attempt ran to its end");
    BOOST_TEST(runs(t / "s") == 1u);
}

// A cancellation emitted before the io_context runs: nothing is spawned.
BOOST_AUTO_TEST_CASE(slot_cancellation_before_the_first_attempt)
{
    pk_test::temp_dir t;
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    pk::process_result res;
    pk::async_checked(ctx.get_executor(), fail_until(0, t / "s").retry(quick(3)),
                      asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, pk::process_result r) {
                          got = ec;
                          res = std::move(r);
                      }));
    signal.emit(asio::cancellation_type::total);
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled, got->message());
    BOOST_TEST(!fs::exists(t / "s"), "nothing ran");
}

// ---------------------------------------------------------------------------
// Invalid policies

BOOST_AUTO_TEST_CASE(invalid_policy_spawns_nothing)
{
    struct bad
    {
        pk::retry_policy policy;
        std::string field;
    };
    std::vector<bad> cases;
    auto add = [&](std::string field, auto change) {
        pk::retry_policy p;
        change(p);
        cases.push_back({p, field});
    };
    add("max_attempts", [](pk::retry_policy& p) { p.max_attempts = 0; });
    add("multiplier", [](pk::retry_policy& p) { p.multiplier = 0.5; });
    add("multiplier", [](pk::retry_policy& p) { p.multiplier = std::numeric_limits<double>::quiet_NaN(); });
    add("multiplier", [](pk::retry_policy& p) { p.multiplier = std::numeric_limits<double>::infinity(); });
    add("initial_delay", [](pk::retry_policy& p) { p.initial_delay = -1ms; });
    add("max_delay", [](pk::retry_policy& p) { p.max_delay = -1ms; });
    for (const auto& c : cases)
    {
        BOOST_TEST_CONTEXT("bad " << c.field)
        {
            pk_test::temp_dir t;
            auto r = pk::run_unit(fail_until(0, t / "s").retry(c.policy));
            PK_CHECK_ERRC(r, pk::errc::invalid_argument);
            BOOST_TEST(r.error().diag().step == "validate command");
            BOOST_TEST(r.error().diag().detail.find(c.field) != std::string::npos, r.error().diag().detail);
            BOOST_TEST(r.error().message().find(c.field) != std::string::npos, r.error().message());
            BOOST_TEST(!fs::exists(t / "s"), "nothing spawned");
            BOOST_TEST(pk_test::own_children().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_policy_completes_later_on_the_handlers_executor)
{
    pk_test::temp_dir t;
    asio::io_context ctx;
    auto strand = asio::make_strand(ctx);
    pk::retry_policy p;
    p.max_attempts = 0;
    std::optional<error_code> got;
    bool on_strand = false;
    pk::async_run_unit(ctx.get_executor(), fail_until(0, t / "s").retry(p),
                       asio::bind_executor(strand, [&](error_code ec) {
                           got = ec;
                           on_strand = strand.running_in_this_thread();
                       }));
    BOOST_TEST(!got.has_value(), "not inside the initiating call");
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::invalid_argument, got->message());
    BOOST_TEST(on_strand, "on the handler's own executor");
    BOOST_TEST(!fs::exists(t / "s"));
}

// ---------------------------------------------------------------------------
// Async forms

BOOST_AUTO_TEST_CASE(async_callback)
{
    pk_test::temp_dir t;
    asio::io_context ctx;
    auto strand = asio::make_strand(ctx);
    std::optional<pk::process_result> res;
    bool on_strand = false;
    pk::async_checked(ctx.get_executor(), fail_until(2, t / "s").retry(quick(5)),
                      asio::bind_executor(strand, [&](error_code ec, pk::process_result r) {
                          BOOST_TEST(!ec, ec.message());
                          on_strand = strand.running_in_this_thread();
                          res = std::move(r);
                      }));
    BOOST_TEST(!res.has_value());
    ctx.run();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->attempts == 3u);
    BOOST_TEST(on_strand);
    BOOST_TEST(runs(t / "s") == 3u);

    // A failure with the diagnostics overload.
    pk::diagnostics diag;
    std::optional<error_code> err;
    pk::async_run(ctx.get_executor(), fail_until(100, t / "f").retry(quick(2)), diag,
                  [&](error_code ec, std::string) { err = ec; });
    ctx.restart();
    ctx.run();
    BOOST_TEST_REQUIRE(err.has_value());
    BOOST_TEST(*err == pk::errc::nonzero_exit);
    BOOST_TEST(or_none(diag.attempts) == 2);
    BOOST_TEST(runs(t / "f") == 2u);
}

BOOST_AUTO_TEST_CASE(async_use_future)
{
    pk_test::temp_dir t;
    pk_test::io_thread io;
    auto ok = pk::async_checked(io.ctx.get_executor(), fail_until(2, t / "ok").retry(quick(5)), asio::use_future);
    auto bad = pk::async_checked(io.ctx.get_executor(), fail_until(100, t / "bad").retry(quick(2)), asio::use_future);
    BOOST_TEST(ok.get().attempts == 3u);
    BOOST_CHECK_EXCEPTION(bad.get(), boost::system::system_error,
                          [](const boost::system::system_error& e) { return e.code() == pk::errc::nonzero_exit; });
    BOOST_TEST(runs(t / "ok") == 3u);
    BOOST_TEST(runs(t / "bad") == 2u);
}

BOOST_AUTO_TEST_CASE(async_deferred)
{
    pk_test::temp_dir t;
    asio::io_context ctx;
    auto op = pk::async_checked(ctx.get_executor(), fail_until(1, t / "s").retry(quick(3)), asio::deferred);
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(!fs::exists(t / "s"), "nothing runs before the deferred operation is invoked");
    std::optional<pk::process_result> res;
    std::move(op)([&](error_code ec, pk::process_result r) {
        BOOST_TEST(!ec, ec.message());
        res = std::move(r);
    });
    ctx.run();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->attempts == 2u);
    BOOST_TEST(runs(t / "s") == 2u);
}

// Several retried runs at once on a multi-threaded io_context, each with
// its own state file: no interference, every count exact.
BOOST_AUTO_TEST_CASE(concurrent_retried_runs)
{
    pk_test::temp_dir t;
    asio::io_context ctx;
    constexpr int n = 4;
    std::vector<std::future<pk::process_result>> futures;
    for (int i = 0; i < n; ++i)
        futures.push_back(pk::async_checked(
            ctx.get_executor(), fail_until(static_cast<std::size_t>(i), t / std::to_string(i)).retry(quick(5)),
            asio::use_future));
    std::vector<std::jthread> threads;
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&] { ctx.run(); });
    for (int i = 0; i < n; ++i)
    {
        auto r = futures[static_cast<std::size_t>(i)].get();
        BOOST_TEST(r.attempts == static_cast<std::size_t>(i) + 1);
        BOOST_TEST(runs(t / std::to_string(i)) == static_cast<std::size_t>(i) + 1);
    }
}

// ---------------------------------------------------------------------------
// The attempts' side of the seam, with a runner that spawns nothing

namespace {

// Answers capture k with replies[k] (the last one again past the end),
// inline or posted; records whether each attempt's handler had a connected
// cancellation slot; with `hold`, keeps the handler until its slot is
// emitted, then answers cancelled and records the type.
class scripted_runner final : public pk::process_runner
{
public:
    struct reply
    {
        error_code ec;
        pk::process_result result;
    };
    std::vector<reply> replies;
    bool inline_reply = false;
    bool hold = false;
    int calls = 0;
    std::vector<bool> slot_connected;
    std::vector<asio::cancellation_type> cancels_seen;

    void async_capture(asio::any_io_executor ex, pk::command,
                       asio::any_completion_handler<void(error_code, pk::process_result)> h) override
    {
        auto slot = asio::get_associated_cancellation_slot(h);
        slot_connected.push_back(slot.is_connected());
        reply rep = replies.at(std::min<std::size_t>(static_cast<std::size_t>(calls), replies.size() - 1));
        ++calls;
        if (hold)
        {
            // emplace, not assignment: Asio 1.81's any_completion_handler
            // move assignment recurses without end.
            held_.emplace(std::move(h));
            slot.assign([this, ex](asio::cancellation_type type) {
                cancels_seen.push_back(type);
                asio::post(ex, [this] {
                    auto held = std::move(*held_);
                    held_.reset();
                    asio::get_associated_cancellation_slot(held).clear();
                    std::move(held)(pk::errc::cancelled, pk::process_result{});
                });
            });
            return;
        }
        if (inline_reply)
            return std::move(h)(rep.ec, std::move(rep.result));
        asio::post(ex, [h = std::move(h), rep]() mutable { std::move(h)(rep.ec, std::move(rep.result)); });
    }
    pk::result<pk::running_process> start(asio::any_io_executor, pk::command) override
    {
        return pk::error(pk::errc::unsupported);
    }

private:
    std::optional<asio::any_completion_handler<void(error_code, pk::process_result)>> held_;
};

scripted_runner::reply exit_with(int code)
{
    scripted_runner::reply r;
    r.result.outcome = pk::run_outcome::exited(code);
    r.result.accepted = code == 0;
    r.result.diagnostics.program = "scripted";
    r.result.diagnostics.exit_code = code;
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(attempts_carry_a_slot_and_may_complete_inline)
{
    for (bool inline_reply : {false, true})
    {
        BOOST_TEST_CONTEXT((inline_reply ? "inline" : "posted") << " replies")
        {
            scripted_runner runner;
            runner.inline_reply = inline_reply;
            runner.replies = {exit_with(1), exit_with(1), exit_with(0), exit_with(1)};
            asio::io_context ctx;
            std::optional<pk::process_result> res;
            runner.async_checked(ctx.get_executor(), pk::command("scripted").retry(quick(5)),
                                 [&](error_code ec, pk::process_result r) {
                                     BOOST_TEST(!ec, ec.message());
                                     res = std::move(r);
                                 });
            BOOST_TEST(runner.calls == 0, "nothing runs inside the initiating call");
            BOOST_TEST(!res.has_value());
            ctx.run();
            BOOST_TEST_REQUIRE(res.has_value());
            BOOST_TEST(res->attempts == 3u);
            BOOST_TEST(runner.calls == 3);
            BOOST_TEST(runner.slot_connected == std::vector<bool>(3, true), boost::test_tools::per_element());
        }
    }
}

// An attempt that ends cancelled on its own (no cancellation of ours) is
// final, even for a predicate that retries everything.
BOOST_AUTO_TEST_CASE(a_cancelled_attempt_is_never_retried)
{
    scripted_runner runner;
    scripted_runner::reply cancelled;
    cancelled.ec = pk::errc::cancelled;
    runner.replies = {cancelled};
    pk::retry_policy p = quick(5);
    int asked = 0;
    p.retry_if = [&](const error_code&, const pk::process_result&) {
        ++asked;
        return true;
    };
    auto r = runner.run_unit(pk::command("scripted").retry(p));
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(runner.calls == 1);
    BOOST_TEST(asked == 0, "the predicate is not even asked");
    BOOST_TEST(or_none(r.error().diag().attempts) == 1);
}

// The handler's slot reaches the running attempt with the very type emitted.
BOOST_AUTO_TEST_CASE(the_attempt_sees_the_emitted_type)
{
    for (auto type :
         {asio::cancellation_type::terminal, asio::cancellation_type::partial, asio::cancellation_type::total})
    {
        BOOST_TEST_CONTEXT("cancellation " << type_name(type))
        {
            scripted_runner runner;
            runner.hold = true;
            runner.replies = {exit_with(1)};
            asio::io_context ctx;
            asio::cancellation_signal signal;
            std::optional<error_code> got;
            runner.async_run_unit(ctx.get_executor(), pk::command("scripted").retry(quick(5)),
                                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec) { got = ec; }));
            // Once the attempt holds its handler, emit.
            asio::steady_timer timer(ctx, 20ms);
            timer.async_wait([&](error_code) {
                BOOST_TEST(runner.calls == 1);
                signal.emit(type);
            });
            ctx.run();
            BOOST_TEST_REQUIRE(got.has_value());
            BOOST_TEST(*got == pk::errc::cancelled, got->message());
            BOOST_TEST_REQUIRE(runner.cancels_seen.size() == 1u);
            BOOST_TEST((runner.cancels_seen[0] == type), type_name(runner.cancels_seen[0]));
            BOOST_TEST(runner.calls == 1);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
