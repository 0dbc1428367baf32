// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Bounded fan-out: many commands, at most N alive at once.
//
//   pk::output_all         every result, in input order (sync, or async_output_all with any token)
//   pk::output_stream      the results as they finish, each tagged with its index
//
// Each entry is its own result: a missing program or a non-zero exit in one
// entry loses no other. Cancelling the batch kills every run in flight and
// starts nothing more.

#include <boost/processkit.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace pk = boost::processkit;
namespace asio = boost::asio;
using pk::error_code;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void expect(bool ok, const char* what)
{
    if (!ok)
    {
        std::cout << "  UNEXPECTED: " << what << "\n";
        ++failures;
    }
}

pk::command shell(std::string script) { return pk::command("/bin/sh").args({"-c", std::move(script)}); }

long long ms_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

void all_in_input_order()
{
    std::cout << "1. pk::output_all of 12 commands, at most 4 at a time\n";
    std::vector<pk::command> cmds;
    for (int i = 0; i < 12; ++i)
        cmds.push_back(i == 5   ? pk::command("no-such-program-in-this-example")
                       : i == 8 ? shell("echo 'disk full' >&2; exit 3")
                                : shell("sleep 0.0" + std::to_string(i % 4) + "; echo job " + std::to_string(i)));
    auto t0 = std::chrono::steady_clock::now();
    auto batch = pk::output_all(cmds, 4);
    expect(batch.has_value(), "the batch runs (only concurrency 0 would fail it)");
    if (!batch)
        return;
    const auto& entries = batch.value();
    for (std::size_t i = 0; i < entries.size(); ++i)
    {
        const auto& e = entries[i];
        if (e.has_error())
            std::cout << "   [" << i << "] error: " << e.error().message() << "\n";
        else if (!e.value().success())
            std::cout << "   [" << i << "] " << e.value().outcome << ", stderr: " << e.value().std_err;
        else
            std::cout << "   [" << i << "] " << e.value().std_out;
    }
    std::cout << "   (" << ms_since(t0) << " ms)\n";
    expect(entries.size() == 12, "one entry per command");
    expect(entries[5].has_error() && entries[5].error().code() == pk::errc::program_not_found,
           "the missing program is reported in its place");
    expect(entries[8].has_value() && entries[8].value().code() == 3, "a non-zero exit is a result");
    expect(entries[11].has_value() && entries[11].value().std_out == "job 11\n", "input order");
}

void stream_in_completion_order()
{
    std::cout << "2. pk::output_stream: results as they finish (co_await)\n";
    asio::io_context ctx;
    // Built outside the coroutine: g++ 12 miscompiles initializer_list temporaries across co_await.
    const std::vector<pk::command> cmds = {shell("sleep 0.6; echo slow"), shell("sleep 0.3; echo medium"),
                                           shell("echo fast")};
    std::vector<std::size_t> order;
    std::exception_ptr failure;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            pk::output_stream stream(co_await asio::this_coro::executor, cmds, 3);
            for (;;)
            {
                auto [ec, e] = co_await stream.async_next(asio::as_tuple(asio::use_awaitable));
                if (ec) // errc::end_of_stream once every entry is out
                {
                    expect(ec == pk::errc::end_of_stream, "the stream ends with end_of_stream");
                    break;
                }
                std::cout << "   [" << e.index << "] " << (e.result ? e.result.value().std_out : "error\n");
                order.push_back(e.index);
            }
        },
        [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    expect(!failure, "the coroutine completed without an exception");
    expect(order == std::vector<std::size_t>{2, 1, 0}, "completion order");
}

void cancel_the_batch()
{
    std::cout << "3. async_output_all of 6 long sleepers, cancelled after 300 ms\n";
    asio::io_context ctx;
    asio::cancellation_signal cancel;
    std::vector<pk::command> cmds(6, shell("sleep 30"));
    auto t0 = std::chrono::steady_clock::now();
    pk::async_output_all(
        ctx.get_executor(), cmds, 3, asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, auto entries) {
            std::cout << "   completed after " << ms_since(t0) << " ms: " << ec.message() << "\n";
            expect(ec == pk::errc::cancelled, "the batch reports cancelled");
            for (const auto& e : entries)
                expect(e.has_error() && e.error().code() == pk::errc::cancelled, "every unfinished entry is cancelled");
        }));
    asio::steady_timer timer(ctx, 300ms);
    timer.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
    ctx.run(); // returns once the three running trees are gone
    expect(ms_since(t0) < 5000, "the sleepers were killed, not waited for");
}

} // namespace

int main()
{
    all_in_input_order();
    stream_in_completion_order();
    cancel_the_batch();
    std::cout << (failures == 0 ? "fanout: OK\n" : "fanout: FAILED\n");
    return failures == 0 ? 0 : 1;
}
