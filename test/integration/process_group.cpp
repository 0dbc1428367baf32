// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#define BOOST_TEST_MODULE process_group
#include "pk_launch.hpp"

#include <boost/processkit/process_group.hpp>
#include <boost/test/data/test_case.hpp>

#include <fstream>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/stat.h>

namespace pk = boost::processkit;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

BOOST_AUTO_TEST_CASE(host_containment_reports_layout)
{
    auto r = pk::host_containment();
    BOOST_TEST_MESSAGE("host containment: " << pk::to_string(r.mechanism) << " -- " << r.reason);
    BOOST_TEST(r.pidfd);
    BOOST_TEST(!r.reason.empty());
    if (r.mechanism == pk::mechanism::cgroup_v2)
    {
        BOOST_TEST(r.cgroup2_mounted);
        BOOST_TEST(r.writable);
        BOOST_TEST(r.cgroup_kill);
        BOOST_TEST((r.cgroup2_mount == "/sys/fs/cgroup" || r.cgroup2_mount == "/sys/fs/cgroup/unified"));
    }
    pk::process_group g;
    BOOST_TEST(g.mechanism() == r.mechanism);
}

BOOST_AUTO_TEST_CASE(forced_fallback_is_honoured)
{
    auto g = pk_test::make_group(pk::mechanism_request::process_group);
    BOOST_TEST(g.mechanism() == pk::mechanism::process_group);
    BOOST_TEST(g.cgroup_path().empty());
}

BOOST_AUTO_TEST_CASE(explicit_cgroup_request_never_downgrades)
{
    auto g = pk::process_group::create({pk::mechanism_request::cgroup_v2});
    if (pk_test::cgroup_usable())
        BOOST_TEST(g.value().mechanism() == pk::mechanism::cgroup_v2);
    else
        BOOST_TEST(g.has_error());
}

BOOST_DATA_TEST_CASE(whole_tree_gone_after_destroy, bdata::make(pk_test::mechanisms()), m)
{
    BOOST_TEST_MESSAGE("mechanism " << m);
    boost::asio::io_context ctx;
    std::vector<int> pids;
    std::string cgroup;
    {
        auto g = pk_test::make_group(m);
        cgroup = g.cgroup_path();
        // Top -> A (ignores SIGTERM) -> double-forked daemon C, and A -> D -> D's child.
        // The process-group mechanism cannot hold a setsid daemon: keep C in the session there.
        std::vector<std::string> args{"tree-mixed", "60000"};
        if (m == pk::mechanism_request::process_group)
            args.push_back("keep-session");
        auto child = pk_test::launch(ctx, g, args);
        auto text = pk_test::read_until(child->out, "ready");
        pids = pk_test::pid_lines(text);
        BOOST_TEST_REQUIRE(pids.size() == 5u);
        BOOST_TEST(pk_test::survivors(pids, 0ms).size() == 5u);
        auto members = g.members().value();
        BOOST_TEST(members.size() == 5u);
        if (m == pk::mechanism_request::cgroup_v2)
            for (int p : pids)
                BOOST_TEST(cgroup.ends_with(pk_test::cgroup_of(p)), "pid " << p << " is in the group's cgroup");
    }
    BOOST_TEST(pk_test::survivors(pids, 0ms).empty(), "every process is gone, zombies included");
    if (!cgroup.empty())
    {
        struct stat st;
        BOOST_TEST(::stat(cgroup.c_str(), &st) != 0, "cgroup directory removed");
    }
}

BOOST_DATA_TEST_CASE(tree_gone_when_owner_scope_unwinds, bdata::make(pk_test::mechanisms()), m)
{
    boost::asio::io_context ctx;
    std::vector<int> pids;
    try
    {
        auto g = pk_test::make_group(m);
        auto child = pk_test::launch(ctx, g, {"tree", "2", "60000"});
        std::string text;
        while (pk_test::pid_lines(text).size() < 3)
        {
            auto more = pk_test::read_until(child->out, "\n");
            BOOST_TEST_REQUIRE(!more.empty());
            text += more;
        }
        pids = pk_test::pid_lines(text);
        throw std::runtime_error("owner fails");
    }
    catch (const std::runtime_error&)
    {
    }
    BOOST_TEST_REQUIRE(pids.size() == 3u);
    BOOST_TEST(pk_test::survivors(pids, 0ms).empty());
}

