// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Pipelines: stages connected child to child, pipefail, upstream teardown,
// whole-chain timeout and cancellation, per-stage stderr, the verbs, and no
// leftover processes.

#define BOOST_TEST_MODULE pipeline
#include "pk_test.hpp"

#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/test_case.hpp>

#include <filesystem>
#include <fstream>
#include <stop_token>
#include <thread>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;
using pk_test::helper_command;
using pk_test::ms_since;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

using clock_type = std::chrono::steady_clock;

BOOST_FIXTURE_TEST_SUITE(pipelines, pk_test::no_leftover_children)

BOOST_AUTO_TEST_CASE(pipefail_names_the_rightmost_failing_stage)
{
    auto p = helper_command({"exit", "0"}) | helper_command({"exit", "3"}) | pk::command("sort");
    auto r = pk::output_string(p);
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().code().value_or(-1) == 3);
    BOOST_TEST(!r.value().success());
    BOOST_TEST_REQUIRE(r.value().failed_stage.has_value());
    BOOST_TEST(*r.value().failed_stage == 1u);
    BOOST_TEST_REQUIRE(r.value().stages.size() == 3u);
    BOOST_TEST(r.value().stages[1].outcome == pk::run_outcome::exited(3));
    BOOST_TEST(r.value().stages[2].success());
    BOOST_TEST(r.value().stages[2].program == "sort");

    auto checked = pk::run_unit(p);
    PK_CHECK_ERRC(checked, pk::errc::nonzero_exit);
    BOOST_TEST(checked.error().diag().stage.value_or(99) == 1u);
    BOOST_TEST(checked.error().message().find("pipeline stage 1") != std::string::npos, checked.error().message());
}

BOOST_AUTO_TEST_CASE(the_last_stage_gives_stdout_and_the_chain_succeeds)
{
    auto p = helper_command({"lines", "3", "row"}) | helper_command({"cat"}) | pk::command("sort").arg("-r");
    auto out = pk::run(p);
    PK_REQUIRE_OK(out);
    BOOST_TEST(out.value() == "row2\nrow1\nrow0");
    auto r = pk::checked(p);
    PK_REQUIRE_OK(r);
    BOOST_TEST(!r.value().failed_stage.has_value());
    BOOST_TEST(r.value().stages.size() == 3u);
}

BOOST_AUTO_TEST_CASE(bytes_flow_child_to_child_without_the_parent)
{
    // 256 MiB through three stages, checked byte for byte by the last one:
    // the parent sees only its verdict, so its memory must not grow by the stream.
    const unsigned long long size = 256ull << 20;
    long before = pk_test::status_kib("VmHWM");
    auto r = pk::output_string(helper_command({"bytes", std::to_string(size)}) | helper_command({"cat"}) |
                               helper_command({"check-pattern"}));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_out == "ok " + std::to_string(size) + "\n");
    BOOST_TEST(r.value().success());
    long grew_mib = (pk_test::status_kib("VmHWM") - before) / 1024;
    BOOST_TEST(grew_mib < 32, "peak RSS grew by " << grew_mib << " MiB");
}

BOOST_AUTO_TEST_CASE(yes_head_fails_unless_yes_is_unchecked)
{
    auto unchecked = pk::run(pk::command("yes").unchecked_in_pipe() | pk::command("head").arg("-1"));
    PK_REQUIRE_OK(unchecked);
    BOOST_TEST(unchecked.value() == "y");

    auto checked = pk::output_string(pk::command("yes") | pk::command("head").arg("-1"));
    PK_REQUIRE_OK(checked);
    BOOST_TEST(!checked.value().success());
    BOOST_TEST(checked.value().failed_stage.value_or(99) == 0u);
    BOOST_TEST(checked.value().signal().has_value()); // SIGPIPE, or the teardown's SIGKILL
    BOOST_TEST(checked.value().std_out == "y\n");
}

