// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Regression tests for defects found by using processkit as a new user
// would: setsid escapees under a soft timeout, cancellation of live
// processes, input that is a user's mistake, error texts that must not leak
// values, a probe's "exited before ready", a parent with closed stdio, and a
// parent that ignores SIGCHLD. Each test failed before its fix.

#define BOOST_TEST_MODULE correctness
#include "pk_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/test/data/test_case.hpp>

#include <csignal>
#include <filesystem>
#include <future>
#include <stop_token>
#include <string>
#include <cstdio>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

pk::job_runner pgroup_runner()
{
    pk::process_group_options o;
    o.mechanism = pk::mechanism_request::process_group;
    return pk::job_runner(o);
}

pk::process_group_options options_for(pk::mechanism_request m)
{
    pk::process_group_options o;
    o.mechanism = m;
    return o;
}

// Reads stdout lines of `p` until one starts with "pid "; returns that pid.
int read_pid_line(pk::running_process& p)
{
    auto lines = p.stdout_lines();
    for (;;)
    {
        auto l = lines.next();
        BOOST_TEST_REQUIRE(l.has_value(), pk_test::why(l));
        if (l.value().rfind("pid ", 0) == 0)
            return std::stoi(l.value().substr(4));
    }
}

// Fails the test when `text` contains `secret`.
void check_no_leak(const std::string& text, const std::string& secret)
{
    BOOST_TEST(text.find(secret) == std::string::npos, "\"" << secret << "\" leaked into: " << text);
}

} // namespace

BOOST_AUTO_TEST_SUITE(setsid_escapees)

// A descendant that called setsid() while its parent lived: the soft signal
// of a timeout ends the parent; the escapee must still be killed, and the run
// must not wait for it to end by itself (it holds stdout).
BOOST_FIXTURE_TEST_CASE(soft_timeout_kills_escapee_holding_stdout, pk_test::no_leftover_children)
{
    auto runner = pgroup_runner();
    auto t0 = std::chrono::steady_clock::now();
    auto r =
        runner.output_string(pk_test::helper_command({"setsid-child", "20000"}).timeout(300ms).timeout_grace(300ms));
    auto took = pk_test::ms_since(t0);
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(took < 3000, "the run took " << took << " ms for a 300 ms timeout");
    auto pids = pk_test::pid_lines(r.value().std_out);
    BOOST_TEST_REQUIRE(pids.size() == 1u, "the escapee printed its pid: " << r.value().std_out);
    BOOST_TEST(pk_test::survivors(pids).empty(), "the escapee " << pids[0] << " was killed");
}

// The same tree under signal(term) and then kill() of a live process.
BOOST_FIXTURE_TEST_CASE(term_then_kill_reaches_escapee, pk_test::no_leftover_children)
{
    pk_test::io_thread io;
    auto p = pk::start(io.ctx.get_executor(), pk_test::helper_command({"setsid-child", "20000"}),
                       options_for(pk::mechanism_request::process_group));
    PK_REQUIRE_OK(p);
    int escapee = read_pid_line(p.value());
    auto ready = p.value().wait_for_line([](std::string_view l) { return l == "ready"; }, 10s);
    PK_REQUIRE_OK(ready);
    PK_REQUIRE_OK(p.value().signal(pk::signal::term)); // the parent dies of it, the escapee is recorded
    auto first = p.value().wait();
    PK_REQUIRE_OK(first);
    BOOST_TEST((first.value().signal() == SIGTERM), "outcome: " << first.value());
    BOOST_TEST(pk_test::survivors({escapee}).empty(), "the escapee died with the run");
}

