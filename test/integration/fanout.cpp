// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Bounded fan-out (output_all, output_all_bytes, output_stream): the
// concurrency bound observed at the runner seam and in /proc, input order,
// per-entry outcomes, every completion token, cancellation (no process left),
// the stream's completion order, and a test double serving it all without
// spawning.

#define BOOST_TEST_MODULE fanout
#include "pk_test.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/output_all.hpp>
#include <boost/processkit/process_runner.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

using entries = std::vector<pk::result<pk::process_result>>;
using capture_handler = asio::any_completion_handler<void(error_code, pk::process_result)>;

const std::string marker_name = "PK_FANOUT_MARK";

/// A marker value no other test run shares.
std::string unique_marker()
{
    static int n = 0;
    return "fanout-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

/// How many of this process's children run a program whose environment
/// holds `marker_name=marker` (zombies have none, and a child between fork
/// and exec still has ours: neither counts).
int count_marked(const std::string& marker)
{
    const std::string want = marker_name + "=" + marker;
    int n = 0;
    for (int pid : pk_test::own_children())
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
        std::string var;
        while (std::getline(in, var, '\0'))
            if (var == want)
            {
                ++n;
                break;
            }
    }
    return n;
}

/// Samples, on its own thread until stopped, how many marked helpers are alive at once.
class alive_sampler
{
public:
    explicit alive_sampler(std::string marker) : marker_(std::move(marker)) {}
    ~alive_sampler() { stop(); }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    int max() const { return max_; }
    long samples() const { return samples_; }

private:
    void loop()
    {
        while (!stop_)
        {
            max_ = std::max(max_.load(), count_marked(marker_));
            ++samples_;
            std::this_thread::sleep_for(1ms); // the sampling period
        }
    }
    std::string marker_;
    std::atomic<bool> stop_{false};
    std::atomic<int> max_{0};
    std::atomic<long> samples_{0};
    std::thread thread_{[this] { loop(); }};
};

/// A job_runner that counts the captures in flight at its seam (keeping
/// each handler's executor and cancellation slot).
class counting_runner final : public pk::process_runner
{
public:
    void async_capture(asio::any_io_executor ex, pk::command cmd, capture_handler h) override
    {
        {
            std::lock_guard<std::mutex> lk(mu_);
            ++total_;
            peak_ = std::max(peak_, ++alive_);
        }
        auto slot = asio::get_associated_cancellation_slot(h);
        auto hex = asio::get_associated_executor(h, ex);
        inner_.async_capture(
            ex, std::move(cmd),
            asio::bind_cancellation_slot(
                slot, asio::bind_executor(hex, [this, h = std::move(h)](error_code ec, pk::process_result r) mutable {
                    {
                        std::lock_guard<std::mutex> lk(mu_);
                        --alive_;
                    }
                    std::move(h)(ec, std::move(r));
                })));
    }
    pk::result<pk::running_process> start(asio::any_io_executor ex, pk::command cmd) override
    {
        return inner_.start(std::move(ex), std::move(cmd));
    }
    int peak() const
    {
        std::lock_guard<std::mutex> lk(mu_);
        return peak_;
    }
    int alive() const
    {
        std::lock_guard<std::mutex> lk(mu_);
        return alive_;
    }
    int total() const
    {
        std::lock_guard<std::mutex> lk(mu_);
        return total_;
    }

private:
    pk::job_runner inner_;
    mutable std::mutex mu_;
    int alive_ = 0, peak_ = 0, total_ = 0;
};

pk::process_result canned(int code, std::string out)
{
    pk::process_result r;
    r.outcome = pk::run_outcome::exited(code);
    r.accepted = code == 0;
    r.std_out = std::move(out);
    return r;
}

/// A test double that spawns nothing: it holds every capture until the test
/// replies to it (then posts the canned result on the handler's executor),
/// and a cancellation on a capture's slot is recorded and answered with
/// errc::cancelled. Single-threaded use (one io_context run by the test).
class held_runner final : public pk::process_runner
{
public:
    struct held
    {
        std::string program;
        asio::any_io_executor ex;
        std::optional<capture_handler> handler;
    };

