// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Started processes: pid and lifetime, line streams, the merged event stream,
// output bounds on live streams, line terminators, encodings, tee handlers,
// interactive stdin, cancellation while streaming, cancel_on and idle_timeout.

#define BOOST_TEST_MODULE live
#include "pk_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/data/test_case.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace bdata = boost::unit_test::data;
namespace fs = std::filesystem;
using boost::system::error_code;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

// argv of `pid` as /proc shows it.
std::vector<std::string> cmdline(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::vector<std::string> out;
    std::string arg;
    while (std::getline(in, arg, '\0'))
        out.push_back(arg);
    return out;
}

// Kills `pids` with SIGKILL unless dismissed (destroyed) within `limit`, so a
// hung stream fails the test instead of hanging the suite.
struct watchdog
{
    std::atomic<bool> fired{false};
    std::vector<int> pids;
    std::jthread thread;
    watchdog(std::vector<int> p, std::chrono::milliseconds limit) : pids(std::move(p))
    {
        thread = std::jthread([this, limit](std::stop_token st) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            if (!cv.wait_for(lock, st, limit, [] { return false; }))
            {
                if (st.stop_requested())
                    return;
                fired = true;
                for (int pid : pids)
                    ::kill(pid, SIGKILL);
            }
        });
    }
};

// Every line of the stream up to its end, and the error that ended it.
struct drained
{
    std::vector<std::string> lines;
    pk::error end;
};
drained drain(pk::line_stream s)
{
    drained d;
    for (;;)
    {
        auto r = s.next();
        if (!r)
        {
            d.end = r.error();
            return d;
        }
        d.lines.push_back(std::move(r).value());
    }
}

// "" when `lines` is exactly PREFIX0 .. PREFIX(n-1), else a description of the first mismatch.
std::string sequence_mismatch(const std::vector<std::string>& lines, const std::string& prefix, std::size_t n)
{
    for (std::size_t i = 0; i < lines.size() && i < n; ++i)
        if (lines[i] != prefix + std::to_string(i))
            return "line #" + std::to_string(i) + " is '" + lines[i] + "'";
    if (lines.size() != n)
        return "got " + std::to_string(lines.size()) + " lines, expected " + std::to_string(n);
    return {};
}

// Reads `n` lines `pid N` from the stream.
std::vector<int> read_pids(pk::line_stream s, int n)
{
    std::vector<int> pids;
    for (int i = 0; i < n; ++i)
    {
        auto r = s.next();
        BOOST_TEST_REQUIRE(r.has_value(), pk_test::why(r));
        BOOST_TEST_REQUIRE(r.value().rfind("pid ", 0) == 0u, r.value());
        pids.push_back(std::stoi(r.value().substr(4)));
    }
    return pids;
}

