// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "bp2_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>

#include <memory>

namespace pkb {
namespace bp2p {
namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
using boost::system::error_code;

// A fresh io_context for every call: Asio does not EPOLL_CTL_DEL a
// descriptor it closes, and the default launcher's fork() children hold
// copies of every fd for a moment, so a closed pipe's stale registration can
// fire into a later descriptor of the same reactor (see README: the watchdog).
asio::io_context* current = nullptr;

asio::io_context& ctx() { return *current; }

struct fresh_ctx
{
    asio::io_context c;
    asio::io_context* saved;
    fresh_ctx() : saved(current) { current = &c; }
    ~fresh_ctx() { current = saved; }
};

void run_ctx()
{
    ctx().restart();
    ctx().run();
}

argv_t tail(const argv_t& argv) { return argv_t(argv.begin() + 1, argv.end()); }

/// One captured run: stdout and stderr read to EOF, exit awaited.
struct run_op : std::enable_shared_from_this<run_op>
{
    asio::readable_pipe out{ctx()}, err{ctx()};
    bp2::process proc;
    std::string o, e;
    int pending = 3;
    std::function<void(run_op&)> done;

    run_op(const argv_t& argv) : proc(ctx(), argv[0], tail(argv), bp2::process_stdio{nullptr, out, err}) {}
    void start()
    {
        auto self = shared_from_this();
        asio::async_read(out, asio::dynamic_buffer(o), [self](error_code, std::size_t) { self->step(); });
        asio::async_read(err, asio::dynamic_buffer(e), [self](error_code, std::size_t) { self->step(); });
        proc.async_wait([self](error_code, int) { self->step(); });
    }
    void step()
    {
        if (--pending == 0 && done)
            done(*this);
    }
};

} // namespace

std::string run_capture(const argv_t& argv)
{
    fresh_ctx fc;
    auto op = std::make_shared<run_op>(argv);
    op->start();
    run_ctx();
    return std::move(op->o);
}

void fanout(const argv_t& argv, int total, int inflight)
{
    fresh_ctx fc;
    int started = 0, finished = 0;
    std::function<void()> launch = [&] {
        auto op = std::make_shared<run_op>(argv);
        ++started;
        op->done = [&](run_op&) {
            ++finished;
            if (started < total)
                launch();
        };
        op->start();
    };
    for (int i = 0; i < inflight && started < total; ++i)
        launch();
    run_ctx();
    if (finished != total)
        throw std::runtime_error("bp2: fanout incomplete");
}

std::size_t capture_big(const argv_t& argv)
{
    fresh_ctx fc;
    asio::readable_pipe out{ctx()};
    bp2::process proc(ctx(), argv[0], tail(argv), bp2::process_stdio{nullptr, out, nullptr});
    std::string o;
    asio::async_read(out, asio::dynamic_buffer(o), [](error_code, std::size_t) {});
    proc.async_wait([](error_code, int) {});
    run_ctx();
    return o.size();
}

line_stats stream_lines(const argv_t& argv)
{
    fresh_ctx fc;
    asio::readable_pipe out{ctx()};
    bp2::process proc(ctx(), argv[0], tail(argv), bp2::process_stdio{nullptr, out, nullptr});
    line_reader lr;
    std::function<void()> next = [&] {
        out.async_read_some(asio::buffer(lr.space(), lr.room()), [&](error_code ec, std::size_t n) {
            if (n)
                lr.commit(n);
            if (!ec)
                next();
        });
    };
    next();
    proc.async_wait([](error_code, int) {});
    run_ctx();
    lr.finish();
    return lr.stats;
}

lim::idle_result idle_exitlat(const argv_t& idle, int k, const argv_t& stamp, int m)
{
    fresh_ctx fc;
    lim::idle_result res;
    long rss0 = rss_kib();
    std::vector<std::shared_ptr<run_op>> idles;
    idles.reserve(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i)
    {
        idles.push_back(std::make_shared<run_op>(idle));
        idles.back()->start();
    }
    ctx().restart();
    ctx().poll();
    long rss1 = rss_kib();
    res.rss_kib_per_child = k ? static_cast<double>(rss1 - rss0) / k : 0.0;

    for (int j = 0; j < m; ++j)
    {
        auto op = std::make_shared<run_op>(stamp);
        std::int64_t t_done = 0;
        op->done = [&](run_op&) { t_done = now_ns(); };
        op->start();
        while (!t_done)
            ctx().run_one();
        res.latency_us.push_back(static_cast<double>(t_done - parse_stamp(op->o)) * 1e-3);
    }
    std::int64_t t0 = now_ns();
    for (auto& op : idles)
    {
        error_code ec;
        op->proc.terminate(ec);
    }
    run_ctx();
    res.teardown_ms = static_cast<double>(now_ns() - t0) * 1e-6;
    return res;
}

} // namespace bp2p
} // namespace pkb