    std::vector<std::string> programs;            ///< every capture asked for, in order
    std::vector<std::shared_ptr<held>> pending;   ///< not replied to yet, oldest first
    std::vector<asio::cancellation_type> cancels; ///< received on the captures' slots
    std::size_t peak = 0;

    void async_capture(asio::any_io_executor ex, pk::command cmd, capture_handler h) override
    {
        programs.push_back(cmd.program());
        auto c = std::make_shared<held>(held{cmd.program(), ex, std::nullopt});
        auto slot = asio::get_associated_cancellation_slot(h);
        c->handler.emplace(std::move(h));
        if (slot.is_connected())
            slot.assign([this, weak = std::weak_ptr<held>(c)](asio::cancellation_type type) {
                cancels.push_back(type);
                if (auto c = weak.lock(); c && c->handler)
                    reply(c, make_error_code(pk::errc::cancelled), canned(0, ""));
            });
        pending.push_back(c);
        peak = std::max(peak, pending.size());
    }
    pk::result<pk::running_process> start(asio::any_io_executor, pk::command) override
    {
        return pk::error(pk::errc::unsupported);
    }

    /// Completes `c` with (ec, r), posted on its handler's executor.
    void reply(std::shared_ptr<held> c, error_code ec, pk::process_result r)
    {
        pending.erase(std::find(pending.begin(), pending.end(), c));
        auto h = std::move(*c->handler);
        c->handler.reset();
        // Never inside the caller: posted, then on the handler's own executor.
        asio::post(c->ex, [h = std::move(h), ex = c->ex, ec, r = std::move(r)]() mutable {
            auto hex = asio::get_associated_executor(h, ex);
            asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
        });
    }
    /// Completes `c` successfully, its stdout "<program> out".
    void reply_ok(std::shared_ptr<held> c)
    {
        auto out = c->program + " out";
        reply(std::move(c), {}, canned(0, std::move(out)));
    }
};

std::vector<pk::command> programs(std::size_t n)
{
    std::vector<pk::command> cmds;
    for (std::size_t i = 0; i < n; ++i)
        cmds.emplace_back("prog" + std::to_string(i));
    return cmds;
}

/// `print-sleep TEXT MS`.
pk::command print_sleep(const std::string& text, int ms)
{
    return pk_test::helper_command({"print-sleep", text, std::to_string(ms)});
}

/// Runs every handler ready on `ctx`, and those they make ready, then
/// returns. (The double holds handlers without holding work: once ctx has
/// run out of work it is stopped, and must be restarted.)
void settle(asio::io_context& ctx)
{
    ctx.restart();
    ctx.poll();
}

// Rethrows what a coroutine threw, so the test sees it.
struct rethrow
{
    std::exception_ptr* out;
    void operator()(std::exception_ptr e) const { *out = e; }
};

/// Every entry is errc::cancelled.
void check_all_cancelled(const entries& v, std::size_t from = 0)
{
    for (std::size_t i = from; i < v.size(); ++i)
    {
        BOOST_TEST_CONTEXT("entry " << i) { PK_CHECK_ERRC(v[i], pk::errc::cancelled); }
    }
}

/// A batch of sleepers (print "ready", then sleep 30 s), cancelled with
/// `type` once three of them have printed: completes at once, cancelled,
/// and leaves no process.
void cancel_sleepers(asio::cancellation_type type)
{
    asio::io_context ctx;
    asio::cancellation_signal signal;
    int ready = 0;
    std::optional<std::chrono::steady_clock::time_point> cancelled_at;
    std::vector<pk::command> cmds;
    for (int i = 0; i < 6; ++i)
        cmds.push_back(print_sleep("ready", 30000).on_stdout_line([&](std::string_view line) {
            if (line == "ready" && ++ready == 3)
                asio::post(ctx, [&] {
                    cancelled_at = std::chrono::steady_clock::now();
                    signal.emit(type);
                });
        }));
    std::optional<error_code> got;
    entries v;
    long long ms = -1;
    pk::async_output_all(ctx.get_executor(), cmds, 3,
                         asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, entries e) {
                             ms = cancelled_at ? pk_test::ms_since(*cancelled_at) : -1;
                             got = ec;
                             v = std::move(e);
                         }));
    ctx.run();
    BOOST_TEST_MESSAGE("completed " << ms << " ms after the cancellation");
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled, got->message());
    BOOST_TEST(ms >= 0, "the cancellation was emitted");
    BOOST_TEST(ms < 1000, "the batch stopped at once");
    BOOST_TEST(ready == 3, "nothing started after the cancellation");
    BOOST_TEST_REQUIRE(v.size() == 6u);
    check_all_cancelled(v);
    for (std::size_t i = 3; i < v.size(); ++i)
    {
        BOOST_TEST(v[i].error().diag().program == pk_test::helper());
        BOOST_TEST(v[i].error().diag().detail.find("not started") != std::string::npos);
    }
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Real processes