BOOST_AUTO_TEST_CASE(a_failing_middle_stage_tears_down_a_quiet_upstream)
{
    auto t0 = clock_type::now();
    auto r =
        pk::output_string(helper_command({"sleep", "30000"}) | helper_command({"exit", "3"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(r);
    BOOST_TEST(ms_since(t0) < 1000);
    BOOST_TEST(r.value().code().value_or(-1) == 3);
    BOOST_TEST(r.value().failed_stage.value_or(99) == 1u);
    BOOST_TEST(r.value().stages[0].torn_down);
    BOOST_TEST(!r.value().stages[1].torn_down);
    BOOST_TEST(r.value().stages[2].success());
}

BOOST_AUTO_TEST_CASE(a_stage_that_closed_its_output_is_never_torn_down)
{
    // /bin/cat closes its stdout (atexit) before it exits: the last stage
    // sees EOF and may end first. Killing cat then failed the chain in a few
    // runs per hundred; a stage that holds no pipe end is left to end.
    int failures = 0;
    for (int i = 0; i < 300; ++i)
    {
        auto r = pk::output_string(helper_command({"bytes", "65536"}) | pk::command("/bin/cat") |
                                   helper_command({"count-stdin"}));
        if (!r || !r.value().success() || r.value().std_out != "65536\n")
            ++failures;
    }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(stdin_feeds_the_first_stage)
{
    auto out = pk::run(helper_command({"cat"}).stdin_bytes("abc\ndef\n") | helper_command({"count-stdin"}));
    PK_REQUIRE_OK(out);
    BOOST_TEST(out.value() == "8");
}

BOOST_AUTO_TEST_CASE(stderr_is_captured_per_stage_or_merged_downstream)
{
    // Stage 1 reads to EOF (stage 0 has ended by then), expects 5 bytes,
    // gets none, says so on stderr and fails.
    auto r = pk::output_string(helper_command({"stderr-exit", "0", "first"}) |
                               helper_command({"flood", "0", "0", "5"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(r);
    BOOST_TEST_REQUIRE(r.value().stages.size() == 3u);
    BOOST_TEST(r.value().stages[0].std_err.find("first") != std::string::npos);
    BOOST_TEST(r.value().stages[1].std_err.find("stdin got 0") != std::string::npos);
    BOOST_TEST(r.value().stages[2].std_err.empty());
    BOOST_TEST(r.value().failed_stage.value_or(99) == 1u);
    // The top-level stderr is the failing stage's.
    BOOST_TEST(r.value().std_err.find("stdin got 0") != std::string::npos);
    BOOST_TEST(r.value().diagnostics.stderr_tail.find("stdin got 0") != std::string::npos);

    // Merged: stage 0's stderr goes down the pipe with its stdout.
    auto merged = pk::run(helper_command({"stderr-exit", "0", "down"}).std_err(pk::stdio_mode::merge()) |
                          helper_command({"cat"}));
    PK_REQUIRE_OK(merged);
    BOOST_TEST(merged.value().find("down") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(timeout_kills_every_stage_and_their_descendants)
{
    // Stage 0 forks two generations that report their pids down the pipe.
    auto p = (helper_command({"tree", "2", "30000"}) | helper_command({"cat"})).timeout(400ms);
    auto t0 = clock_type::now();
    auto r = pk::output_string(p);
    PK_REQUIRE_OK(r);
    BOOST_TEST(ms_since(t0) < 3000);
    BOOST_TEST(r.value().timed_out());
    auto pids = pk_test::pid_lines(r.value().std_out);
    BOOST_TEST(pids.size() == 3u, r.value().std_out);
    BOOST_TEST(pk_test::survivors(pids, 100ms).empty());
    PK_CHECK_ERRC(pk::run_unit(p), pk::errc::timed_out);
}

BOOST_AUTO_TEST_CASE(idle_timeout_covers_the_chain)
{
    auto r = pk::output_string((helper_command({"sleep", "30000"}) | helper_command({"cat"})).idle_timeout(300ms));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(r.value().diagnostics.detail == "idle");
}

BOOST_AUTO_TEST_CASE(cancel_on_and_asio_cancellation_stop_the_chain)
{
    pk_test::io_thread io;
    {
        std::stop_source stop;
        auto p = (helper_command({"tree", "1", "30000"}) | helper_command({"cat"})).cancel_on(stop.get_token());
        auto fut = pk::async_output_string(io.ctx.get_executor(), p, asio::use_future);
        std::this_thread::sleep_for(200ms);
        auto t0 = clock_type::now();
        stop.request_stop();
        BOOST_CHECK_EXCEPTION(fut.get(), boost::system::system_error,
                              [](const boost::system::system_error& e) { return e.code() == pk::errc::cancelled; });
        BOOST_TEST(ms_since(t0) < 1000);
    }
    {
        asio::cancellation_signal sig;
        std::promise<pk::error_code> done;
        pk::async_run_unit(io.ctx.get_executor(), helper_command({"sleep", "30000"}) | helper_command({"cat"}),
                           asio::bind_cancellation_slot(sig.slot(), [&](pk::error_code ec) { done.set_value(ec); }));
        std::this_thread::sleep_for(200ms);
        auto t0 = clock_type::now();
        asio::post(io.ctx.get_executor(), [&] { sig.emit(asio::cancellation_type::terminal); });
        auto ec = done.get_future().get();
        BOOST_TEST(ec == pk::errc::cancelled);
        BOOST_TEST(ms_since(t0) < 1000);
    }
}

BOOST_AUTO_TEST_CASE(nothing_runs_unless_every_stage_can_start)
{
    pk_test::temp_dir dir;
    auto marker = (dir.path / "ran").string();
    auto r = pk::output_string(helper_command({"make-file", marker, "0"}) | helper_command({"cat"}) |
                               pk::command("pk-no-such-program-anywhere"));
    PK_CHECK_ERRC(r, pk::errc::program_not_found);
    BOOST_TEST(r.error().diag().stage.value_or(99) == 2u);
    std::this_thread::sleep_for(50ms);
    BOOST_TEST(!std::filesystem::exists(marker));
}

BOOST_AUTO_TEST_CASE(chain_settings_on_a_stage_are_refused)
{
    PK_CHECK_ERRC(pk::run(helper_command({"cat"}).timeout(1s) | helper_command({"cat"})), pk::errc::invalid_argument);
    PK_CHECK_ERRC(pk::run(helper_command({"cat"}) | helper_command({"cat"}).stdin_bytes("x")),
                  pk::errc::invalid_argument);
    PK_CHECK_ERRC(pk::run(helper_command({"cat"}).std_out(pk::stdio_mode::null()) | helper_command({"cat"})),
                  pk::errc::invalid_argument);
    PK_CHECK_ERRC(pk::run(pk::pipeline(std::vector<pk::command>{helper_command({"cat"})})), pk::errc::invalid_argument);
    PK_CHECK_ERRC(pk::run((helper_command({"cat"}) | helper_command({"cat"})).timeout(0ms)),
                  pk::errc::invalid_argument);
    auto r = pk::run(helper_command({"cat"}) | helper_command({"cat"}).timeout(1s));
    PK_CHECK_ERRC(r, pk::errc::invalid_argument);
    BOOST_TEST(r.error().diag().stage.value_or(99) == 1u);
}

BOOST_AUTO_TEST_CASE(every_verb_on_a_pipeline)
{
    // The first stage may still be running when the second exits (then it
    // is torn down): unchecked, so only the second one's exit counts.
    auto two = [](std::string code) {
        return helper_command({"lines", "2", "x"}).unchecked_in_pipe() | helper_command({"exit", code});
    };
    BOOST_TEST(pk::exit_code(two("5")).value() == 5);
    BOOST_TEST(pk::probe(two("0")).value() == true);
    BOOST_TEST(pk::probe(two("1")).value() == false);
    BOOST_TEST(pk::first_line(helper_command({"lines", "2", "x"}) | helper_command({"cat"})).value() == "x0");
    auto bytes = pk::output_bytes(helper_command({"bytes", "1000"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(bytes);
    BOOST_TEST(bytes.value().std_out.size() == 1000u);
    BOOST_TEST(pk_test::pattern_mismatch(bytes.value().std_out) == 1000u);

    pk_test::io_thread io;
    auto fut = pk::async_run(io.ctx.get_executor(), helper_command({"lines", "1", "a"}) | helper_command({"cat"}),
                             asio::use_future);
    BOOST_TEST(fut.get() == "a0");
}

BOOST_DATA_TEST_CASE(a_pipeline_runs_in_a_group_you_own, bdata::make(pk_test::mechanisms()), m)
{
    auto group = pk_test::make_group(m);
    pk::group_runner runner(group);
    auto r = runner.output_string(helper_command({"lines", "2", "g"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_out == "g0\ng1\n");
    BOOST_TEST(r.value().success());
    // The chain is torn down with its run: the group is empty again.
    auto members = group.members();
    PK_REQUIRE_OK(members);
    BOOST_TEST(members.value().empty());
}

BOOST_AUTO_TEST_CASE(a_runner_without_pipelines_says_so)
{
    struct capture_only : pk::process_runner
    {
        void async_capture(asio::any_io_executor ex, pk::command,
                           asio::any_completion_handler<void(pk::error_code, pk::process_result)> h) override
        {
            asio::post(ex, [h = std::move(h)]() mutable { std::move(h)(pk::error_code(), pk::process_result()); });
        }
        pk::result<pk::running_process> start(asio::any_io_executor, pk::command) override
        {
            return pk::error(pk::errc::unsupported);
        }
    } runner;
    PK_CHECK_ERRC(runner.run(helper_command({"cat"}) | helper_command({"cat"})), pk::errc::unsupported);
}

BOOST_AUTO_TEST_CASE(a_started_pipeline_streams_the_last_stage_and_feeds_the_first)
{
    auto p = pk::start(helper_command({"cat"}) | helper_command({"cat"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(p);
    auto& proc = p.value();
    auto in = proc.std_in();
    PK_REQUIRE_OK(in.write_line("hello"));
    auto lines = proc.stdout_lines();
    BOOST_TEST(lines.next().value() == "hello");
    PK_REQUIRE_OK(in.write_line("again"));
    BOOST_TEST(lines.next().value() == "again");
    in.close();
    PK_CHECK_ERRC(lines.next(), pk::errc::end_of_stream);
    auto f = proc.finish();
    PK_REQUIRE_OK(f);
    BOOST_TEST((f.value().outcome == pk::run_outcome::exited(0)));
    BOOST_TEST(f.value().stages.size() == 3u);
    BOOST_TEST(!f.value().failed_stage.has_value());
}

BOOST_AUTO_TEST_CASE(a_started_pipeline_reports_pipefail_and_per_stage_stderr)
{
    auto p = pk::start(helper_command({"stderr-exit", "3", "broken"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(p);
    BOOST_TEST((p.value().wait().value() == pk::run_outcome::exited(3)));
    auto f = p.value().finish();
    PK_REQUIRE_OK(f);
    BOOST_TEST(f.value().failed_stage.value_or(99) == 0u);
    BOOST_TEST(f.value().stages[0].std_err.find("broken") != std::string::npos);
    BOOST_TEST(f.value().std_err.find("broken") != std::string::npos);
    BOOST_TEST(f.value().diagnostics.stage.value_or(99) == 0u);
}

BOOST_AUTO_TEST_CASE(a_started_pipeline_tears_down_upstream_and_obeys_kill)
{
    {
        auto t0 = clock_type::now();
        auto p = pk::start(helper_command({"sleep", "30000"}) | helper_command({"exit", "2"}));
        PK_REQUIRE_OK(p);
        BOOST_TEST((p.value().wait().value() == pk::run_outcome::exited(2)));
        BOOST_TEST(ms_since(t0) < 1000);
        auto f = p.value().finish();
        PK_REQUIRE_OK(f);
        BOOST_TEST(f.value().stages[0].torn_down);
    }
    {
        auto p = pk::start(helper_command({"tree", "1", "30000"}) | helper_command({"cat"}));
        PK_REQUIRE_OK(p);
        auto lines = p.value().stdout_lines();
        std::vector<int> pids;
        for (int i = 0; i < 2; ++i)
            pids.push_back(pk_test::pid_lines(lines.next().value() + "\n").at(0));
        auto t0 = clock_type::now();
        PK_REQUIRE_OK(p.value().kill());
        BOOST_TEST(p.value().wait().value().signal().has_value());
        BOOST_TEST(ms_since(t0) < 1000);
        BOOST_TEST(pk_test::survivors(pids, 100ms).empty());
    }
}

BOOST_AUTO_TEST_CASE(a_started_pipeline_has_probes_and_a_timeout)
{
    pk_test::io_thread io;
    auto p = pk::start(io.ctx.get_executor(),
                       (helper_command({"slow-lines", "100", "20"}) | helper_command({"cat"})).timeout(5s));
    PK_REQUIRE_OK(p);
    auto line = p.value().wait_for_line([](std::string_view l) { return l.find('3') != std::string_view::npos; }, 3s);
    PK_REQUIRE_OK(line);
    PK_REQUIRE_OK(p.value().kill());
    (void)p.value().wait();

    auto t = pk::start((helper_command({"sleep", "30000"}) | helper_command({"cat"})).timeout(300ms));
    PK_REQUIRE_OK(t);
    BOOST_TEST((t.value().wait().value() == pk::run_outcome::timed_out()));
    PK_CHECK_ERRC(pk::start(helper_command({"cat"}).timeout(1s) | helper_command({"cat"})), pk::errc::invalid_argument);
}

BOOST_DATA_TEST_CASE(a_started_pipeline_joins_a_group_you_own, bdata::make(pk_test::mechanisms()), m)
{
    auto group = pk_test::make_group(m);
    auto p = group.start(helper_command({"sleep", "30000"}) | helper_command({"cat"}));
    PK_REQUIRE_OK(p);
    auto members = group.members();
    PK_REQUIRE_OK(members);
    BOOST_TEST(members.value().size() >= 2u);
    PK_REQUIRE_OK(group.kill_all());
    BOOST_TEST(p.value().wait().value().signal().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
