// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Readiness probes on started processes (lines, ports, paths, predicates),
// their deadlines and cancellation, and wait_any / wait_all.

#define BOOST_TEST_MODULE live_probes
#include "pk_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/system/system_error.hpp>

#include <arpa/inet.h>
#include <filesystem>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
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

// A loopback port nobody listens on (bound, read back, released).
unsigned short unused_port()
{
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    BOOST_TEST_REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    BOOST_TEST_REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(s);
    return ntohs(a.sin_port);
}

bool starts_with_port(std::string_view l) { return l.rfind("port ", 0) == 0; }

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Lines and ports

BOOST_AUTO_TEST_CASE(wait_for_line_then_port)
{
    auto r = pk::start(pk_test::helper_command({"listen", "0"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto t0 = std::chrono::steady_clock::now();
    auto line = p.wait_for_line(starts_with_port, 5s);
    BOOST_TEST_MESSAGE("port line after " << pk_test::ms_since(t0) << " ms");
    PK_REQUIRE_OK(line);
    BOOST_TEST_REQUIRE(starts_with_port(line.value()), line.value());
    const int port = std::stoi(line.value().substr(5));
    BOOST_TEST_REQUIRE(port > 0);
    BOOST_TEST_REQUIRE(port < 65536);
    auto up = p.wait_for_port(static_cast<unsigned short>(port), 5s);
    BOOST_TEST(up.has_value(), pk_test::why(up));
    // The probe observed the line without consuming it.
    auto first = p.stdout_lines().next();
    PK_REQUIRE_OK(first);
    BOOST_TEST(first.value() == line.value());
    BOOST_TEST(p.kill().has_value());
    BOOST_TEST(p.wait().value() == pk::run_outcome::signalled(9));
}

BOOST_AUTO_TEST_CASE(port_probe_past_its_deadline_is_not_ready_and_the_child_lives)
{
    auto r = pk::start(pk_test::helper_command({"listen", "0"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    PK_REQUIRE_OK(p.wait_for_line(starts_with_port, 5s));
    const unsigned short port = unused_port();
    auto t0 = std::chrono::steady_clock::now();
    auto probe = p.wait_for_port(port, 300ms);
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("port probe on unused port " << port << " gave up after " << ms << " ms");
    PK_CHECK_ERRC(probe, pk::errc::not_ready);
    BOOST_TEST(ms >= 250);
    BOOST_TEST(ms < 3000);
    // A failed probe never kills the child.
    std::this_thread::sleep_for(50ms);
    BOOST_TEST(pk_test::running(p.pid()));
    auto again = p.wait_for_line(starts_with_port, 5s);
    BOOST_TEST(again.has_value(), pk_test::why(again));
    BOOST_TEST(p.kill().has_value());
    BOOST_TEST(p.wait().value() == pk::run_outcome::signalled(9));
}

// ---------------------------------------------------------------------------
// Paths and predicates

BOOST_AUTO_TEST_CASE(wait_for_path_appears)
{
    pk_test::temp_dir t;
    const std::string made = t / "made";
    auto r = pk::start(pk_test::helper_command({"make-file", made, "200", "30000"}));
    PK_REQUIRE_OK(r);
    auto t0 = std::chrono::steady_clock::now();
    auto probe = r.value().wait_for_path(made, 5s);
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("path appeared after " << ms << " ms");
    BOOST_TEST(probe.has_value(), pk_test::why(probe));
    BOOST_TEST(fs::exists(made));
    BOOST_TEST(ms < 5000);
    BOOST_TEST(pk_test::running(r.value().pid()));
}

BOOST_AUTO_TEST_CASE(wait_for_path_never_created_is_not_ready)
{
    pk_test::temp_dir t;
    auto r = pk::start(pk_test::helper_command({"sleep", "30000"}));
    PK_REQUIRE_OK(r);
    auto t0 = std::chrono::steady_clock::now();
    auto probe = r.value().wait_for_path(t / "never", 300ms);
    auto ms = pk_test::ms_since(t0);
    PK_CHECK_ERRC(probe, pk::errc::not_ready);
    BOOST_TEST(ms >= 250);
    BOOST_TEST(ms < 3000);
    BOOST_TEST(pk_test::running(r.value().pid()));
}

BOOST_AUTO_TEST_CASE(wait_for_predicate)
{
    auto r = pk::start(pk_test::helper_command({"sleep", "30000"}));
    PK_REQUIRE_OK(r);
    auto t0 = std::chrono::steady_clock::now();
    auto ready_at = t0 + 200ms;
    auto probe = r.value().wait_for([ready_at] { return std::chrono::steady_clock::now() >= ready_at; }, 5s);
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("predicate held after " << ms << " ms");
    BOOST_TEST(probe.has_value(), pk_test::why(probe));
    BOOST_TEST(ms >= 190);
    BOOST_TEST(ms < 3000);

    auto never = r.value().wait_for([] { return false; }, 300ms);
    PK_CHECK_ERRC(never, pk::errc::not_ready);
    BOOST_TEST(pk_test::running(r.value().pid()));
}

// ---------------------------------------------------------------------------
// A child that exits first; not_ready versus timed_out

BOOST_AUTO_TEST_CASE(child_exiting_before_ready_fails_fast)
{
    auto r = pk::start(pk_test::helper_command({"exit", "3"}));
    PK_REQUIRE_OK(r);
    auto t0 = std::chrono::steady_clock::now();
    auto probe =
        r.value().wait_for_line([](std::string_view l) { return l.find("never") != std::string_view::npos; }, 10s);
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("probe on an exited child failed after " << ms
                                                                << " ms: " << (probe ? "" : probe.error().message()));
    PK_CHECK_ERRC(probe, pk::errc::exited_before_ready);
    BOOST_TEST(ms < 3000);
    BOOST_TEST(
        (probe.error().diag().exit_code.value_or(-1000) == 3 || probe.error().message().find('3') != std::string::npos),
        "the diagnostics say how it ended: " << probe.error().message());
    BOOST_TEST(r.value().wait().value() == pk::run_outcome::exited(3));

    // The other probes fail fast too.
    auto q = pk::start(pk_test::helper_command({"exit", "0"}));
    PK_REQUIRE_OK(q);
    auto t1 = std::chrono::steady_clock::now();
    PK_CHECK_ERRC(q.value().wait_for_port(unused_port(), 10s), pk::errc::exited_before_ready);
    PK_CHECK_ERRC(q.value().wait_for_path("/pk-nonexistent-dir/never", 10s), pk::errc::exited_before_ready);
    PK_CHECK_ERRC(q.value().wait_for([] { return false; }, 10s), pk::errc::exited_before_ready);
    PK_CHECK_ERRC(q.value().wait_for_output("never", 10s), pk::errc::exited_before_ready);
    BOOST_TEST(pk_test::ms_since(t1) < 6000);
}

BOOST_AUTO_TEST_CASE(probe_not_ready_is_not_a_run_timeout)
{
    BOOST_TEST((pk::make_error_code(pk::errc::not_ready) != pk::make_error_code(pk::errc::timed_out)));
    auto r = pk::start(pk_test::helper_command({"sleep", "30000"}).timeout(2s));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    auto probe = p.wait_for_line([](std::string_view) { return true; }, 300ms);
    PK_CHECK_ERRC(probe, pk::errc::not_ready);
    BOOST_TEST(probe.error().code() != pk::errc::timed_out);
    BOOST_TEST(pk_test::running(p.pid()), "the probe's deadline did not end the run");
    auto t0 = std::chrono::steady_clock::now();
    auto w = p.wait();
    BOOST_TEST_MESSAGE("run timeout after a further " << pk_test::ms_since(t0) << " ms");
    PK_REQUIRE_OK(w);
    BOOST_TEST(w.value() == pk::run_outcome::timed_out(), "the run's own timeout is an outcome");
}

// ---------------------------------------------------------------------------
// Async forms

BOOST_AUTO_TEST_CASE(async_probes_with_callback_and_use_future)
{
    pk_test::temp_dir t;
    pk_test::io_thread io;
    auto r = pk::start(io.ctx.get_executor(), pk_test::helper_command({"listen", "0"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();

    // use_future: the line.
    auto fline = p.async_wait_for_line(starts_with_port, 5s, asio::use_future);
    BOOST_TEST_REQUIRE((fline.wait_for(10s) == std::future_status::ready));
    std::string line = fline.get();
    BOOST_TEST_REQUIRE(starts_with_port(line), line);
    const auto port = static_cast<unsigned short>(std::stoi(line.substr(5)));

    // callback: the port.
    std::promise<error_code> port_done;
    p.async_wait_for_port(port, 5s, [&](error_code ec) { port_done.set_value(ec); });
    auto fport = port_done.get_future();
    BOOST_TEST_REQUIRE((fport.wait_for(10s) == std::future_status::ready));
    error_code pec = fport.get();
    BOOST_TEST(!pec, pec.message());

    // use_future: a path that never appears.
    auto fpath = p.async_wait_for_path(t / "never", 300ms, asio::use_future);
    BOOST_TEST_REQUIRE((fpath.wait_for(10s) == std::future_status::ready));
    BOOST_CHECK_EXCEPTION(fpath.get(), boost::system::system_error,
                          [](const boost::system::system_error& e) { return e.code() == pk::errc::not_ready; });

    // callback: output text and a predicate.
    std::promise<error_code> out_done, pred_done;
    p.async_wait_for_output("port ", 5s, [&](error_code ec) { out_done.set_value(ec); });
    p.async_wait_for([] { return true; }, 5s, [&](error_code ec) { pred_done.set_value(ec); });
    auto fout = out_done.get_future(), fpred = pred_done.get_future();
    BOOST_TEST_REQUIRE((fout.wait_for(10s) == std::future_status::ready));
    BOOST_TEST_REQUIRE((fpred.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(!fout.get());
    BOOST_TEST(!fpred.get());

    BOOST_TEST(pk_test::running(p.pid()));
    BOOST_TEST(p.kill().has_value());
    auto fw = p.async_wait(asio::use_future);
    BOOST_TEST_REQUIRE((fw.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(fw.get() == pk::run_outcome::signalled(9));
}

BOOST_AUTO_TEST_CASE(cancelling_a_probe_leaves_the_child_running)
{
    asio::io_context ctx;
    auto r = pk::start(ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    PK_REQUIRE_OK(r);
    auto& p = r.value();
    asio::cancellation_signal signal;
    std::optional<error_code> got;
    bool alive = false;
    auto t0 = std::chrono::steady_clock::now();
    p.async_wait_for_port(unused_port(), 20s, asio::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
                              got = ec;
                              alive = pk_test::running(p.pid());
                              ctx.stop();
                          }));
    asio::steady_timer timer(ctx, 100ms);
    timer.async_wait([&](error_code) { signal.emit(asio::cancellation_type::terminal); });
    ctx.run_for(15s);
    BOOST_TEST(pk_test::ms_since(t0) < 10000);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == pk::errc::cancelled, got->message());
    BOOST_TEST(alive);
    BOOST_TEST(p.kill().has_value());
    ctx.restart();
    std::optional<pk::run_outcome> outcome;
    p.async_wait([&](error_code, pk::run_outcome o) { outcome = o; });
    ctx.run_for(10s);
    BOOST_TEST_REQUIRE(outcome.has_value());
    BOOST_TEST(*outcome == pk::run_outcome::signalled(9));
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

// ---------------------------------------------------------------------------
// wait_any / wait_all

BOOST_AUTO_TEST_CASE(wait_any_returns_the_first_and_leaves_the_rest)
{
    auto a = pk::start(pk_test::helper_command({"sleep", "30000"}));
    auto b = pk::start(pk_test::helper_command({"print-sleep", "x", "100"}));
    auto c = pk::start(pk_test::helper_command({"sleep", "30000"}));
    PK_REQUIRE_OK(a);
    PK_REQUIRE_OK(b);
    PK_REQUIRE_OK(c);
    auto t0 = std::chrono::steady_clock::now();
    auto any = pk::wait_any({&a.value(), &b.value(), &c.value()});
    BOOST_TEST_MESSAGE("wait_any after " << pk_test::ms_since(t0) << " ms");
    PK_REQUIRE_OK(any);
    BOOST_TEST(any.value().first == 1u);
    BOOST_TEST(any.value().second == pk::run_outcome::exited(0));
    BOOST_TEST(pk_test::ms_since(t0) < 10000);
    BOOST_TEST(pk_test::running(a.value().pid()));
    BOOST_TEST(pk_test::running(c.value().pid()));
    BOOST_TEST(b.value().wait().value() == pk::run_outcome::exited(0));
    BOOST_TEST(a.value().kill().has_value());
    BOOST_TEST(c.value().kill().has_value());
    BOOST_TEST(a.value().wait().value() == pk::run_outcome::signalled(9));
    BOOST_TEST(c.value().wait().value() == pk::run_outcome::signalled(9));
}

BOOST_AUTO_TEST_CASE(wait_all_returns_outcomes_in_order)
{
    auto a = pk::start(pk_test::helper_command({"exit", "1"}));
    auto b = pk::start(pk_test::helper_command({"sleep", "300"}));
    auto c = pk::start(pk_test::helper_command({"kill-self", "15"}));
    auto d = pk::start(pk_test::helper_command({"exit", "2"}));
    PK_REQUIRE_OK(a);
    PK_REQUIRE_OK(b);
    PK_REQUIRE_OK(c);
    PK_REQUIRE_OK(d);
    auto all = pk::wait_all({&a.value(), &b.value(), &c.value(), &d.value()});
    PK_REQUIRE_OK(all);
    std::vector<pk::run_outcome> expected{pk::run_outcome::exited(1), pk::run_outcome::exited(0),
                                          pk::run_outcome::signalled(15), pk::run_outcome::exited(2)};
    BOOST_TEST(all.value() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(async_wait_any_and_wait_all_with_callbacks)
{
    asio::io_context ctx;
    auto a = pk::start(ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    auto b = pk::start(ctx.get_executor(), pk_test::helper_command({"print-sleep", "x", "100"}));
    auto c = pk::start(ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    PK_REQUIRE_OK(a);
    PK_REQUIRE_OK(b);
    PK_REQUIRE_OK(c);
    std::vector<pk::running_process*> ps{&a.value(), &b.value(), &c.value()};
    std::optional<std::size_t> index;
    std::optional<pk::run_outcome> first;
    std::optional<std::vector<pk::run_outcome>> all;
    bool others_alive = false;
    pk::async_wait_any(ps, [&](error_code ec, std::size_t i, pk::run_outcome o) {
        BOOST_TEST(!ec, ec.message());
        index = i;
        first = o;
        others_alive = pk_test::running(a.value().pid()) && pk_test::running(c.value().pid());
        ctx.stop();
    });
    ctx.run_for(15s);
    BOOST_TEST_REQUIRE(index.has_value());
    BOOST_TEST(*index == 1u);
    BOOST_TEST(*first == pk::run_outcome::exited(0));
    BOOST_TEST(others_alive);

    BOOST_TEST(a.value().kill().has_value());
    BOOST_TEST(c.value().kill().has_value());
    ctx.restart();
    pk::async_wait_all(ps, [&](error_code ec, std::vector<pk::run_outcome> v) {
        BOOST_TEST(!ec, ec.message());
        all = std::move(v);
    });
    ctx.run_for(15s);
    BOOST_TEST_REQUIRE(all.has_value());
    std::vector<pk::run_outcome> expected{pk::run_outcome::signalled(9), pk::run_outcome::exited(0),
                                          pk::run_outcome::signalled(9)};
    BOOST_TEST(*all == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