BOOST_AUTO_TEST_CASE(two_hundred_commands_at_most_eight_alive_results_in_input_order)
{
    counting_runner runner;
    const std::string marker = unique_marker();
    const std::size_t n = 200, missing = 100;
    std::vector<pk::command> cmds;
    for (std::size_t i = 0; i < n; ++i)
        if (i == missing)
            cmds.emplace_back("pk-no-such-program-fanout-7f3a");
        else
            cmds.push_back(print_sleep("entry " + std::to_string(i), 40).env(marker_name, marker));
    alive_sampler sampler(marker);
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_all(runner, cmds, 8);
    auto ms = pk_test::ms_since(t0);
    sampler.stop();
    BOOST_TEST_MESSAGE("200 commands in " << ms << " ms; at most " << runner.peak() << " in flight at the seam, "
                                          << sampler.max() << " alive in /proc (" << sampler.samples() << " samples)");
    PK_REQUIRE_OK(r);
    const auto& v = r.value();
    BOOST_TEST_REQUIRE(v.size() == n);
    for (std::size_t i = 0; i < n; ++i)
    {
        BOOST_TEST_CONTEXT("entry " << i)
        {
            if (i == missing)
            {
                PK_CHECK_ERRC(v[i], pk::errc::program_not_found);
                BOOST_TEST(v[i].error().diag().program == "pk-no-such-program-fanout-7f3a");
                continue;
            }
            PK_REQUIRE_OK(v[i]);
            BOOST_TEST(v[i].value().std_out == "entry " + std::to_string(i) + "\n");
            BOOST_TEST(v[i].value().success());
        }
    }
    BOOST_TEST(runner.total() == static_cast<int>(n), "every command went through the runner once");
    BOOST_TEST(runner.alive() == 0);
    BOOST_TEST(runner.peak() <= 8, "at most 8 captures in flight at the seam");
    BOOST_TEST(runner.peak() >= 2, "more than one at a time: the bound was exercised");
    BOOST_TEST(sampler.max() <= 8, "at most 8 helpers alive at any sample");
    BOOST_TEST(sampler.max() >= 2, "the sampler saw helpers run side by side");
    // 200 runs of 40 ms, 8 at a time, take 1 s or more; one at a time, 8 s.
    BOOST_TEST(ms < 60000);
}

BOOST_AUTO_TEST_CASE(a_timeout_or_a_failure_in_one_entry_loses_no_other)
{
    asio::io_context ctx;
    std::vector<pk::command> cmds = {
        pk_test::helper_command({"args", "first"}),
        pk_test::helper_command({"spawn-sleeper", "30000"}).timeout(200ms),
        pk_test::helper_command({"stderr-exit", "3", "boom"}),
        pk_test::helper_command({"kill-self", "15"}),
        pk_test::helper_command({"lines", "3"}),
    };
    std::optional<error_code> got;
    entries v;
    int calls = 0;
    pk::async_output_all(ctx.get_executor(), cmds, 2, [&](error_code ec, entries e) {
        ++calls;
        got = ec;
        v = std::move(e);
    });
    auto t0 = std::chrono::steady_clock::now();
    ctx.run();
    BOOST_TEST(pk_test::ms_since(t0) < 10000);
    BOOST_TEST(calls == 1);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(!*got, got->message());
    BOOST_TEST_REQUIRE(v.size() == 5u);
    for (auto& e : v)
        PK_REQUIRE_OK(e);
    BOOST_TEST(v[0].value().std_out == "first\n");
    BOOST_TEST(v[1].value().timed_out(), "the timeout is recorded in its own entry");
    BOOST_TEST(pk_test::survivors(pk_test::pid_lines(v[1].value().std_out)).empty(), "its tree is gone");
    BOOST_TEST(v[2].value().code().value_or(-1000) == 3);
    BOOST_TEST(v[2].value().std_err == "boom\n");
    BOOST_TEST((v[3].value().signal() == pk::native_signal(pk::signal::term)));
    BOOST_TEST(v[4].value().std_out == "line0\nline1\nline2\n");
}

