// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The capture op and the live process code driven over the fake backend
// (test/common/fake_backend.hpp): in-process pipes and a scripted exit, no
// process. Each test plays the child and checks what the op made of it and
// what it did to the child (signals, stdin).

#define BOOST_TEST_MODULE ops
#include "fake_backend.hpp"
#include "pk_test.hpp"

#include <boost/processkit/running_process.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using sig = pk::signal;
using pk::detail::scripted_process;

namespace {

struct capture_result
{
    pk::error_code ec;
    pk::process_result r;
};

// Runs one capture op to completion on a private io_context.
capture_result capture(pk::command cmd, pk::detail::child_source source,
                       asio::cancellation_slot slot = asio::cancellation_slot())
{
    asio::io_context ctx;
    std::optional<capture_result> got;
    pk::detail::async_capture(ctx.get_executor(), pk::detail::spec_of(std::move(cmd)),
                              asio::bind_cancellation_slot(slot,
                                                           [&](pk::error_code ec, pk::process_result r) {
                                                               got = capture_result{ec, std::move(r)};
                                                           }),
                              pk::detail::single_source(std::move(source)));
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    return std::move(*got);
}

// A child that ends at once: `out` on stdout, `err` on stderr, exit `code`.
auto prints_and_exits(std::string out, std::string err, int code)
{
    return [=](scripted_process& p) {
        p.write(0, out);
        p.write(1, err);
        p.exit(code);
    };
}

// Signals as numbers, for comparison and printing.
std::vector<int> sigs(std::initializer_list<sig> l)
{
    std::vector<int> v;
    for (sig s : l)
        v.push_back(static_cast<int>(s));
    return v;
}

std::vector<int> received(const scripted_process& p)
{
    std::vector<int> v;
    for (sig s : p.signals())
        v.push_back(static_cast<int>(s));
    return v;
}

// What the parent wrote to the child's stdin, up to its EOF (2 s at most).
std::string read_stdin_to_eof(scripted_process& p, bool& eof)
{
    std::string seen;
    eof = false;
    for (int i = 0; i < 2000 && !eof; ++i)
    {
        seen += p.read_stdin(eof);
        std::this_thread::sleep_for(1ms);
    }
    return seen;
}

// A live process over the fake backend, served by its own I/O thread.
struct live_fixture
{
    pk_test::io_thread io;
    pk_test::fake_children kids;

    pk::running_process start(pk::command cmd, std::function<void(scripted_process&)> on_start = {})
    {
        auto started = pk::detail::start_live(io.ctx.get_executor(), std::move(cmd), kids.source(std::move(on_start)));
        BOOST_TEST_REQUIRE(started.has_value());
        return std::move(started).value();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(capture_op)

BOOST_AUTO_TEST_CASE(output_and_exit_code)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool"), kids.source(prints_and_exits("hello\nworld", "oops\n", 3)));
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.code().value_or(-1) == 3);
    BOOST_TEST(res.r.std_out == "hello\nworld");
    BOOST_TEST(res.r.std_err == "oops\n");
    BOOST_TEST(res.r.diagnostics.program == "tool");
    BOOST_TEST(res.r.diagnostics.stderr_tail == "oops\n");
    BOOST_TEST(kids.count() == 1u);
    BOOST_TEST(received(*kids.last()).empty()); // nothing had to be killed
}

BOOST_AUTO_TEST_CASE(merged_stderr_lands_in_stdout)
{
    pk_test::fake_children kids;
    auto res =
        capture(pk::command("tool").std_err(pk::stdio_mode::merge()), kids.source(prints_and_exits("a\n", "b\n", 0)));
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.std_out == "a\nb\n");
    BOOST_TEST(res.r.std_err.empty());
}

BOOST_AUTO_TEST_CASE(stdin_bytes_reach_the_child)
{
    pk_test::fake_children kids;
    std::string seen;
    auto res = capture(pk::command("tool").stdin_bytes("abc\n"), kids.source([&](scripted_process& p) {
        // The op writes stdin once it watches the child: read it from another thread.
        std::thread([&seen, &p] {
            bool eof = false;
            seen = read_stdin_to_eof(p, eof);
            p.exit(0);
        }).detach();
    }));
    BOOST_TEST(!res.ec);
    BOOST_TEST(seen == "abc\n"); // all of it, then EOF: the op closed stdin
}

