// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// group_runner: runs (captured and live) inside a process_group the caller
// owns, each in a subgroup of it.

#define BOOST_TEST_MODULE group_runner
#include "pk_test.hpp"

#include <boost/processkit.hpp>
#include <boost/test/data/test_case.hpp>

#include <algorithm>
#include <csignal>
#include <optional>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

bool is_member(const pk::process_group& g, int pid)
{
    auto m = g.members();
    return m &&
           std::any_of(m.value().begin(), m.value().end(), [pid](const pk::member_info& i) { return i.pid == pid; });
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

BOOST_DATA_TEST_CASE(a_live_run_is_a_member_and_the_group_kill_ends_it, bdata::make(pk_test::mechanisms()), m)
{
    pk_test::io_thread io;
    auto g = pk_test::make_group(m);
    pk::group_runner runner(g);
    auto p = runner.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(p.has_value(), pk_test::why(p));
    BOOST_TEST(is_member(g, p.value().pid()));
    auto t0 = std::chrono::steady_clock::now();
    BOOST_TEST_REQUIRE(g.kill_all().has_value());
    auto out = p.value().wait();
    BOOST_TEST_REQUIRE(out.has_value(), pk_test::why(out));
    BOOST_TEST(out.value().signal().value_or(0) == SIGKILL);
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
}

BOOST_DATA_TEST_CASE(group_start_runs_a_command_in_the_group, bdata::make(pk_test::mechanisms()), m)
{
    auto g = pk_test::make_group(m);
    // On processkit's own I/O thread: a live run with a probe and a line stream.
    auto p = g.start(pk_test::helper_command({"print-sleep", "ready", "30000"}));
    BOOST_TEST_REQUIRE(p.has_value(), pk_test::why(p));
    BOOST_TEST(is_member(g, p.value().pid()));
    auto ready = p.value().wait_for_output("ready", 5s);
    BOOST_TEST_REQUIRE(ready.has_value(), pk_test::why(ready));
    BOOST_TEST_REQUIRE(g.kill_all().has_value());
    auto out = p.value().wait();
    BOOST_TEST_REQUIRE(out.has_value(), pk_test::why(out));
    BOOST_TEST(out.value().signal().value_or(0) == SIGKILL);
    // With an executor of the caller's.
    pk_test::io_thread io;
    auto q = g.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(q.has_value(), pk_test::why(q));
    BOOST_TEST(is_member(g, q.value().pid()));
    BOOST_TEST(q.value().kill().has_value());
}

BOOST_DATA_TEST_CASE(the_group_signal_reaches_a_run, bdata::make(pk_test::mechanisms()), m)
{
    pk_test::io_thread io;
    auto g = pk_test::make_group(m);
    pk::group_runner runner(g);
    auto p = runner.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(p.has_value(), pk_test::why(p));
    BOOST_TEST_REQUIRE(g.signal(pk::signal::term).has_value());
    auto out = p.value().wait();
    BOOST_TEST_REQUIRE(out.has_value(), pk_test::why(out));
    BOOST_TEST(out.value().signal().value_or(0) == SIGTERM);
}

BOOST_DATA_TEST_CASE(a_captured_run_tears_down_only_its_own_tree, bdata::make(pk_test::mechanisms()), m)
{
    pk_test::io_thread io;
    auto g = pk_test::make_group(m);
    pk::group_runner runner(g);
    auto server = runner.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(server.has_value(), pk_test::why(server));
    // A run whose grandchild outlives it, holding its stdout: the run's
    // teardown kills that one...
    auto t0 = std::chrono::steady_clock::now();
    auto r = runner.output_string(pk_test::helper_command({"orphan-holder", "30000"}));
    BOOST_TEST_REQUIRE(r.has_value(), pk_test::why(r));
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    auto pids = pk_test::pid_lines(r.value().std_out);
    BOOST_TEST_REQUIRE(pids.size() == 1u);
    BOOST_TEST(pk_test::survivors(pids).empty());
    // ... and spares the group's other members.
    BOOST_TEST(pk_test::running(server.value().pid()));
    BOOST_TEST(is_member(g, server.value().pid()));
    BOOST_TEST(server.value().kill().has_value());
}

BOOST_DATA_TEST_CASE(runs_reach_the_group_members_list_only_while_they_run, bdata::make(pk_test::mechanisms()), m)
{
    auto g = pk_test::make_group(m);
    pk::group_runner runner(g);
    auto code = runner.exit_code(pk_test::helper_command({"exit", "7"}));
    BOOST_TEST_REQUIRE(code.has_value(), pk_test::why(code));
    BOOST_TEST(code.value() == 7);
    auto members = g.members();
    BOOST_TEST_REQUIRE(members.has_value());
    BOOST_TEST(members.value().empty());
}

BOOST_DATA_TEST_CASE(a_closed_group_refuses_runs_and_spawns_nothing, bdata::make(pk_test::mechanisms()), m)
{
    std::optional<pk::process_group> g(pk_test::make_group(m));
    pk::group_runner runner(*g);
    g.reset();
    auto r = runner.run(pk_test::helper_command({"exit", "0"}));
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == pk::errc::group_closed);
    pk_test::io_thread io;
    auto p = runner.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(p.has_error());
    BOOST_TEST(p.error().code() == pk::errc::group_closed);
}

BOOST_DATA_TEST_CASE(destroying_the_group_ends_its_runs, bdata::make(pk_test::mechanisms()), m)
{
    pk_test::io_thread io;
    std::optional<pk::process_group> g(pk_test::make_group(m));
    pk::group_runner runner(*g);
    auto p = runner.start(io.ctx.get_executor(), pk_test::helper_command({"sleep", "30000"}));
    BOOST_TEST_REQUIRE(p.has_value(), pk_test::why(p));
    g.reset();
    auto out = p.value().wait();
    BOOST_TEST_REQUIRE(out.has_value(), pk_test::why(out));
    BOOST_TEST(out.value().signal().value_or(0) == SIGKILL);
}

BOOST_AUTO_TEST_SUITE_END()