BOOST_AUTO_TEST_CASE(output_all_bytes_keeps_raw_bytes_and_output_all_decodes)
{
    const std::string raw = "ok \xff\xfe bad\ncaf\xc3\xa9\nlatin1 caf\xe9\n";
    std::vector<pk::command> cmds = {pk_test::helper_command({"bad-utf8"}),
                                     pk_test::helper_command({"bytes", "300000"})};
    auto bytes = pk::output_all_bytes(cmds, 2);
    auto text = pk::output_all(cmds, 2);
    PK_REQUIRE_OK(bytes);
    PK_REQUIRE_OK(text);
    BOOST_TEST_REQUIRE(bytes.value().size() == 2u);
    BOOST_TEST_REQUIRE(text.value().size() == 2u);
    PK_REQUIRE_OK(bytes.value()[0]);
    PK_REQUIRE_OK(bytes.value()[1]);
    PK_REQUIRE_OK(text.value()[0]);
    BOOST_TEST(bytes.value()[0].value().std_out == raw, "raw bytes, undecoded");
    const auto& pattern = bytes.value()[1].value().std_out;
    BOOST_TEST(pattern.size() == 300000u);
    BOOST_TEST(pk_test::pattern_mismatch(pattern) == pattern.size());
    const auto& decoded = text.value()[0].value().std_out;
    BOOST_TEST(decoded != raw);
    BOOST_TEST(decoded.find("\xff") == std::string::npos, "text entries are valid UTF-8");
    BOOST_TEST(decoded.find(pk_test::fffd) != std::string::npos, decoded);
    BOOST_TEST(decoded.find("caf\xc3\xa9") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(use_future_and_the_default_runner_overloads)
{
    pk_test::io_thread io;
    auto ex = io.ctx.get_executor();
    std::vector<pk::command> cmds = {pk_test::helper_command({"args", "a"}), pk_test::helper_command({"exit", "4"}),
                                     pk::command("pk-no-such-program-fanout-7f3a")};
    auto text = pk::async_output_all(ex, cmds, 2, asio::use_future);
    auto bytes = pk::async_output_all_bytes(pk::default_runner(), ex, cmds, 1, asio::use_future);
    auto bad = pk::async_output_all(ex, cmds, 0, asio::use_future);
    for (auto* f : {&text, &bytes})
    {
        auto v = f->get();
        BOOST_TEST_REQUIRE(v.size() == 3u);
        PK_REQUIRE_OK(v[0]);
        BOOST_TEST(v[0].value().std_out == "a\n");
        PK_REQUIRE_OK(v[1]);
        BOOST_TEST(v[1].value().code().value_or(-1000) == 4, "a non-zero exit is a result, not an error");
        PK_CHECK_ERRC(v[2], pk::errc::program_not_found);
    }
    BOOST_CHECK_EXCEPTION(bad.get(), boost::system::system_error,
                          [](const boost::system::system_error& e) { return e.code() == pk::errc::invalid_argument; });
}

BOOST_AUTO_TEST_CASE(co_await_with_deferred_and_use_awaitable)
{
    asio::io_context ctx;
    std::exception_ptr failure;
    // Built outside the coroutine: g++ 12 miscompiles initializer_list temporaries across co_await.
    const std::vector<pk::command> cmds = {pk_test::helper_command({"args", "x"}),
                                           pk_test::helper_command({"args", "y"}),
                                           pk_test::helper_command({"bad-utf8"})};
    entries deferred_v, awaitable_v;
    error_code tuple_ec;
    std::vector<std::size_t> streamed;
    error_code stream_end;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            deferred_v = co_await pk::async_output_all(pk::default_runner(), ex, cmds, 2); // asio::deferred
            auto [ec, v] = co_await pk::async_output_all_bytes(ex, cmds, 3, asio::as_tuple(asio::use_awaitable));
            tuple_ec = ec;
            awaitable_v = std::move(v);
            pk::output_stream s(ex, cmds, 2);
            for (;;)
            {
                auto [e, r] = co_await s.async_next(asio::as_tuple(asio::use_awaitable));
                if (e)
                {
                    stream_end = e;
                    break;
                }
                streamed.push_back(r.index);
            }
        },
        rethrow{&failure});
    ctx.run();
    if (failure)
        std::rethrow_exception(failure);
    BOOST_TEST_REQUIRE(deferred_v.size() == 3u);
    BOOST_TEST(deferred_v[1].value().std_out == "y\n");
    BOOST_TEST(deferred_v[2].value().std_out.find(pk_test::fffd) != std::string::npos);
    BOOST_TEST(!tuple_ec);
    BOOST_TEST_REQUIRE(awaitable_v.size() == 3u);
    BOOST_TEST(awaitable_v[0].value().std_out == "x\n");
    BOOST_TEST(awaitable_v[2].value().std_out.find("\xff") != std::string::npos, "raw bytes");
    std::sort(streamed.begin(), streamed.end());
    BOOST_TEST((streamed == std::vector<std::size_t>{0, 1, 2}), "every entry came out once");
    BOOST_TEST(stream_end == pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_CASE(cancel_terminal_stops_the_batch_at_once) { cancel_sleepers(asio::cancellation_type::terminal); }

BOOST_AUTO_TEST_CASE(cancel_partial_stops_the_batch_at_once) { cancel_sleepers(asio::cancellation_type::partial); }

BOOST_AUTO_TEST_CASE(cancel_right_after_initiation_starts_nothing)
{
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::vector<pk::command> cmds(5, print_sleep("never", 30000));
    std::optional<error_code> got;
    entries v;
    pk::async_output_all(ctx.get_executor(), cmds, 2,
                         asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, entries e) {
                             got = ec;
                             v = std::move(e);
                         }));
    signal.emit(asio::cancellation_type::terminal);
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled);
    BOOST_TEST_REQUIRE(v.size() == 5u);
    check_all_cancelled(v);
    for (auto& e : v)
        BOOST_TEST(e.error().diag().detail.find("not started") != std::string::npos);
    BOOST_TEST(pk_test::own_children().empty());
}