// The parent waits for its escapee (like `sh -c 'setsid prog & wait'`): were
// the escapee killed first, the parent would exit 0 before its own kill.
BOOST_FIXTURE_TEST_CASE(kill_reports_the_kill_not_an_exit, pk_test::no_leftover_children)
{
    for (int round = 0; round < 5; ++round)
    {
        pk_test::io_thread io;
        auto p = pk::start(io.ctx.get_executor(), pk_test::helper_command({"setsid-wait", "20000"}),
                           options_for(pk::mechanism_request::process_group));
        PK_REQUIRE_OK(p);
        int escapee = read_pid_line(p.value());
        PK_REQUIRE_OK(p.value().wait_for_line([](std::string_view l) { return l == "ready"; }, 10s));
        PK_REQUIRE_OK(p.value().kill());
        auto o = p.value().wait();
        PK_REQUIRE_OK(o);
        BOOST_TEST((o.value().signal() == SIGKILL), "round " << round << ": outcome " << o.value());
        BOOST_TEST(pk_test::survivors({escapee}).empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(live_cancellation)

BOOST_DATA_TEST_CASE_F(pk_test::no_leftover_children, cancel_on_makes_every_wait_cancelled,
                       bdata::make(pk_test::mechanisms()), mech)
{
    std::stop_source stop;
    auto p = pk::start(asio::system_executor(), pk_test::helper_command({"sleep", "20000"}).cancel_on(stop.get_token()),
                       options_for(mech));
    PK_REQUIRE_OK(p);
    auto pending = p.value().async_wait(asio::use_future);
    stop.request_stop();
    try
    {
        pending.get();
        BOOST_TEST(false, "the pending wait completed without error");
    }
    catch (const boost::system::system_error& e)
    {
        BOOST_TEST(e.code() == pk::errc::cancelled, e.what());
    }
    // Every later consumer agrees.
    PK_CHECK_ERRC(p.value().wait(), pk::errc::cancelled);
    PK_CHECK_ERRC(p.value().finish(), pk::errc::cancelled);
    PK_CHECK_ERRC(pk::wait_any({&p.value()}), pk::errc::cancelled); // it dropped a cancelled wait and hung
    auto later = p.value().async_finish(asio::use_future);
    try
    {
        later.get();
        BOOST_TEST(false, "async_finish after the cancellation completed without error");
    }
    catch (const boost::system::system_error& e)
    {
        BOOST_TEST(e.code() == pk::errc::cancelled, e.what());
    }
}

BOOST_FIXTURE_TEST_CASE(finish_pending_during_cancel_on_is_cancelled, pk_test::no_leftover_children)
{
    std::stop_source stop;
    auto p = pk::start(pk_test::helper_command({"sleep", "20000"}).cancel_on(stop.get_token()));
    PK_REQUIRE_OK(p);
    auto pending = p.value().async_finish(asio::use_future);
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
    BOOST_CHECK_EXCEPTION(pending.get(), boost::system::system_error,
                          [](const auto& e) { return e.code() == pk::errc::cancelled; });
}

// Asio cancellation of a wait completes that wait with `cancelled` and leaves
// the child running; the child's own end is then reported as it happened.
// (The child lives 2 s: under TSan the cancelled wait's round trip once took
// longer than the 300 ms it had, and the child was gone before the check.)
BOOST_FIXTURE_TEST_CASE(cancelled_wait_leaves_child_and_later_wait_reports_exit, pk_test::no_leftover_children)
{
    auto p = pk::start(pk_test::helper_command({"sleep", "2000"}));
    PK_REQUIRE_OK(p);
    asio::cancellation_signal sig;
    auto f = p.value().async_wait(asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    sig.emit(asio::cancellation_type::terminal);
    BOOST_CHECK_EXCEPTION(f.get(), boost::system::system_error,
                          [](const auto& e) { return e.code() == pk::errc::cancelled; });
    BOOST_TEST(pk_test::running(p.value().pid()), "the child keeps running");
    auto o = p.value().wait();
    PK_REQUIRE_OK(o);
    BOOST_TEST((o.value().code() == 0), "outcome " << o.value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(user_mistakes)

// Each command is refused before anything is spawned: the helper would
// create `marker`.
struct refused_case
{
    const char* what;
    std::function<pk::command(pk::command)> change;
};

std::vector<refused_case> refused_commands()
{
    return {
        {"zero timeout", [](pk::command c) { return c.timeout(0ms); }},
        {"negative timeout", [](pk::command c) { return c.timeout(-5ms); }},
        {"negative grace", [](pk::command c) { return c.timeout(1s).timeout_grace(-1ms); }},
        {"zero idle timeout", [](pk::command c) { return c.idle_timeout(0ms); }},
        {"negative idle timeout", [](pk::command c) { return c.idle_timeout(-1ms); }},
        {"empty ok_codes", [](pk::command c) { return c.ok_codes({}); }},
        {"ok code 256",
         [](pk::command c) {
             return c.ok_codes({0, 256});
         }},
        {"ok code -1", [](pk::command c) { return c.ok_codes({-1}); }},
    };
}

BOOST_FIXTURE_TEST_CASE(bad_knobs_are_refused_before_spawning, pk_test::no_leftover_children)
{
    pk_test::temp_dir dir;
    const std::string marker = dir / "spawned";
    for (auto& c : refused_commands())
    {
        BOOST_TEST_CONTEXT(c.what)
        {
            auto cmd = c.change(pk_test::helper_command({"make-file", marker, "0"}));
            auto r = pk::run_unit(cmd);
            PK_CHECK_ERRC(r, pk::errc::invalid_argument);
            auto live = pk::start(cmd);
            PK_CHECK_ERRC(live, pk::errc::invalid_argument);
            auto fut = pk::async_run_unit(asio::system_executor(), cmd, asio::use_future);
            BOOST_CHECK_EXCEPTION(fut.get(), boost::system::system_error,
                                  [](const auto& e) { return e.code() == pk::errc::invalid_argument; });
            BOOST_TEST(!std::filesystem::exists(marker), "nothing was spawned");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(stdout_verbs_need_captured_stdout, pk_test::no_leftover_children)
{
    pk_test::temp_dir dir;
    const std::string marker = dir / "spawned";
    for (auto mode : {pk::stdio_mode::null(), pk::stdio_mode::inherit(), pk::stdio_mode::file(dir / "out")})
    {
        auto cmd = pk_test::helper_command({"make-file", marker, "0"}).std_out(mode);
        auto r = pk::run(cmd);
        PK_CHECK_ERRC(r, pk::errc::invalid_argument);
        BOOST_TEST(r.error().message().find("stdout") != std::string::npos, r.error().message());
        PK_CHECK_ERRC(pk::first_line(cmd), pk::errc::invalid_argument);
        auto fut = pk::async_first_line(asio::system_executor(), cmd, asio::use_future);
        BOOST_CHECK_EXCEPTION(fut.get(), boost::system::system_error,
                              [](const auto& e) { return e.code() == pk::errc::invalid_argument; });
        BOOST_TEST(!std::filesystem::exists(marker), "nothing was spawned");
    }
    // The verbs whose answer is not stdout stay valid.
    auto quiet = pk_test::helper_command({"exit", "0"}).std_out(pk::stdio_mode::null());
    PK_REQUIRE_OK(pk::run_unit(quiet));
    PK_REQUIRE_OK(pk::checked(quiet));
    auto code = pk::exit_code(pk_test::helper_command({"exit", "3"}).std_out(pk::stdio_mode::null()));
    PK_REQUIRE_OK(code);
    BOOST_TEST(code.value() == 3);
}

BOOST_FIXTURE_TEST_CASE(valid_edges_are_accepted, pk_test::no_leftover_children)
{
    PK_REQUIRE_OK(pk::run_unit(pk_test::helper_command({"exit", "0"}).timeout(10s).timeout_grace(0ms)));
    auto r = pk::exit_code(pk_test::helper_command({"exit", "255"}).ok_codes({255}));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value() == 255);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(error_texts)

BOOST_FIXTURE_TEST_CASE(directory_as_program_says_so, pk_test::no_leftover_children)
{
    pk_test::temp_dir dir;
    auto r = pk::run_unit(pk::command(dir.path.string()));
    BOOST_TEST_REQUIRE(r.has_error());
    auto msg = r.error().message();
    BOOST_TEST(msg.find("directory") != std::string::npos, msg);
    BOOST_TEST(msg.find("Permission denied") == std::string::npos, msg);
}

BOOST_FIXTURE_TEST_CASE(nul_in_program_is_escaped, pk_test::no_leftover_children)
{
    auto r = pk::run_unit(pk::command(std::string("ab\0cd", 5)));
    PK_CHECK_ERRC(r, pk::errc::invalid_argument);
    auto msg = r.error().message();
    BOOST_TEST(msg.find('\0') == std::string::npos, "no raw NUL in the message");
    BOOST_TEST(msg.find("ab\\0cd") != std::string::npos, msg);
    pk::error_with_diagnostics ex(r.error());
    BOOST_TEST(std::string(ex.what()).find("cd") != std::string::npos, "what() is not cut: " << ex.what());
    auto live = pk::start(pk::command(std::string("ab\0cd", 5)));
    PK_CHECK_ERRC(live, pk::errc::invalid_argument);
    BOOST_TEST(live.error().message().find('\0') == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(env_entry_with_equals_never_echoes_the_value, pk_test::no_leftover_children)
{
    auto r = pk::run_unit(pk_test::helper_command({"exit", "0"}).env("TOKEN=s3cr3t", "v4lue"));
    PK_CHECK_ERRC(r, pk::errc::invalid_argument);
    auto msg = r.error().message();
    check_no_leak(msg, "s3cr3t");
    check_no_leak(msg, "v4lue");
    BOOST_TEST(msg.find("TOKEN") != std::string::npos, "the name is named: " << msg);
    const auto& d = r.error().diag();
    for (const std::string* field : {&d.program, &d.step, &d.detail, &d.stderr_tail})
    {
        check_no_leak(*field, "s3cr3t");
        check_no_leak(*field, "v4lue");
    }
}

BOOST_FIXTURE_TEST_CASE(nul_in_values_never_echoes_them, pk_test::no_leftover_children)
{
    auto env = pk::run_unit(pk_test::helper_command({"exit", "0"}).env("NAME", std::string("s3cr3t\0x", 8)));
    PK_CHECK_ERRC(env, pk::errc::invalid_argument);
    check_no_leak(env.error().message(), "s3cr3t");
    auto arg = pk::run_unit(pk_test::helper_command({"args", std::string("s3cr3t\0x", 8)}));
    PK_CHECK_ERRC(arg, pk::errc::invalid_argument);
    check_no_leak(arg.error().message(), "s3cr3t");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tee_text)

// A run's tee handler gets UTF-8 text with the default encoding too, as
// with an explicit "UTF-8" and as the live streams do (it got raw bytes).
BOOST_FIXTURE_TEST_CASE(capture_tee_sees_sanitized_text_by_default, pk_test::no_leftover_children)
{
    for (std::string enc : {"", "UTF-8"})
    {
        std::vector<std::string> seen;
        auto cmd =
            pk_test::helper_command({"bad-utf8"}).on_stdout_line([&](std::string_view l) { seen.emplace_back(l); });
        if (!enc.empty())
            cmd.stdout_encoding(enc);
        PK_REQUIRE_OK(pk::run_unit(cmd));
        BOOST_TEST_REQUIRE(seen.size() == 3u);
        BOOST_TEST(seen[0] == "ok " + pk_test::fffd + pk_test::fffd + " bad", "encoding '" << enc << "'");
        BOOST_TEST(seen[1] == "caf\xc3\xa9");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(probes)

BOOST_FIXTURE_TEST_CASE(exit_before_ready_has_its_own_code, pk_test::no_leftover_children)
{
    auto never = [](std::string_view) { return false; };
    {
        auto p = pk::start(pk_test::helper_command({"exit", "0"}));
        PK_REQUIRE_OK(p);
        PK_CHECK_ERRC(p.value().wait_for_line(never, 10s), pk::errc::exited_before_ready);
        PK_CHECK_ERRC(p.value().wait_for_output("never", 10s), pk::errc::exited_before_ready);
        PK_CHECK_ERRC(p.value().wait_for([] { return false; }, 10s), pk::errc::exited_before_ready);
    }
    {
        auto p = pk::start(pk_test::helper_command({"sleep", "5000"}));
        PK_REQUIRE_OK(p);
        PK_CHECK_ERRC(p.value().wait_for_line(never, 50ms), pk::errc::not_ready);
        PK_CHECK_ERRC(p.value().wait_for([] { return false; }, 50ms), pk::errc::not_ready);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parent_state)

// pk_closed_stdio closes the given descriptors of its own, then starts `cat`,
// writes a line and reads it back; its exit code says whether that worked.
BOOST_DATA_TEST_CASE(closed_parent_stdio, bdata::make({"0", "1", "2", "0,1", "0,2", "1,2", "0,1,2"}), fds)
{
    auto r = pk::checked(pk::command(PK_CLOSED_STDIO_PATH).args({fds, pk_test::helper()}));
    BOOST_TEST_REQUIRE(r.has_value(), pk_test::why(r));
    BOOST_TEST((r.value().code() == 0), "closed " << fds << ": " << r.value().std_err);
}

// A parent that ignores SIGCHLD: the kernel reaps SIGCHLD children itself,
// so processkit's children must report their true status anyway.
struct sigchld_ignored
{
    struct sigaction old
    {};
    sigchld_ignored()
    {
        struct sigaction ign
        {};
        ign.sa_handler = SIG_IGN;
        ::sigaction(SIGCHLD, &ign, &old);
    }
    ~sigchld_ignored() { ::sigaction(SIGCHLD, &old, nullptr); }
};

// Linux 6.15 keeps a reaped child's exit status for its pidfd (PIDFD_INFO_EXIT).
bool kernel_keeps_exit_status()
{
    struct utsname u;
    int major = 0, minor = 0;
    return ::uname(&u) == 0 && std::sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
           (major > 6 || (major == 6 && minor >= 15));
}

BOOST_DATA_TEST_CASE_F(sigchld_ignored, true_status_with_sigchld_ignored, bdata::make(pk_test::mechanisms()), mech)
{
    pk::job_runner runner(options_for(mech));
    if (!kernel_keeps_exit_status())
    {
        // Then the status is truly gone: a clear error, never a made-up signal.
        BOOST_TEST_MESSAGE("SKIPPED true-status checks: this kernel (< 6.15) has no PIDFD_INFO_EXIT; "
                           "checking for errc::status_unavailable instead");
        PK_CHECK_ERRC(runner.exit_code(pk_test::helper_command({"exit", "3"})), pk::errc::status_unavailable);
        return;
    }
    auto code = runner.exit_code(pk_test::helper_command({"exit", "3"}));
    PK_REQUIRE_OK(code);
    BOOST_TEST(code.value() == 3);
    auto killed = runner.checked(pk_test::helper_command({"kill-self", "15"}));
    PK_CHECK_ERRC(killed, pk::errc::signalled);
    BOOST_TEST((killed.error().diag().signal == SIGTERM));
    auto p = pk::start(asio::system_executor(), pk_test::helper_command({"exit", "4"}), options_for(mech));
    PK_REQUIRE_OK(p);
    auto o = p.value().wait();
    PK_REQUIRE_OK(o);
    BOOST_TEST((o.value().code() == 4), "outcome " << o.value());
}

BOOST_AUTO_TEST_SUITE_END()