BOOST_DATA_TEST_CASE(kill_all_is_idempotent_and_group_stays_usable, bdata::make(pk_test::mechanisms()), m)
{
    boost::asio::io_context ctx;
    auto g = pk_test::make_group(m);
    auto a = pk_test::launch(ctx, g, {"tree", "1", "60000"});
    pk_test::read_until(a->out, "\n");
    BOOST_TEST(g.kill_all().has_value());
    BOOST_TEST(g.kill_all().has_value());
    BOOST_TEST(g.members().value().empty());
    auto b = pk_test::launch(ctx, g, {"print-sleep", "again", "60000"});
    BOOST_TEST(pk_test::read_until(b->out, "\n") == "again\n");
    BOOST_TEST(g.members().value().size() == 1u);
}

BOOST_DATA_TEST_CASE(signal_suspend_resume, bdata::make(pk_test::mechanisms()), m)
{
    boost::asio::io_context ctx;
    auto g = pk_test::make_group(m);
    auto a = pk_test::launch(ctx, g, {"slow-lines", "1000", "20"});
    BOOST_TEST(!pk_test::read_until(a->out, "line1\n").empty());
    BOOST_TEST(g.suspend().has_value());
    // Drain what was written before the stop took effect, then expect silence.
    pk_test::drain(a->out, 100);
    pollfd pfd{a->out, POLLIN, 0};
    BOOST_TEST(::poll(&pfd, 1, 300) == 0, "no output while suspended");
    BOOST_TEST(g.resume().has_value());
    BOOST_TEST(::poll(&pfd, 1, 5000) == 1, "output again after resume");
    BOOST_TEST(g.signal(pk::signal::term).has_value());
    auto status = a->proc.wait();
    (void)status;
    BOOST_TEST(WIFSIGNALED(a->proc.native_exit_code()));
    BOOST_TEST(WTERMSIG(a->proc.native_exit_code()) == SIGTERM);
}

BOOST_DATA_TEST_CASE(members_report_pid_name_and_start_time, bdata::make(pk_test::mechanisms()), m)
{
    boost::asio::io_context ctx;
    auto g = pk_test::make_group(m);
    auto a = pk_test::launch(ctx, g, {"print-sleep", "up", "60000"});
    pk_test::read_until(a->out, "\n");
    auto members = g.members().value();
    BOOST_TEST_REQUIRE(members.size() == 1u);
    BOOST_TEST(members[0].pid == a->proc.id());
    BOOST_TEST(members[0].ppid == ::getpid());
    BOOST_TEST(members[0].name == "pk_helper");
    BOOST_TEST(members[0].start_time > 0u);
}

BOOST_DATA_TEST_CASE(shutdown_escalates_for_term_ignoring_child, bdata::make(pk_test::mechanisms()), m)
{
    boost::asio::io_context ctx;
    auto g = pk_test::make_group(m);
    auto a = pk_test::launch(ctx, g, {"ignore-term", "60000"});
    pk_test::read_until(a->out, "ready");
    auto rep = g.shutdown(200ms).value();
    BOOST_TEST(rep.members_before == 1u);
    BOOST_TEST(rep.members_after == 0u);
    BOOST_TEST(rep.escalated);
    a->proc.wait();
    BOOST_TEST(WIFSIGNALED(a->proc.native_exit_code()));
    BOOST_TEST(WTERMSIG(a->proc.native_exit_code()) == SIGKILL);
}

BOOST_AUTO_TEST_CASE(setsid_escape_is_detected_on_process_group_mechanism)
{
    boost::asio::io_context ctx;
    int escapee = 0;
    {
        auto g = pk_test::make_group(pk::mechanism_request::process_group);
        auto a = pk_test::launch(ctx, g, {"setsid-child", "60000"});
        auto pids = pk_test::pid_lines(pk_test::read_until(a->out, "ready"));
        BOOST_TEST_REQUIRE(pids.size() == 1u);
        escapee = pids[0];
        // The escapee is not a member: it left the process group.
        auto members = g.members().value();
        for (auto& mi : members)
            BOOST_TEST(mi.pid != escapee);
        BOOST_TEST(g.kill_all().has_value());
        auto esc = g.escaped();
        BOOST_TEST(std::count(esc.begin(), esc.end(), escapee) == 1);
    }
    BOOST_TEST(pk_test::survivors({escapee}).empty(), "the escapee found by parentage was killed");
}