BOOST_AUTO_TEST_CASE(output_stream_comes_in_completion_order_then_end_of_stream)
{
    pk_test::io_thread io;
    // Entry i sleeps (3 - i) * 500 ms: with all four running at once they finish in reverse order.
    std::vector<pk::command> cmds;
    for (int i = 0; i < 4; ++i)
        cmds.push_back(print_sleep("entry " + std::to_string(i), (3 - i) * 500));
    pk::output_stream s(io.ctx.get_executor(), cmds, 4);
    BOOST_TEST(s.size() == 4u);
    std::vector<std::size_t> order;
    for (int k = 0; k < 4; ++k)
    {
        auto r = s.next();
        PK_REQUIRE_OK(r);
        const auto& e = r.value();
        order.push_back(e.index);
        PK_REQUIRE_OK(e.result);
        BOOST_TEST(e.result.value().std_out == "entry " + std::to_string(e.index) + "\n", "tagged with its index");
    }
    BOOST_TEST((order == std::vector<std::size_t>{3, 2, 1, 0}));
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_CASE(output_stream_bytes)
{
    pk_test::io_thread io;
    std::vector<pk::command> cmds = {pk_test::helper_command({"bad-utf8"})};
    pk::output_stream s(io.ctx.get_executor(), cmds, 1, pk::output_kind::bytes);
    auto r = s.next();
    PK_REQUIRE_OK(r);
    PK_REQUIRE_OK(r.value().result);
    BOOST_TEST(r.value().result.value().std_out == "ok \xff\xfe bad\ncaf\xc3\xa9\nlatin1 caf\xe9\n");
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_CASE(output_stream_cancel_midway_delivers_every_entry_and_leaves_no_process)
{
    pk_test::io_thread io;
    std::atomic<int> ready{0};
    std::promise<void> three;
    auto on_line = [&](std::string_view line) {
        if (line == "ready" && ++ready == 3)
            three.set_value();
    };
    std::vector<pk::command> cmds = {pk_test::helper_command({"args", "quick"})};
    for (int i = 0; i < 5; ++i)
        cmds.push_back(print_sleep("ready", 30000).on_stdout_line(on_line));
    pk::output_stream s(io.ctx.get_executor(), cmds, 3);
    auto first = s.next();
    PK_REQUIRE_OK(first);
    BOOST_TEST(first.value().index == 0u);
    PK_REQUIRE_OK(first.value().result);
    BOOST_TEST(first.value().result.value().std_out == "quick\n");
    BOOST_TEST_REQUIRE((three.get_future().wait_for(20s) == std::future_status::ready), "three sleepers are up");

    auto t0 = std::chrono::steady_clock::now();
    s.cancel();
    std::set<std::size_t> rest;
    for (int k = 0; k < 5; ++k)
    {
        auto r = s.next();
        PK_REQUIRE_OK(r);
        rest.insert(r.value().index);
        PK_CHECK_ERRC(r.value().result, pk::errc::cancelled);
    }
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("the stream ended " << ms << " ms after cancel()");
    BOOST_TEST(ms < 1000);
    BOOST_TEST((rest == std::set<std::size_t>{1, 2, 3, 4, 5}), "every entry came out once");
    BOOST_TEST(ready.load() == 3, "nothing started after cancel()");
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

BOOST_AUTO_TEST_CASE(destroying_an_output_stream_stops_the_batch_and_leaves_no_process)
{
    asio::io_context ctx;
    int ready = 0;
    std::vector<pk::command> cmds(4, print_sleep("ready", 30000).on_stdout_line([&](std::string_view line) {
        if (line == "ready")
            ++ready;
    }));
    std::optional<pk::output_stream> s;
    s.emplace(ctx.get_executor(), cmds, 2);
    std::optional<error_code> pending;
    s->async_next([&](error_code ec, pk::indexed_result r) {
        pending = ec;
        BOOST_TEST(r.index == static_cast<std::size_t>(-1));
    });
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (ready < 2 && std::chrono::steady_clock::now() < deadline)
        ctx.run_one_for(100ms);
    BOOST_TEST_REQUIRE(ready == 2, "two sleepers are up");
    auto t0 = std::chrono::steady_clock::now();
    s.reset();
    ctx.run(); // returns once the batch has nothing left to do: the trees are gone
    BOOST_TEST(pk_test::ms_since(t0) < 1000);
    BOOST_TEST_REQUIRE(pending.has_value());
    BOOST_TEST(*pending == pk::errc::cancelled);
    BOOST_TEST(ready == 2, "nothing started after the destruction");
    BOOST_TEST(pk_test::own_children().empty(), "no process left");
}

BOOST_AUTO_TEST_CASE(blocking_next_on_the_serving_strand_is_refused)
{
    pk_test::io_thread io;
    std::vector<pk::command> cmds = {pk_test::helper_command({"args", "a"}), pk_test::helper_command({"args", "b"})};
    pk::output_stream s(io.ctx.get_executor(), cmds, 1);
    // The first entry's handler runs on the stream's strand: a blocking next() there would deadlock.
    std::promise<pk::result<pk::indexed_result>> inner;
    s.async_next([&](error_code ec, pk::indexed_result) {
        BOOST_TEST(!ec);
        inner.set_value(s.next());
    });
    auto got = inner.get_future().get();
    PK_CHECK_ERRC(got, pk::errc::unsupported);
    auto second = s.next(); // from this thread: fine
    PK_REQUIRE_OK(second);
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_CASE(concurrency_zero_is_invalid_and_runs_nothing)
{
    std::vector<pk::command> cmds = {pk_test::helper_command({"args", "never"})};
    PK_CHECK_ERRC(pk::output_all(cmds, 0), pk::errc::invalid_argument);
    PK_CHECK_ERRC(pk::output_all_bytes(cmds, 0), pk::errc::invalid_argument);
    held_runner f;
    asio::io_context ctx;
    std::optional<error_code> got, streamed;
    std::size_t got_size = 99;
    pk::async_output_all(f, ctx.get_executor(), cmds, 0, [&](error_code ec, entries v) {
        got = ec;
        got_size = v.size();
    });
    pk::output_stream s(f, ctx.get_executor(), cmds, 0);
    s.async_next([&](error_code ec, pk::indexed_result) { streamed = ec; });
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::invalid_argument);
    BOOST_TEST(got_size == 0u);
    BOOST_TEST_REQUIRE(streamed.has_value());
    BOOST_TEST(*streamed == pk::errc::invalid_argument);
    BOOST_TEST(f.programs.empty(), "nothing reached the runner");
    BOOST_TEST(pk_test::own_children().empty());
}

BOOST_AUTO_TEST_CASE(an_empty_batch_succeeds_with_no_entries)
{
    auto r = pk::output_all({}, 4);
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().empty());
    pk_test::io_thread io;
    pk::output_stream s(io.ctx.get_executor(), {}, 4);
    PK_CHECK_ERRC(s.next(), pk::errc::end_of_stream);
}

// ---------------------------------------------------------------------------
// A test double: the fan-out runs on any process_runner

BOOST_AUTO_TEST_CASE(test_double_sees_the_bound_at_the_seam_and_results_keep_input_order)
{
    held_runner f;
    asio::io_context ctx;
    std::optional<error_code> got;
    entries v;
    pk::async_output_all(f, ctx.get_executor(), programs(10), 3, [&](error_code ec, entries e) {
        got = ec;
        v = std::move(e);
    });
    settle(ctx);
    BOOST_TEST(f.pending.size() == 3u, "three started at once");
    BOOST_TEST((f.programs == std::vector<std::string>{"prog0", "prog1", "prog2"}));
    // Reply newest first: completions come out of order, one at a time.
    while (!f.pending.empty())
    {
        BOOST_TEST(f.pending.size() <= 3u);
        f.reply_ok(f.pending.back());
        settle(ctx);
        BOOST_TEST((!got.has_value() || f.pending.empty()), "the batch completes only after its last entry");
    }
    BOOST_TEST(f.peak == 3u, "never more than three in flight");
    BOOST_TEST_REQUIRE(f.programs.size() == 10u);
    for (std::size_t i = 0; i < 10; ++i)
        BOOST_TEST(f.programs[i] == "prog" + std::to_string(i), "started in input order");
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(!*got);
    BOOST_TEST_REQUIRE(v.size() == 10u);
    for (std::size_t i = 0; i < 10; ++i)
    {
        PK_REQUIRE_OK(v[i]);
        BOOST_TEST(v[i].value().std_out == "prog" + std::to_string(i) + " out", "entry " << i << " in place");
    }
}

BOOST_AUTO_TEST_CASE(test_double_a_failed_capture_is_its_entry_only)
{
    held_runner f;
    asio::io_context ctx;
    entries v;
    pk::async_output_all(f, ctx.get_executor(), programs(3), 3, [&](error_code, entries e) { v = std::move(e); });
    settle(ctx);
    BOOST_TEST_REQUIRE(f.pending.size() == 3u);
    pk::process_result failed = canned(0, "");
    failed.diagnostics.program = "prog1";
    failed.diagnostics.detail = "searched /usr/bin";
    f.reply(f.pending[1], make_error_code(pk::errc::program_not_found), failed);
    f.reply_ok(f.pending[1]);
    f.reply(f.pending[0], {}, canned(7, "seven"));
    settle(ctx);
    BOOST_TEST_REQUIRE(v.size() == 3u);
    BOOST_TEST(v[0].value().code().value_or(-1000) == 7);
    PK_CHECK_ERRC(v[1], pk::errc::program_not_found);
    BOOST_TEST(v[1].error().diag().detail == "searched /usr/bin", "the diagnostics are kept");
    BOOST_TEST(v[2].value().std_out == "prog2 out");
}

BOOST_AUTO_TEST_CASE(test_double_partial_is_forwarded_and_finished_entries_keep_their_results)
{
    held_runner f;
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    entries v;
    pk::async_output_all(f, ctx.get_executor(), programs(8), 3,
                         asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, entries e) {
                             got = ec;
                             v = std::move(e);
                         }));
    settle(ctx);
    f.reply_ok(f.pending[1]); // entry 1 finishes; entry 3 starts
    settle(ctx);
    BOOST_TEST_REQUIRE(f.pending.size() == 3u);
    signal.emit(asio::cancellation_type::partial);
    settle(ctx);
    BOOST_TEST_REQUIRE(f.cancels.size() == 3u, "every capture in flight got it");
    for (auto t : f.cancels)
        BOOST_TEST((t == asio::cancellation_type::partial), "with the same type");
    settle(ctx);
    BOOST_TEST(f.programs.size() == 4u, "nothing started after the cancellation");
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled);
    BOOST_TEST_REQUIRE(v.size() == 8u);
    PK_REQUIRE_OK(v[1]);
    BOOST_TEST(v[1].value().std_out == "prog1 out");
    for (std::size_t i : {0, 2, 3, 4, 5, 6, 7})
        PK_CHECK_ERRC(v[i], pk::errc::cancelled);
    BOOST_TEST(v[5].error().diag().program == "prog5");
}

