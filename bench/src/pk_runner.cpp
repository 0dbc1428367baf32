// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// processkit's runner verbs (process_runner.hpp / command.hpp).

#include "pk_side.hpp"
#include "ticker.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/processkit/command.hpp>
#include <boost/processkit/output_all.hpp>
#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string_view>
#include <unistd.h>

namespace pkb {
namespace pk {
namespace {

namespace asio = boost::asio;
namespace bpk = boost::processkit;

bpk::job_runner& runner(mech m)
{
    static bpk::job_runner cg(bpk::process_group_options{bpk::mechanism_request::cgroup_v2});
    static bpk::job_runner pg(bpk::process_group_options{bpk::mechanism_request::process_group});
    return m == mech::cgroup ? cg : pg;
}

bpk::command make_cmd(const argv_t& a)
{
    bpk::command c(a[0]);
    c.args(std::vector<std::string>(a.begin() + 1, a.end()));
    return c;
}

[[noreturn]] void fail(const char* verb, const bpk::error& e)
{
    throw std::runtime_error(std::string("processkit ") + verb + ": " + e.message());
}

} // namespace

const char* side() { return "runner"; }

std::string output_string(mech m, const argv_t& argv)
{
    auto r = runner(m).output_string(make_cmd(argv));
    if (!r)
        fail("output_string", r.error());
    if (!r.value().success())
        throw std::runtime_error("processkit output_string: run did not succeed");
    return std::move(r.value().std_out);
}

void fanout(mech m, const argv_t& argv, int total, int inflight)
{
    asio::io_context ctx;
    int started = 0, finished = 0;
    std::string first_error;
    std::function<void()> launch = [&] {
        ++started;
        runner(m).async_output_string(ctx.get_executor(), make_cmd(argv),
                                      [&](bpk::error_code ec, bpk::process_result r) {
                                          ++finished;
                                          if ((ec || r.std_out.empty()) && first_error.empty())
                                              first_error = ec ? ec.message() : "empty stdout";
                                          if (started < total)
                                              launch();
                                      });
    };
    for (int i = 0; i < inflight && started < total; ++i)
        launch();
    ctx.run();
    if (!first_error.empty())
        throw std::runtime_error("processkit async_output_string: " + first_error);
    if (finished != total)
        throw std::runtime_error("processkit fanout: " + std::to_string(finished) + " of " + std::to_string(total));
}

void fanout_output_all(mech m, const argv_t& argv, int total, int inflight)
{
    // The commands are made inside the timed call: a caller has to make them too.
    std::vector<bpk::command> cmds;
    cmds.reserve(static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i)
        cmds.push_back(make_cmd(argv));
    auto all = bpk::output_all(runner(m), std::move(cmds), static_cast<std::size_t>(inflight));
    if (!all)
        fail("output_all", all.error());
    if (all.value().size() != static_cast<std::size_t>(total))
        throw std::runtime_error("processkit output_all: " + std::to_string(all.value().size()) + " entries of " +
                                 std::to_string(total));
    for (auto& e : all.value())
    {
        if (!e)
            fail("output_all entry", e.error());
        if (!e.value().success() || e.value().std_out.empty())
            throw std::runtime_error("processkit output_all: an entry did not succeed or printed nothing");
    }
}

pipeline_run pipeline_output(mech m, const std::vector<argv_t>& stages)
{
    if (stages.size() < 2)
        throw std::runtime_error("pipeline_output: needs two stages at least");
    bpk::pipeline p = make_cmd(stages[0]) | make_cmd(stages[1]);
    for (std::size_t i = 2; i < stages.size(); ++i)
        p = std::move(p) | make_cmd(stages[i]);
    auto r = runner(m).output_string(std::move(p));
    if (!r)
        fail("output_string(pipeline)", r.error());
    const bpk::process_result& res = r.value();
    auto describe = [&res] {
        std::ostringstream o;
        o << "outcome " << res.outcome;
        if (res.failed_stage)
            o << ", failed stage " << *res.failed_stage;
        for (std::size_t i = 0; i < res.stages.size(); ++i)
        {
            const auto& st = res.stages[i];
            o << "; stage " << i << " " << st.program << ": " << st.outcome << (st.accepted ? "" : " (not accepted)")
              << (st.torn_down ? " (torn down)" : "");
            if (!st.std_err.empty())
                o << " stderr '" << st.std_err.substr(0, 200) << "'";
        }
        return o.str();
    };
    pipeline_run run;
    run.out = res.std_out;
    if (!res.success() || res.stages.size() != stages.size() ||
        !std::all_of(res.stages.begin(), res.stages.end(), [](const bpk::stage_result& st) { return st.success(); }))
    {
        run.failure = describe();
        std::ostringstream o;
        if (res.failed_stage && *res.failed_stage < res.stages.size())
        {
            const auto& st = res.stages[*res.failed_stage];
            std::string prog = st.program.substr(st.program.rfind('/') + 1);
            o << "stage " << *res.failed_stage << " (" << prog << ") " << st.outcome
              << (st.torn_down ? ", torn down" : "");
        }
        else
            o << "chain " << res.outcome;
        run.failure_short = o.str();
    }
    return run;
}

std::size_t capture_big(mech m, const argv_t& argv, std::size_t expected)
{
    auto r = runner(m).output_string(make_cmd(argv).std_err(bpk::stdio_mode::null()));
    if (!r)
        fail("output_string", r.error());
    std::size_t n = r.value().std_out.size();
    if (n != expected)
        throw std::runtime_error("processkit output_string captured " + std::to_string(n) + " of " +
                                 std::to_string(expected) + " bytes" +
                                 (r.value().std_out_truncated ? " (truncated)" : ""));
    return n;
}

line_stats lines(mech m, const argv_t& argv)
{
    // One thread, like the limit: the io_context serving the child also runs
    // the consumer, which takes the lines a batch at a time
    // (line_stream::async_next_batch) and counts them and their bytes.
    asio::io_context ctx(1);
    auto p = runner(m).start(ctx.get_executor(), make_cmd(argv).std_err(bpk::stdio_mode::null()));
    if (!p)
        fail("start", p.error());
    bpk::line_stream out = p.value().stdout_lines();
    line_stats st;
    bpk::error_code end;
    std::function<void()> next = [&] {
        out.async_next_batch([&](bpk::error_code ec, bpk::line_batch b) {
            if (ec)
            {
                end = ec;
                return;
            }
            for (std::string_view line : b)
            {
                ++st.lines;
                st.bytes += line.size();
            }
            next();
        });
    };
    next();
    ctx.run();
    if (end != bpk::errc::end_of_stream)
        throw std::runtime_error("processkit line_stream: " + end.message());
    ctx.restart();
    bpk::error_code wait_ec;
    std::optional<bpk::run_outcome> outcome;
    p.value().async_wait([&](bpk::error_code ec, bpk::run_outcome o) {
        wait_ec = ec;
        outcome = o;
    });
    ctx.run();
    if (wait_ec || !outcome || *outcome != bpk::run_outcome::exited(0))
        throw std::runtime_error("processkit lines: the run did not succeed");
    return st;
}

lim::idle_result idle_exitlat(mech mc, const argv_t& idle, int k, const argv_t& stamp, int m)
{
    lim::idle_result res;
    asio::io_context ctx;
    std::stop_source stop;
    std::vector<int> before = list_children();
    int base = static_cast<int>(before.size());
    long rss0 = rss_kib();
    int idle_done = 0;
    for (int i = 0; i < k; ++i)
        runner(mc).async_output_string(ctx.get_executor(), make_cmd(idle).cancel_on(stop.get_token()),
                                       [&](bpk::error_code, bpk::process_result) { ++idle_done; });
    // Every idle child started (they are our direct children).
    std::int64_t deadline = now_ns() + 60'000'000'000LL;
    while (count_children() < base + k && now_ns() < deadline)
    {
        ctx.restart();
        ctx.poll();
        ::usleep(1000);
    }
    ctx.restart();
    ctx.poll();
    long rss1 = rss_kib();
    res.rss_kib_per_child = k ? static_cast<double>(rss1 - rss0) / k : 0.0;
    if (count_children() < base + k)
        throw std::runtime_error("processkit: idle children did not all start");

    for (int j = 0; j < m; ++j)
    {
        std::int64_t t_done = 0;
        std::string out;
        runner(mc).async_output_string(ctx.get_executor(), make_cmd(stamp),
                                       [&](bpk::error_code, bpk::process_result r) {
                                           t_done = now_ns();
                                           out = std::move(r.std_out);
                                       });
        while (!t_done)
        {
            ctx.restart();
            ctx.run_one();
        }
        res.latency_us.push_back(static_cast<double>(t_done - parse_stamp(out)) * 1e-3);
    }

    std::int64_t t_stop = now_ns();
    stop.request_stop();
    deadline = now_ns() + 300'000'000'000LL;
    while (idle_done < k && now_ns() < deadline)
    {
        ctx.restart();
        ctx.run_for(std::chrono::milliseconds(100));
    }
    if (idle_done < k)
    {
        std::fprintf(stderr, "  (processkit %s: %d of %d idle runs ended 300 s after request_stop)\n", name(mc),
                     idle_done, k);
        // cancellation did not work: kill the idle children we started (not
        // the bench's other children) so the run can go on
        for (int pid : list_children())
            if (std::find(before.begin(), before.end(), pid) == before.end())
                ::kill(pid, SIGKILL);
        ctx.restart();
        ctx.run_for(std::chrono::seconds(10));
        throw std::runtime_error("processkit: cancel_on did not end the idle runs within 300 s");
    }
    res.teardown_ms = static_cast<double>(now_ns() - t_stop) * 1e-6;
    return res;
}

lim::lateness_result teardown_lateness(mech mc, const argv_t& forker, int n, int lead_ms, int window_ms)
{
    using clock = ticker::clock;
    lim::lateness_result res;
    asio::io_context ctx; // first: destroyed after the handles below
    bpk::process_group_options opt;
    opt.mechanism = mc == mech::cgroup ? bpk::mechanism_request::cgroup_v2 : bpk::mechanism_request::process_group;

    std::vector<bpk::running_process> ps;
    ps.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
    {
        auto p = bpk::start(ctx.get_executor(), make_cmd(forker), opt);
        if (!p)
            fail("start", p.error());
        ps.push_back(std::move(p.value()));
    }

    int probed = 0;
    burst_progress prog;
    prog.n = n;
    std::string first_error;
    std::vector<int> gpids(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i)
    {
        ps[i].async_wait_for_line([](std::string_view l) { return l.rfind("ready ", 0) == 0; },
                                  std::chrono::seconds(60),
                                  [&, i](bpk::error_code ec, std::string line) {
                                      ++probed;
                                      if (ec && first_error.empty())
                                          first_error = "ready probe: " + ec.message();
                                      if (!ec)
                                          gpids[static_cast<std::size_t>(i)] = std::atoi(line.c_str() + 6);
                                  });
        ps[i].async_wait([&](bpk::error_code ec, bpk::run_outcome o) {
            if ((ec || o != bpk::run_outcome::exited(0)) && first_error.empty())
                first_error = ec ? "async_wait: " + ec.message() : "a child did not exit 0";
            prog.one_done();
        });
    }
    auto hard = clock::now() + std::chrono::seconds(90);
    while (probed < n && clock::now() < hard)
        ctx.run_one_for(std::chrono::milliseconds(100));
    if (probed < n || !first_error.empty())
        throw std::runtime_error("processkit teardown_lateness: " +
                                 (first_error.empty() ? std::string("children not ready in time") : first_error));

    // The measured part, the same as the limits' (ticker.hpp).
    std::vector<int> pids;
    for (auto& p : ps)
        pids.push_back(p.pid());
    bool finished = run_burst(ctx, pids, lead_ms, window_ms, prog, res);

    // Every async_wait has completed, so every tree must be gone.
    res.survivors = kill_survivors(gpids);
    // Outside the window: end the handles (their groups), drain what is left.
    ps.clear();
    ctx.restart();
    ctx.run_for(std::chrono::seconds(10));
    if (!finished)
        throw std::runtime_error("processkit teardown_lateness: " + std::to_string(prog.done) + " of " +
                                 std::to_string(n) + " exits seen 30 s after the signal");
    if (!first_error.empty())
        throw std::runtime_error("processkit teardown_lateness: " + first_error);
    return res;
}

} // namespace pk
} // namespace pkb