BOOST_AUTO_TEST_CASE(signal_kill_reaches_setsid_escapee_without_waiting)
{
    // signal(kill) returns at once, yet covers the escapee found by parentage.
    boost::asio::io_context ctx;
    int escapee = 0;
    {
        auto g = pk_test::make_group(pk::mechanism_request::process_group);
        auto a = pk_test::launch(ctx, g, {"setsid-child", "60000"});
        auto pids = pk_test::pid_lines(pk_test::read_until(a->out, "ready"));
        BOOST_TEST_REQUIRE(pids.size() == 1u);
        escapee = pids[0];
        BOOST_TEST(g.signal(pk::signal::kill).has_value());
        auto dead = [&] {
            std::ifstream in("/proc/" + std::to_string(escapee) + "/stat");
            std::string stat;
            std::getline(in, stat);
            auto close = stat.rfind(')');
            return !in || close == std::string::npos || stat.compare(close + 2, 1, "Z") == 0;
        };
        auto deadline = std::chrono::steady_clock::now() + 3s;
        while (!dead() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
        BOOST_TEST(dead(), "the escapee died from signal(kill) alone");
        auto esc = g.escaped();
        BOOST_TEST(std::count(esc.begin(), esc.end(), escapee) == 1);
    }
    BOOST_TEST(pk_test::survivors({escapee}).empty());
}

BOOST_AUTO_TEST_CASE(setsid_cannot_escape_cgroup, *boost::unit_test::precondition(pk_test::needs_cgroup()))
{
    boost::asio::io_context ctx;
    int daemon = 0;
    {
        auto g = pk_test::make_group(pk::mechanism_request::cgroup_v2);
        auto a = pk_test::launch(ctx, g, {"daemon", "60000"});
        auto pids = pk_test::pid_lines(pk_test::read_until(a->out, "ready"));
        BOOST_TEST_REQUIRE(pids.size() == 1u);
        daemon = pids[0];
        auto members = g.members().value();
        BOOST_TEST(std::any_of(members.begin(), members.end(), [&](auto& mi) { return mi.pid == daemon; }));
        BOOST_TEST(g.escaped().empty());
    }
    BOOST_TEST(pk_test::survivors({daemon}, 0ms).empty());
}

BOOST_AUTO_TEST_CASE(adopt_moves_outside_process_into_cgroup, *boost::unit_test::precondition(pk_test::needs_cgroup()))
{
    boost::asio::io_context ctx;
    auto outside = pk_test::make_group(pk::mechanism_request::process_group);
    auto a = pk_test::launch(ctx, outside, {"print-sleep", "x", "60000"});
    pk_test::read_until(a->out, "\n");
    int pid = a->proc.id();
    {
        auto g = pk_test::make_group(pk::mechanism_request::cgroup_v2);
        BOOST_TEST(g.adopt(pid).has_value());
        BOOST_TEST(g.members().value().size() == 1u);
    }
    BOOST_TEST(pk_test::survivors({pid}).empty());
}

// An owner SIGKILLed while a group_runner's run was alive leaves
// processkit-<pid>-<n>/run-<k>; the next processkit process on the host
// removes both once they are empty (the first look at the host does it).
BOOST_AUTO_TEST_CASE(stale_cgroups_with_run_subgroups_are_removed,
                     *boost::unit_test::precondition(pk_test::needs_cgroup()))
{
    pk::process_group g;
    const std::string mine = g.cgroup_path();
    const std::string base = mine.substr(0, mine.rfind('/'));
    pid_t dead = ::fork(); // a pid that is gone: the owner that "died"
    if (dead == 0)
        ::_exit(0);
    BOOST_TEST_REQUIRE(dead > 0);
    int ws = 0;
    BOOST_TEST_REQUIRE(::waitpid(dead, &ws, 0) == dead);
    const std::string stale = base + "/processkit-" + std::to_string(dead) + "-1";
    BOOST_TEST_REQUIRE(::mkdir(stale.c_str(), 0755) == 0);
    BOOST_TEST_REQUIRE(::mkdir((stale + "/run-1").c_str(), 0755) == 0);
    // Another processkit process, in this process's cgroup (not spawned
    // into a group of ours): its first group looks at `base`.
    const std::string run = std::string(PK_CLOSED_STDIO_PATH) + " x " + PK_HELPER_PATH;
    BOOST_TEST(std::system(run.c_str()) == 0);
    struct stat st;
    bool left = ::stat(stale.c_str(), &st) == 0;
    if (left) // do not leave it to the next run of the suite
    {
        ::rmdir((stale + "/run-1").c_str());
        ::rmdir(stale.c_str());
    }
    BOOST_TEST(!left);
}

BOOST_AUTO_TEST_CASE(launch_into_torn_down_group_fails_cleanly)
{
    boost::asio::io_context ctx;
    std::optional<pk::in_group> join;
    {
        pk::process_group g;
        join.emplace(g);
    }
    pk::launcher l;
    boost::system::error_code ec;
    auto proc = l(ctx, ec, pk_test::helper(), std::vector<std::string>{"exit", "0"}, *join);
    BOOST_TEST(ec == pk::errc::group_closed);
    auto kids = pk_test::own_children();
    for (int k : kids)
        BOOST_TEST_MESSAGE("child " << k << " " << pk_test::cgroup_of(k));
    BOOST_TEST(kids.empty());
}

BOOST_AUTO_TEST_SUITE_END()