BOOST_AUTO_TEST_CASE(test_double_total_before_the_first_start_is_honoured)
{
    held_runner f;
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    entries v;
    pk::async_output_all(f, ctx.get_executor(), programs(4), 2,
                         asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, entries e) {
                             got = ec;
                             v = std::move(e);
                         }));
    signal.emit(asio::cancellation_type::total);
    settle(ctx);
    BOOST_TEST(f.programs.empty(), "nothing ran: no side effect");
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled);
    BOOST_TEST_REQUIRE(v.size() == 4u);
    check_all_cancelled(v);
}

BOOST_AUTO_TEST_CASE(test_double_total_after_a_start_is_refused)
{
    held_runner f;
    asio::io_context ctx;
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    entries v;
    pk::async_output_all(f, ctx.get_executor(), programs(4), 2,
                         asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, entries e) {
                             got = ec;
                             v = std::move(e);
                         }));
    settle(ctx);
    BOOST_TEST_REQUIRE(f.pending.size() == 2u);
    signal.emit(asio::cancellation_type::total);
    settle(ctx);
    BOOST_TEST(f.cancels.empty(), "not forwarded");
    while (!f.pending.empty())
    {
        f.reply_ok(f.pending.front());
        settle(ctx);
    }
    settle(ctx);
    BOOST_TEST(f.programs.size() == 4u, "the batch went on");
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(!*got, "as if it had not been asked");
    BOOST_TEST_REQUIRE(v.size() == 4u);
    for (auto& e : v)
        PK_REQUIRE_OK(e);
}