// Streams `slow-lines 1000 50` on an io_context: reads line0, then issues
// async_next bound to a cancellation slot and emits `type` on it (at once, or
// 10 ms later), retrying while a line wins the race. Expects `errc::cancelled`,
// the child still running, the next read continuing the sequence, and kill()
// to leave nothing behind.
void cancel_while_streaming(asio::cancellation_type type, bool immediate)
{
    asio::io_context ctx;
    auto r = pk::start(ctx.get_executor(), pk_test::helper_command({"slow-lines", "1000", "50"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto s = p.stdout_lines();
    asio::cancellation_signal signal;
    asio::steady_timer timer(ctx);
    int expected = 0, attempts = 0;
    bool cancelled = false, alive_after_cancel = false;
    std::string bad;
    std::optional<std::string> after;
    std::function<void()> attempt;
    auto on_line = [&](error_code ec, std::string line) {
        if (ec)
            bad = "unexpected error " + ec.message();
        else if (line != "line" + std::to_string(expected))
            bad = "got '" + line + "', expected line" + std::to_string(expected);
        else
            ++expected;
    };
    attempt = [&] {
        ++attempts;
        s.async_next(asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::string line) {
            timer.cancel();
            if (ec == pk::errc::cancelled)
            {
                cancelled = true;
                alive_after_cancel = pk_test::running(p.pid());
                // No line is lost: the next read continues the sequence.
                s.async_next([&](error_code ec2, std::string l2) {
                    on_line(ec2, l2);
                    after = l2;
                    ctx.stop();
                });
                return;
            }
            on_line(ec, line);
            if (!bad.empty() || attempts >= 20)
                ctx.stop();
            else
                attempt();
        }));
        if (immediate)
            signal.emit(type);
        else
        {
            timer.expires_after(10ms);
            timer.async_wait([&](error_code ec) {
                if (!ec)
                    signal.emit(type);
            });
        }
    };
    // The first line comes without cancellation, then every read is cancelled.
    s.async_next([&](error_code ec, std::string line) {
        on_line(ec, line);
        if (bad.empty())
            attempt();
        else
            ctx.stop();
    });
    ctx.run_for(30s);
    BOOST_TEST(bad == "");
    BOOST_TEST_MESSAGE("cancelled: " << cancelled << " after " << attempts << " attempt(s)");
    BOOST_TEST(cancelled, "async_next completed with errc::cancelled");
    if (cancelled)
    {
        BOOST_TEST(alive_after_cancel, "the child keeps running after a cancelled async_next");
        BOOST_TEST(after.has_value(), "a read after the cancellation still gets the next line");
    }
    BOOST_TEST(pk_test::running(p.pid()));

    const int pid = p.pid();
    BOOST_TEST(p.kill().has_value());
    ctx.restart();
    std::optional<pk::run_outcome> outcome;
    p.async_wait([&](error_code ec, pk::run_outcome o) {
        BOOST_TEST(!ec, ec.message());
        outcome = o;
    });
    ctx.run_for(10s);
    BOOST_TEST_REQUIRE(outcome.has_value());
    BOOST_TEST(*outcome == pk::run_outcome::signalled(9));
    BOOST_TEST(pk_test::survivors({pid}).empty());
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Starting, pid, elapsed, wait, kill, destruction, finish

BOOST_AUTO_TEST_CASE(start_pid_elapsed_wait)
{
    auto r = pk::start(pk_test::helper_command({"sleep", "500"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    const int pid = p.pid();
    BOOST_TEST_REQUIRE(pid > 0);
    BOOST_TEST(pk_test::pid_exists(pid));
    // The pid is the helper running "sleep 500".
    std::vector<std::string> argv;
    for (auto deadline = std::chrono::steady_clock::now() + 2s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(5ms))
        if ((argv = cmdline(pid)).size() == 3 && argv[1] == "sleep")
            break;
    BOOST_TEST_REQUIRE(argv.size() == 3u);
    BOOST_TEST(argv[1] == "sleep");
    BOOST_TEST(argv[2] == "500");
    std::error_code fec;
    BOOST_TEST(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", fec) == fs::canonical(pk_test::helper()));

    auto e1 = p.elapsed();
    std::this_thread::sleep_for(60ms);
    auto e2 = p.elapsed();
    BOOST_TEST(e1.count() >= 0);
    BOOST_TEST((e2 - e1) >= 50ms, "elapsed() grows");

    auto w = p.wait();
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::exited(0));
    BOOST_TEST(p.elapsed() >= 400ms);
    BOOST_TEST(pk_test::survivors({pid}).empty(), "the child is reaped once wait() returns");
    // Waiting again reports the same outcome.
    auto again = p.wait();
    PK_REQUIRE_OK(again);
    BOOST_TEST(again.value() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(wait_reports_exit_code_and_signal)
{
    auto a = pk::start(pk_test::helper_command({"exit", "3"}));
    PK_REQUIRE_OK(a);
    auto wa = a.value().wait();
    PK_REQUIRE_OK(wa);
    BOOST_TEST(wa.value() == pk::run_outcome::exited(3));

    auto b = pk::start(pk_test::helper_command({"kill-self", "15"}));
    PK_REQUIRE_OK(b);
    auto wb = b.value().wait();
    PK_REQUIRE_OK(wb);
    BOOST_TEST(wb.value() == pk::run_outcome::signalled(15));
}

BOOST_AUTO_TEST_CASE(start_failures_spawn_nothing)
{
    PK_CHECK_ERRC(pk::start(pk::command("/pk-nonexistent-dir/prog")), pk::errc::program_not_found);
    std::stop_source stop;
    stop.request_stop();
    PK_CHECK_ERRC(pk::start(pk_test::helper_command({"sleep", "30000"}).cancel_on(stop.get_token())),
                  pk::errc::cancelled);
    BOOST_TEST(pk_test::own_children().empty());
}

BOOST_AUTO_TEST_CASE(start_on_an_executor)
{
    asio::io_context ctx;
    auto r = pk::start(ctx.get_executor(), pk_test::helper_command({"lines", "5"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    BOOST_TEST(p.pid() > 0);
    BOOST_TEST((p.get_executor() == asio::any_io_executor(ctx.get_executor())));

    std::vector<std::string> got;
    std::optional<error_code> end, wait_ec;
    std::optional<pk::run_outcome> outcome;
    auto out = p.stdout_lines();
    std::function<void()> next = [&] {
        out.async_next([&](error_code ec, std::string line) {
            if (ec)
            {
                end = ec;
                p.async_wait([&](error_code wec, pk::run_outcome o) {
                    wait_ec = wec;
                    outcome = o;
                });
                return;
            }
            got.push_back(std::move(line));
            next();
        });
    };
    next();
    auto t0 = std::chrono::steady_clock::now();
    ctx.run_for(30s);
    BOOST_TEST(pk_test::ms_since(t0) < 20000);
    BOOST_TEST(sequence_mismatch(got, "line", 5) == "");
    BOOST_TEST_REQUIRE(end.has_value());
    BOOST_TEST(*end == pk::errc::end_of_stream, end->message());
    BOOST_TEST_REQUIRE(wait_ec.has_value());
    BOOST_TEST(!*wait_ec, wait_ec->message());
    BOOST_TEST_REQUIRE(outcome.has_value());
    BOOST_TEST(*outcome == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(kill_takes_down_the_whole_tree)
{
    auto r = pk::start(pk_test::helper_command({"tree", "2", "30000"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto pids = read_pids(p.stdout_lines(), 3);
    BOOST_TEST(pids[0] == p.pid(), "pid() is the root of the tree");
    BOOST_TEST(pk_test::survivors(pids, 0ms).size() == 3u);
    auto t0 = std::chrono::steady_clock::now();
    auto k = p.kill();
    BOOST_TEST(k.has_value(), pk_test::why(k));
    auto w = p.wait();
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::signalled(9));
    BOOST_TEST(pk_test::survivors(pids).empty(), "the whole tree is gone");
}

BOOST_AUTO_TEST_CASE(destruction_kills_the_tree)
{
    std::vector<int> pids;
    {
        auto r = pk::start(pk_test::helper_command({"tree", "2", "30000"}));
        PK_REQUIRE_OK(r);
        pids = read_pids(r.value().stdout_lines(), 3);
        BOOST_TEST(pk_test::survivors(pids, 0ms).size() == 3u);
    }
    BOOST_TEST(pk_test::survivors(pids).empty(), "leaving the scope killed the tree");
}

BOOST_AUTO_TEST_CASE(a_moved_from_process_owns_nothing)
{
    std::vector<int> pids;
    std::optional<pk::running_process> holder;
    {
        auto r = pk::start(pk_test::helper_command({"tree", "1", "30000"}));
        PK_REQUIRE_OK(r);
        pids = read_pids(r.value().stdout_lines(), 2);
        holder.emplace(std::move(r).value());
    } // the moved-from object is destroyed here
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(pk_test::running(pids[0]));
    BOOST_TEST(pk_test::running(pids[1]));
    BOOST_TEST(holder->pid() == pids[0]);
    holder.reset();
    BOOST_TEST(pk_test::survivors(pids).empty());
}

BOOST_AUTO_TEST_CASE(finish_returns_outcome_and_stderr)
{
    auto r = pk::start(pk_test::helper_command({"stderr-exit", "3", "boom"}));
    PK_REQUIRE_OK(r);
    auto f = r.value().finish();
    PK_REQUIRE_OK(f);
    BOOST_TEST(f.value().outcome == pk::run_outcome::exited(3));
    BOOST_TEST(f.value().std_err.find("boom") != std::string::npos, f.value().std_err);
    BOOST_TEST(!f.value().std_err_truncated);
    BOOST_TEST(f.value().duration.count() > 0);
}

BOOST_AUTO_TEST_CASE(finish_leaves_out_consumed_stderr_lines)
{
    auto r = pk::start(pk_test::helper_command({"err-lines", "3", "e"}));
    PK_REQUIRE_OK(r);
    auto first = r.value().stderr_lines().next();
    PK_REQUIRE_OK(first);
    BOOST_TEST(first.value() == "e0");
    auto f = r.value().finish();
    PK_REQUIRE_OK(f);
    BOOST_TEST(f.value().outcome == pk::run_outcome::exited(0));
    const std::string& err = f.value().std_err;
    BOOST_TEST(err.find("e0") == std::string::npos, err);
    BOOST_TEST(err.find("e1\ne2") != std::string::npos, err);
}

// ---------------------------------------------------------------------------
// Line streams

BOOST_AUTO_TEST_CASE(stdout_and_stderr_lines_in_order_then_end_of_stream)
{
    auto r = pk::start(pk_test::helper_command({"lines", "5"}));
    PK_REQUIRE_OK(r);
    auto out = drain(r.value().stdout_lines());
    BOOST_TEST(sequence_mismatch(out.lines, "line", 5) == "");
    BOOST_TEST(out.end.code() == pk::errc::end_of_stream, out.end.message());
    auto again = r.value().stdout_lines().next();
    PK_CHECK_ERRC(again, pk::errc::end_of_stream);
    auto err = drain(r.value().stderr_lines());
    BOOST_TEST(err.lines.empty());
    BOOST_TEST(err.end.code() == pk::errc::end_of_stream, err.end.message());
    BOOST_TEST(r.value().wait().value() == pk::run_outcome::exited(0));

    auto e = pk::start(pk_test::helper_command({"err-lines", "4", "E"}));
    PK_REQUIRE_OK(e);
    auto elines = drain(e.value().stderr_lines());
    BOOST_TEST(sequence_mismatch(elines.lines, "E", 4) == "");
    BOOST_TEST(elines.end.code() == pk::errc::end_of_stream, elines.end.message());
    auto eout = drain(e.value().stdout_lines());
    BOOST_TEST(eout.lines.empty());
    BOOST_TEST(eout.end.code() == pk::errc::end_of_stream, eout.end.message());
    BOOST_TEST(e.value().wait().value() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(async_next_with_use_future)
{
    pk_test::io_thread io;
    asio::io_context& ctx = io.ctx;
    auto r = pk::start(ctx.get_executor(), pk_test::helper_command({"lines", "2"}));
    PK_REQUIRE_OK(r);
    auto out = r.value().stdout_lines();
    BOOST_TEST(out.async_next(asio::use_future).get() == "line0");
    BOOST_TEST(out.async_next(asio::use_future).get() == "line1");
    BOOST_CHECK_EXCEPTION(out.async_next(asio::use_future).get(), boost::system::system_error,
                          [](const boost::system::system_error& e) { return e.code() == pk::errc::end_of_stream; });
    BOOST_TEST(r.value().async_wait(asio::use_future).get() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(reading_stdout_never_blocks_on_unread_stderr)
{
    auto r = pk::start(pk_test::helper_command({"bytes", "4194304", "err"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    watchdog wd({p.pid()}, 60s);
    auto t0 = std::chrono::steady_clock::now();
    auto n = p.stdout_lines().next();
    PK_CHECK_ERRC(n, pk::errc::end_of_stream);
    auto w = p.wait();
    BOOST_TEST_MESSAGE("4 MiB of unread stderr: done after " << pk_test::ms_since(t0) << " ms");
    BOOST_TEST(!wd.fired, "the child was blocked on its stderr pipe");
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(a_million_lines_none_lost_or_reordered)
{
    constexpr std::size_t n = 1000000;
    auto r = pk::start(pk_test::helper_command({"lines", std::to_string(n)}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    watchdog wd({p.pid()}, 300s);
    auto t0 = std::chrono::steady_clock::now();
    auto s = p.stdout_lines();
    std::size_t count = 0, bad = 0, singles = 0;
    std::string first_bad;
    std::optional<pk::error> end;
    auto check = [&](std::string_view line) {
        if (line != "line" + std::to_string(count) && bad++ == 0)
            first_bad = "line #" + std::to_string(count) + " is '" + std::string(line) + "'";
        ++count;
    };
    // Mostly batches (one operation per line would dominate the test's time),
    // with single lines in between: both take from the same queue.
    for (std::size_t i = 0;; ++i)
    {
        if (i % 4 == 3)
        {
            auto l = s.next();
            if (!l)
            {
                end = l.error();
                break;
            }
            ++singles;
            check(l.value());
            continue;
        }
        auto b = s.next_batch();
        if (!b)
        {
            end = b.error();
            break;
        }
        for (std::string_view line : b.value())
            check(line);
    }
    BOOST_TEST_MESSAGE(count << " lines (" << singles << " read one by one) in " << pk_test::ms_since(t0) << " ms");
    BOOST_TEST(singles > 0u);
    BOOST_TEST(!wd.fired);
    BOOST_TEST(count == n);
    BOOST_TEST(bad == 0u, first_bad);
    BOOST_TEST(end->code() == pk::errc::end_of_stream, end->message());
    BOOST_TEST(!s.truncated());
    BOOST_TEST(p.wait().value() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(mixed_streams_each_in_order)
{
    constexpr std::size_t n = 100000;
    auto r = pk::start(pk_test::helper_command({"mixed", std::to_string(n)}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    watchdog wd({p.pid()}, 300s);
    drained err;
    std::thread t([&, s = p.stderr_lines()] { err = drain(s); });
    auto out = drain(p.stdout_lines());
    t.join();
    BOOST_TEST(!wd.fired);
    BOOST_TEST(sequence_mismatch(out.lines, "out", n) == "");
    BOOST_TEST(sequence_mismatch(err.lines, "err", n) == "");
    BOOST_TEST(out.end.code() == pk::errc::end_of_stream, out.end.message());
    BOOST_TEST(err.end.code() == pk::errc::end_of_stream, err.end.message());
    BOOST_TEST(p.wait().value() == pk::run_outcome::exited(0));
}

// ---------------------------------------------------------------------------
// The merged event stream

BOOST_AUTO_TEST_CASE(output_events_merge_both_streams_then_exit)
{
    constexpr std::size_t n = 200;
    auto r = pk::start(pk_test::helper_command({"mixed", std::to_string(n)}));
    PK_REQUIRE_OK(r);
    auto ev = r.value().output_events();
    std::vector<std::string> outs, errs;
    std::optional<pk::run_outcome> exited;
    int exit_events = 0, after_exit = 0;
    pk::error end;
    for (;;)
    {
        auto e = ev.next();
        if (!e)
        {
            end = e.error();
            break;
        }
        if (exit_events > 0)
            ++after_exit;
        switch (e.value().type)
        {
        case pk::output_event::kind::stdout_line: outs.push_back(e.value().line); break;
        case pk::output_event::kind::stderr_line: errs.push_back(e.value().line); break;
        case pk::output_event::kind::exited:
            ++exit_events;
            exited = e.value().outcome;
            break;
        }
    }
    BOOST_TEST(sequence_mismatch(outs, "out", n) == "");
    BOOST_TEST(sequence_mismatch(errs, "err", n) == "");
    BOOST_TEST(exit_events == 1);
    BOOST_TEST(after_exit == 0, "the exited event is the last one");
    BOOST_TEST_REQUIRE(exited.has_value());
    BOOST_TEST(*exited == pk::run_outcome::exited(0));
    BOOST_TEST(end.code() == pk::errc::end_of_stream, end.message());
    PK_CHECK_ERRC(ev.next(), pk::errc::end_of_stream);

    auto b = pk::start(pk_test::helper_command({"stderr-exit", "3", "boom"}));
    PK_REQUIRE_OK(b);
    auto bev = b.value().output_events();
    auto e1 = bev.next();
    PK_REQUIRE_OK(e1);
    BOOST_TEST((e1.value().type == pk::output_event::kind::stderr_line));
    BOOST_TEST(e1.value().line == "boom");
    auto e2 = bev.next();
    PK_REQUIRE_OK(e2);
    BOOST_TEST_REQUIRE((e2.value().type == pk::output_event::kind::exited));
    BOOST_TEST_REQUIRE(e2.value().outcome.has_value());
    BOOST_TEST(*e2.value().outcome == pk::run_outcome::exited(3));
    PK_CHECK_ERRC(bev.next(), pk::errc::end_of_stream);
}

BOOST_AUTO_TEST_CASE(output_events_arrive_while_the_child_runs)
{
    // A pending event read completes when a line arrives, not when the run ends.
    auto r = pk::start(pk_test::helper_command({"slow-lines", "3", "1000"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto ev = p.output_events();
    auto e1 = ev.next();
    PK_REQUIRE_OK(e1);
    BOOST_TEST((e1.value().type == pk::output_event::kind::stdout_line));
    BOOST_TEST(e1.value().line == "line0");
    BOOST_TEST(pk_test::running(p.pid()), "the first event came while the child still runs");
    auto e2 = ev.next();
    PK_REQUIRE_OK(e2);
    BOOST_TEST(e2.value().line == "line1");
    BOOST_TEST(pk_test::running(p.pid()), "the second event came while the child still runs");
    BOOST_TEST(p.kill().has_value());
    BOOST_TEST(p.wait().value() == pk::run_outcome::signalled(9));
}

// ---------------------------------------------------------------------------
// Output bounds on live streams (the consumer reads only after the exit)

BOOST_AUTO_TEST_CASE(live_drop_oldest_keeps_the_newest_lines)
{
    pk::output_buffer_policy pol;
    pol.max_lines = 10;
    pol.mode = pk::overflow_mode::drop_oldest;
    auto r = pk::start(pk_test::helper_command({"lines", "100000"}).output_buffer(pol));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().wait().value() == pk::run_outcome::exited(0));
    auto s = r.value().stdout_lines();
    auto d = drain(s);
    BOOST_TEST(d.end.code() == pk::errc::end_of_stream, d.end.message());
    BOOST_TEST_REQUIRE(!d.lines.empty());
    BOOST_TEST(d.lines.size() <= 10u);
    BOOST_TEST(d.lines.back() == "line99999");
    for (std::size_t i = 1; i < d.lines.size(); ++i)
        BOOST_TEST(std::stoi(d.lines[i].substr(4)) > std::stoi(d.lines[i - 1].substr(4)), "in order");
    BOOST_TEST(s.truncated());
}

BOOST_AUTO_TEST_CASE(live_drop_newest_keeps_the_first_lines)
{
    pk::output_buffer_policy pol;
    pol.max_lines = 10;
    pol.mode = pk::overflow_mode::drop_newest;
    auto r = pk::start(pk_test::helper_command({"lines", "100000"}).output_buffer(pol));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().wait().value() == pk::run_outcome::exited(0));
    auto s = r.value().stdout_lines();
    auto d = drain(s);
    BOOST_TEST(sequence_mismatch(d.lines, "line", 10) == "");
    BOOST_TEST(d.end.code() == pk::errc::end_of_stream, d.end.message());
    BOOST_TEST(s.truncated());
}

BOOST_AUTO_TEST_CASE(live_error_mode_ends_the_stream_with_output_limit)
{
    pk::output_buffer_policy pol;
    pol.max_lines = 10;
    pol.mode = pk::overflow_mode::error;
    auto r = pk::start(pk_test::helper_command({"lines", "100000"}).output_buffer(pol));
    PK_REQUIRE_OK(r);
    watchdog wd({r.value().pid()}, 60s);
    auto w = r.value().wait();
    BOOST_TEST_MESSAGE("wait(): " << (w ? "ok" : w.error().message()));
    auto d = drain(r.value().stdout_lines());
    BOOST_TEST(!wd.fired);
    BOOST_TEST(d.lines.size() <= 10u);
    BOOST_TEST(d.end.code() == pk::errc::output_limit, d.end.message());
}

BOOST_AUTO_TEST_CASE(slow_consumer_with_bounded_policy_keeps_memory_bounded)
{
    pk::output_buffer_policy pol;
    pol.max_lines = 1000;
    pol.mode = pk::overflow_mode::drop_oldest;
    const long before = pk_test::status_kib("VmRSS");
    BOOST_TEST_REQUIRE(before > 0);
    auto r = pk::start(pk_test::helper_command({"lines", "2000000"}).output_buffer(pol));
    PK_REQUIRE_OK(r);
    std::atomic<bool> done{false};
    std::atomic<long> peak{before};
    std::jthread sampler([&] {
        while (!done)
        {
            long v = pk_test::status_kib("VmRSS");
            if (v > peak)
                peak = v;
            std::this_thread::sleep_for(10ms);
        }
    });
    auto w = r.value().wait();
    long v = pk_test::status_kib("VmRSS");
    if (v > peak)
        peak = v;
    done = true;
    sampler.join();
    const long grew = peak - before;
    BOOST_TEST_MESSAGE("VmRSS grew by " << grew << " KiB while 2,000,000 lines went unread");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // VmRSS counts the sanitizer's memory too: ASan's quarantine holds freed
    // blocks back (up to 256 MiB), TSan shadows every page. The bound is
    // scaled there; the plain build checks the figure itself.
    BOOST_TEST(grew < 4 * 64 * 1024);
#else
    BOOST_TEST(grew < 64 * 1024);
#endif
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::exited(0));
    auto s = r.value().stdout_lines();
    auto d = drain(s);
    BOOST_TEST_REQUIRE(!d.lines.empty());
    BOOST_TEST(d.lines.size() <= 1000u);
    BOOST_TEST(d.lines.back() == "line1999999");
    BOOST_TEST(s.truncated());
}

// ---------------------------------------------------------------------------
// Line terminators, encodings

BOOST_AUTO_TEST_CASE(carriage_return_terminates_lines)
{
    auto r = pk::start(pk_test::helper_command({"cr-lines", "5"}).line_end(pk::line_terminator::carriage_return));
    PK_REQUIRE_OK(r);
    auto d = drain(r.value().stdout_lines());
    std::vector<std::string> expected{"progress 0", "progress 1", "progress 2", "progress 3", "progress 4", "done"};
    BOOST_TEST(d.lines == expected, boost::test_tools::per_element());
    BOOST_TEST(d.end.code() == pk::errc::end_of_stream, d.end.message());

    auto n = pk::start(pk_test::helper_command({"cr-lines", "5"}));
    PK_REQUIRE_OK(n);
    auto dn = drain(n.value().stdout_lines());
    BOOST_TEST_REQUIRE(dn.lines.size() == 1u, "with newline terminators the progress output is one line");
    const std::string& line = dn.lines[0];
    BOOST_TEST(line.rfind("progress 0", 0) == 0u, line);
    BOOST_TEST(line.size() >= 4u);
    BOOST_TEST(line.substr(line.size() - 4) == "done");
    BOOST_TEST(line.find('\r') != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stdout_encoding_converts_to_utf8)
{
    auto r = pk::start(pk_test::helper_command({"bad-utf8"}).stdout_encoding("ISO-8859-1"));
    PK_REQUIRE_OK(r);
    auto d = drain(r.value().stdout_lines());
    BOOST_TEST_REQUIRE(d.lines.size() == 3u);
    BOOST_TEST(d.lines[0] == "ok \xc3\xbf\xc3\xbe bad");
    BOOST_TEST(d.lines[2] == "latin1 caf\xc3\xa9");

    auto u = pk::start(pk_test::helper_command({"bad-utf8"}));
    PK_REQUIRE_OK(u);
    auto du = drain(u.value().stdout_lines());
    BOOST_TEST_REQUIRE(du.lines.size() == 3u);
    BOOST_TEST(du.lines[0] == "ok " + pk_test::fffd + pk_test::fffd + " bad");
    BOOST_TEST(du.lines[1] == "caf\xc3\xa9");
    BOOST_TEST(du.lines[2] == "latin1 caf" + pk_test::fffd);
    BOOST_TEST(u.value().wait().value() == pk::run_outcome::exited(0));
}

// ---------------------------------------------------------------------------
// Tee handlers

BOOST_AUTO_TEST_CASE(tee_sees_every_line_while_output_is_captured)
{
    std::mutex m;
    std::vector<std::string> teed, teed_err;
    auto r = pk::output_string(pk_test::helper_command({"lines", "1000"}).on_stdout_line([&](std::string_view l) {
        std::lock_guard lock(m);
        teed.emplace_back(l);
    }));
    PK_REQUIRE_OK(r);
    std::string expected;
    for (int i = 0; i < 1000; ++i)
        expected += "line" + std::to_string(i) + "\n";
    BOOST_TEST(r.value().std_out == expected);
    {
        std::lock_guard lock(m);
        BOOST_TEST(teed.size() == 1000u);
        BOOST_TEST(sequence_mismatch(teed, "line", 1000) == "");
    }

    auto e = pk::output_string(pk_test::helper_command({"mixed", "100"}).on_stderr_line([&](std::string_view l) {
        std::lock_guard lock(m);
        teed_err.emplace_back(l);
    }));
    PK_REQUIRE_OK(e);
    std::lock_guard lock(m);
    BOOST_TEST(sequence_mismatch(teed_err, "err", 100) == "");
    BOOST_TEST(e.value().std_err.size() > 0u);
}

BOOST_AUTO_TEST_CASE(tee_with_a_live_stream)
{
    std::mutex m;
    std::vector<std::string> teed;
    auto r = pk::start(pk_test::helper_command({"lines", "1000"}).on_stdout_line([&](std::string_view l) {
        std::lock_guard lock(m);
        teed.emplace_back(l);
    }));
    PK_REQUIRE_OK(r);
    auto d = drain(r.value().stdout_lines());
    BOOST_TEST(sequence_mismatch(d.lines, "line", 1000) == "");
    BOOST_TEST(r.value().wait().value() == pk::run_outcome::exited(0));
    std::lock_guard lock(m);
    BOOST_TEST(teed.size() == 1000u);
    BOOST_TEST(sequence_mismatch(teed, "line", 1000) == "");
}

// ---------------------------------------------------------------------------
// Interactive stdin

BOOST_AUTO_TEST_CASE(stdin_writer_talks_to_cat)
{
    auto r = pk::start(pk_test::helper_command({"cat"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    watchdog wd({p.pid()}, 60s);
    auto in = p.std_in();
    auto out = p.stdout_lines();
    auto w1 = in.write_line("hello");
    BOOST_TEST(w1.has_value(), pk_test::why(w1));
    auto l1 = out.next();
    PK_REQUIRE_OK(l1);
    BOOST_TEST(l1.value() == "hello");
    BOOST_TEST(in.write("wor").has_value());
    BOOST_TEST(in.write_line("ld").has_value());
    BOOST_TEST(in.flush().has_value());
    auto l2 = out.next();
    PK_REQUIRE_OK(l2);
    BOOST_TEST(l2.value() == "world");
    in.close();
    auto w = p.wait();
    BOOST_TEST(!wd.fired, "the child saw EOF after close()");
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::exited(0));
    PK_CHECK_ERRC(out.next(), pk::errc::end_of_stream);
    PK_CHECK_ERRC(in.write("late"), pk::errc::stdin_closed);
}

BOOST_AUTO_TEST_CASE(stdin_writer_answers_a_prompt)
{
    auto r = pk::start(pk_test::helper_command({"read-line-echo", "password: "}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto t0 = std::chrono::steady_clock::now();
    auto prompt = p.wait_for_output("password: ", 5s);
    BOOST_TEST_REQUIRE(prompt.has_value(), pk_test::why(prompt));
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    BOOST_TEST(p.std_in().write_line("s3cret").has_value());
    auto l = p.stdout_lines().next();
    PK_REQUIRE_OK(l);
    // The prompt has no newline, so it starts the same line.
    const std::string& line = l.value();
    BOOST_TEST(line.size() >= 10u);
    BOOST_TEST(line.substr(line.size() - 10) == "got:s3cret", line);
    BOOST_TEST(p.wait().value() == pk::run_outcome::exited(0));
}

BOOST_AUTO_TEST_CASE(writing_to_an_exited_child_is_stdin_closed_not_sigpipe)
{
    auto r = pk::start(pk_test::helper_command({"exit", "0"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    BOOST_TEST(p.wait().value() == pk::run_outcome::exited(0));
    auto in = p.std_in();
    PK_CHECK_ERRC(in.write("x"), pk::errc::stdin_closed);
    PK_CHECK_ERRC(in.write_line("more"), pk::errc::stdin_closed);
    PK_CHECK_ERRC(in.write(std::string(1u << 20, 'y')), pk::errc::stdin_closed);
    // Still here: this process did not die of SIGPIPE.
    BOOST_TEST(true);
}

// ---------------------------------------------------------------------------
// Cancellation while streaming

BOOST_DATA_TEST_CASE(cancelling_async_next_leaves_the_child_running, bdata::make({"terminal", "partial", "total"}),
                     type_name)
{
    const std::string name = type_name;
    cancel_while_streaming(name == "terminal"  ? asio::cancellation_type::terminal
                           : name == "partial" ? asio::cancellation_type::partial
                                               : asio::cancellation_type::total,
                           false);
}

// An operation is cancellable as soon as async_next has returned.
BOOST_AUTO_TEST_CASE(cancellation_emitted_right_after_async_next_is_honoured)
{
    cancel_while_streaming(asio::cancellation_type::terminal, true);
}

BOOST_AUTO_TEST_CASE(cancel_on_stop_token_ends_a_started_run)
{
    std::stop_source stop;
    auto r = pk::start(pk_test::helper_command({"tree", "2", "30000"}).cancel_on(stop.get_token()));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto pids = read_pids(p.stdout_lines(), 3);
    watchdog wd(pids, 20s);
    auto t0 = std::chrono::steady_clock::now();
    stop.request_stop();
    auto w = p.wait();
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("stop_token: wait() returned after " << ms
                                                            << " ms: " << (w ? "an outcome" : w.error().message()));
    if (w)
        BOOST_TEST_MESSAGE("outcome: " << w.value());
    BOOST_TEST(!wd.fired, "stopping the token ended the run");
    BOOST_TEST(ms < 5000);
    BOOST_TEST(pk_test::survivors(pids).empty(), "the whole tree is gone");
}

// ---------------------------------------------------------------------------
// idle_timeout

BOOST_AUTO_TEST_CASE(idle_timeout_kills_a_silent_child)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_string(pk_test::helper_command({"idle-then-print", "5000", "late"}).idle_timeout(300ms));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("idle child killed after " << ms << " ms");
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(r.value().std_out.find("late") == std::string::npos);
    BOOST_TEST(ms >= 250);
    BOOST_TEST(ms < 4000);
}

BOOST_AUTO_TEST_CASE(idle_timeout_kills_a_silent_started_child)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::start(pk_test::helper_command({"idle-then-print", "5000", "late"}).idle_timeout(300ms));
    PK_REQUIRE_OK(r);
    auto w = r.value().wait();
    auto ms = pk_test::ms_since(t0);
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::timed_out());
    BOOST_TEST(ms < 4000);
}

BOOST_AUTO_TEST_CASE(idle_timeout_of_a_started_child_honours_the_grace)
{
    // The idle timeout ends the tree like the timeout: signal, grace, SIGKILL.
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::start(pk_test::helper_command({"ignore-term", "30000"})
                           .idle_timeout(200ms)
                           .timeout_grace(300ms)
                           .timeout_signal(pk::signal::term));
    PK_REQUIRE_OK(r);
    auto w = r.value().wait();
    auto ms = pk_test::ms_since(t0);
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::timed_out());
    BOOST_TEST(ms >= 450, "SIGKILL came only after the grace (" << ms << " ms)");
    BOOST_TEST(ms < 5000);
}

BOOST_AUTO_TEST_CASE(idle_timeout_spares_a_steadily_printing_child)
{
    auto r = pk::output_string(pk_test::helper_command({"slow-lines", "10", "100"}).idle_timeout(1s));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().outcome == pk::run_outcome::exited(0));
    BOOST_TEST(!r.value().timed_out());
    std::string expected;
    for (int i = 0; i < 10; ++i)
        expected += "line" + std::to_string(i) + "\n";
    BOOST_TEST(r.value().std_out == expected);
}

BOOST_AUTO_TEST_SUITE_END()