BOOST_AUTO_TEST_CASE(timeout_without_grace_kills)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool").timeout(30ms), kids.source([](scripted_process& p) { p.write(0, "x\n"); }));
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.outcome == pk::run_outcome::timed_out());
    BOOST_TEST(res.r.std_out == "x\n");
    BOOST_TEST(received(*kids.last()) == sigs({sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(timeout_with_grace_sends_the_soft_signal)
{
    pk_test::fake_children kids;
    auto res =
        capture(pk::command("tool").timeout(20ms).timeout_grace(10s).timeout_signal(sig::interrupt), kids.source());
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.outcome == pk::run_outcome::timed_out());
    BOOST_TEST(received(*kids.last()) == sigs({sig::interrupt}), boost::test_tools::per_element());
    BOOST_TEST(res.r.duration < 5s); // the child died of the soft signal: no grace was waited out
}

BOOST_AUTO_TEST_CASE(timeout_escalates_after_grace)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool").timeout(20ms).timeout_grace(20ms),
                       kids.source([](scripted_process& p) { p.ignore(sig::term); }));
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.outcome == pk::run_outcome::timed_out());
    BOOST_TEST(received(*kids.last()) == sigs({sig::term, sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(idle_timeout)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool").idle_timeout(30ms), kids.source());
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.outcome == pk::run_outcome::timed_out());
    BOOST_TEST(res.r.diagnostics.detail == "idle");
}

BOOST_AUTO_TEST_CASE(output_limit_kills_the_child)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool").output_buffer(pk_test::buffer_policy({}, 4, pk::overflow_mode::error)),
                       kids.source([](scripted_process& p) { p.write(0, "123456789"); }));
    BOOST_TEST(res.ec == pk::errc::output_limit);
    BOOST_TEST(res.r.std_out == "1234");
    BOOST_TEST(received(*kids.last()) == sigs({sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tee_sees_decoded_lines)
{
    pk_test::fake_children kids;
    std::vector<std::string> lines;
    auto cmd = pk::command("tool").on_stdout_line([&](std::string_view l) { lines.emplace_back(l); });
    auto res = capture(std::move(cmd), kids.source(prints_and_exits("one\r\ntwo\n\xff", "", 0)));
    BOOST_TEST(!res.ec);
    BOOST_TEST(res.r.std_out == "one\r\ntwo\n\xff"); // the capture keeps the bytes
    BOOST_TEST(lines == (std::vector<std::string>{"one", "two", "\xEF\xBF\xBD"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(terminal_cancellation_kills_now)
{
    pk_test::fake_children kids;
    asio::cancellation_signal cancel;
    auto res = capture(pk::command("tool"), kids.source([&](scripted_process&) {
        cancel.emit(asio::cancellation_type::terminal); // on the strand, before the op watches the child
    }),
                       cancel.slot());
    BOOST_TEST(res.ec == pk::errc::cancelled);
    BOOST_TEST(received(*kids.last()) == sigs({sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unknown_encoding_spawns_nothing)
{
    pk_test::fake_children kids;
    auto res = capture(pk::command("tool").stdout_encoding("no-such-encoding"), kids.source());
    BOOST_TEST(res.ec == pk::errc::invalid_argument);
    BOOST_TEST(kids.count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(live, live_fixture)

BOOST_AUTO_TEST_CASE(lines_probes_and_exit)
{
    auto p = start(pk::command("server"));
    auto child = kids.last();
    BOOST_TEST(p.pid() == child->pid());
    child->write(0, "starting\nready on 8080\n");
    auto ready = p.wait_for_line([](std::string_view l) { return l.starts_with("ready"); }, 5s);
    BOOST_TEST_REQUIRE(ready.has_value());
    BOOST_TEST(ready.value() == "ready on 8080");
    auto first = p.stdout_lines().next();
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(first.value() == "starting");
    child->write(1, "bye\n");
    child->exit(0);
    auto f = p.finish();
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST(f.value().outcome == pk::run_outcome::exited(0));
    BOOST_TEST(f.value().std_err == "bye");
}

BOOST_AUTO_TEST_CASE(text_probe_sees_a_prompt_without_newline)
{
    auto p = start(pk::command("login"));
    kids.last()->write(0, "password: ");
    BOOST_TEST(p.wait_for_output("password:", 5s).has_value());
}

BOOST_AUTO_TEST_CASE(probe_fails_when_the_child_ends_unready)
{
    auto p = start(pk::command("server"), prints_and_exits("no\n", "", 1));
    auto r = p.wait_for_line([](std::string_view l) { return l == "ready"; }, 5s);
    BOOST_TEST(r.error().code() == pk::errc::exited_before_ready);
}

BOOST_AUTO_TEST_CASE(stdin_writes_reach_the_child)
{
    auto p = start(pk::command("cat"));
    BOOST_TEST(p.std_in().write("hello\n").has_value());
    p.std_in().close();
    bool eof = false;
    BOOST_TEST(read_stdin_to_eof(*kids.last(), eof) == "hello\n");
    BOOST_TEST(eof);
}

BOOST_AUTO_TEST_CASE(kill_ends_the_child)
{
    auto p = start(pk::command("sleeper"));
    BOOST_TEST(p.kill().has_value());
    auto o = p.wait();
    BOOST_TEST_REQUIRE(o.has_value());
    BOOST_TEST(o.value() == pk::run_outcome::signalled(pk::native_signal(sig::kill)));
    BOOST_TEST(received(*kids.last()) == sigs({sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(destroying_the_handle_ends_the_child)
{
    {
        auto p = start(pk::command("sleeper"));
    }
    BOOST_TEST(kids.last()->ended());
}

BOOST_AUTO_TEST_CASE(timeout_then_the_event_stream_ends)
{
    auto p = start(pk::command("slow").timeout(30ms), [](scripted_process& c) {
        c.write(1, "err\n");
        c.write(0, "out\n");
    });
    auto events = p.output_events();
    std::vector<std::string> seen;
    for (;;)
    {
        auto e = events.next();
        if (!e)
        {
            BOOST_TEST(e.error().code() == pk::errc::end_of_stream);
            break;
        }
        if (e.value().type == pk::output_event::kind::exited)
            seen.push_back(e.value().outcome == pk::run_outcome::timed_out() ? "timed out" : "exited");
        else
            seen.push_back(e.value().line);
    }
    // The lines in the order they were read (each stream's own order is
    // kept), then the exit, last.
    BOOST_TEST_REQUIRE(seen.size() == 3u);
    BOOST_TEST((std::set<std::string>{seen[0], seen[1]}) == (std::set<std::string>{"err", "out"}),
               boost::test_tools::per_element());
    BOOST_TEST(seen[2] == "timed out");
    BOOST_TEST(received(*kids.last()) == sigs({sig::kill}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unknown_encoding_spawns_nothing)
{
    auto started =
        pk::detail::start_live(io.ctx.get_executor(), pk::command("tool").stderr_encoding("nope"), kids.source());
    BOOST_TEST(started.error().code() == pk::errc::invalid_argument);
    BOOST_TEST(kids.count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(teardown)

// A tree that never dies (a member stuck in the kernel): every look says
// populated.
struct stuck_group final : pk::detail::group_backend
{
    explicit stuck_group(std::chrono::milliseconds timeout) : group_backend(options_with(timeout)) {}
    static pk::process_group_options options_with(std::chrono::milliseconds timeout)
    {
        pk::process_group_options o;
        o.teardown_timeout = timeout;
        return o;
    }
    pk::mechanism mechanism() const noexcept override { return pk::mechanism::scripted; }
    pk::error signal(pk::signal) override { return {}; }
    pk::error freeze(bool) override { return {}; }
    std::vector<pk::member_info> members() override { return {}; }
    pk::error adopt(int) override { return {}; }
    pk::error begin_kill(bool& empty) noexcept override
    {
        empty = false;
        return {};
    }
    bool tree_empty(bool) override
    {
        ++looks;
        return false;
    }
    pk::error end_kill(bool empty, bool) noexcept override
    {
        return empty ? pk::error() : pk::error(pk::errc::teardown_timeout);
    }
    void release() noexcept override {}
    void prepare_join(pk::detail::join_plan&) override {}
    void commit_join(pk::detail::join_plan&, pk::detail::child_record&) override {}
    pk::result<std::shared_ptr<group_backend>> make_subgroup() override { return pk::errc::unsupported; }
    int looks = 0;
};

BOOST_AUTO_TEST_CASE(a_stuck_tree_times_out_without_blocking_the_executor)
{
    auto g = std::make_shared<stuck_group>(100ms);
    asio::io_context ctx;
    std::optional<pk::error> got;
    int ticks = 0; // a 1 ms timer on the same executor keeps running meanwhile
    asio::steady_timer tick(ctx);
    std::function<void()> arm = [&] {
        tick.expires_after(1ms);
        tick.async_wait([&](pk::error_code) {
            if (!got && ++ticks < 10000)
                arm();
        });
    };
    arm();
    pk::detail::async_kill_tree(ctx.get_executor(), g, [&](pk::error e) { got = std::move(e); });
    ctx.run();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(got->code() == pk::errc::teardown_timeout);
    BOOST_TEST(ticks > 5); // the executor served the timer while the teardown waited
    BOOST_TEST(g->gave_up);
}

BOOST_AUTO_TEST_CASE(the_final_close_does_not_wait_again_after_a_timeout)
{
    auto g = std::make_shared<stuck_group>(100ms);
    {
        std::lock_guard<std::mutex> lk(g->mu);
        BOOST_TEST(pk::detail::kill_tree(*g).code() == pk::errc::teardown_timeout);
    }
    BOOST_TEST(g->gave_up);
    g->looks = 0;
    pk::detail::close_group(*g); // the destructors' path: kill, one look, release
    BOOST_TEST(g->looks == 1);
}

BOOST_AUTO_TEST_SUITE_END()