BOOST_AUTO_TEST_CASE(test_double_stream_order_and_a_cancelled_wait_loses_nothing)
{
    held_runner f;
    asio::io_context ctx;
    pk::output_stream s(f, ctx.get_executor(), programs(3), 3);
    settle(ctx);
    BOOST_TEST_REQUIRE(f.pending.size() == 3u);

    // A wait cancelled through its slot completes; the batch goes on.
    asio::cancellation_signal signal;
    std::optional<error_code> waited;
    s.async_next(asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, pk::indexed_result) { waited = ec; }));
    settle(ctx);
    BOOST_TEST(!waited.has_value(), "nothing finished yet");
    signal.emit(asio::cancellation_type::terminal);
    settle(ctx);
    BOOST_TEST_REQUIRE(waited.has_value());
    BOOST_TEST(*waited == pk::errc::cancelled);
    BOOST_TEST(f.cancels.empty(), "the runs were not cancelled");
    BOOST_TEST(f.pending.size() == 3u);

    auto p0 = f.pending[0], p1 = f.pending[1], p2 = f.pending[2];
    std::vector<std::size_t> order;
    std::optional<error_code> end;
    auto take = [&] {
        s.async_next([&](error_code ec, pk::indexed_result r) {
            if (ec)
                end = ec;
            else
            {
                order.push_back(r.index);
                BOOST_TEST(r.result.value().std_out == "prog" + std::to_string(r.index) + " out");
            }
        });
    };
    take(); // waiting before anything is there
    settle(ctx);
    f.reply_ok(p2);
    settle(ctx);
    f.reply_ok(p0);
    f.reply_ok(p1);
    settle(ctx);
    take(); // queued before the wait
    take();
    take();
    settle(ctx);
    BOOST_TEST((order == std::vector<std::size_t>{2, 0, 1}), "completion order");
    BOOST_TEST_REQUIRE(end.has_value());
    BOOST_TEST(*end == pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_SUITE_END()
