// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// One asynchronous verb, `pk::async_run`, with the usual Asio completion
// tokens: a callback, `asio::use_future`, a C++20 coroutine
// (`asio::co_spawn` + `asio::use_awaitable`), and a race against a timer
// with `asio::experimental::make_parallel_group`: the loser is cancelled,
// which kills its whole process tree.
//
// Boost 1.81's Asio has no default completion token: always pass one.

#include <boost/processkit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <future>
#include <iostream>
#include <string>
#include <thread>

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

void with_callback()
{
    std::cout << "1. callback\n";
    asio::io_context ctx;
    pk::async_run(ctx.get_executor(), shell("echo called back"), [&](error_code ec, std::string out) {
        expect(!ec, "no error");
        std::cout << "   -> \"" << out << "\"\n";
        expect(out == "called back", "output");
    });
    // The diagnostics& overload fills in what went wrong.
    pk::diagnostics diag;
    pk::async_run(ctx.get_executor(), shell("echo 'disk full' >&2; exit 4"), diag, [&](error_code ec, std::string) {
        expect(ec == pk::errc::nonzero_exit, "nonzero_exit");
        std::cout << "   error: " << diag.message(ec) << "\n";
    });
    ctx.run(); // the handlers run here, on the io_context's thread
}

void with_future()
{
    std::cout << "2. asio::use_future\n";
    asio::io_context ctx;
    auto work = asio::make_work_guard(ctx);
    std::thread io([&] { ctx.run(); }); // a future needs another thread to serve the operation

    std::future<std::string> ok = pk::async_run(ctx.get_executor(), shell("echo from a future"), asio::use_future);
    std::future<std::string> bad = pk::async_run(ctx.get_executor(), shell("exit 3"), asio::use_future);
    std::string out = ok.get();
    std::cout << "   -> \"" << out << "\"\n";
    expect(out == "from a future", "output");
    try
    {
        bad.get();
        expect(false, "get() should have thrown");
    }
    catch (const boost::system::system_error& e) // the error code, without the diagnostics
    {
        std::cout << "   get() threw: " << e.code().message() << "\n";
        expect(e.code() == pk::errc::nonzero_exit, "nonzero_exit");
    }

    work.reset();
    io.join();
}

void with_coroutine()
{
    std::cout << "3. C++20 coroutine: co_spawn + use_awaitable\n";
    asio::io_context ctx;
    // Commands are built outside the coroutine body: g++ 12 miscompiles
    // initializer_list temporaries (the braced argument lists) across co_await.
    const pk::command greet = shell("echo awaited"), fail = shell("echo 'no route' >&2; exit 7");
    std::exception_ptr failure;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            std::string out = co_await pk::async_run(ex, greet, asio::use_awaitable);
            std::cout << "   -> \"" << out << "\"\n";
            expect(out == "awaited", "output");
            try
            {
                co_await pk::async_run(ex, fail, asio::use_awaitable);
                expect(false, "co_await should have thrown");
            }
            catch (const boost::system::system_error& e)
            {
                std::cout << "   co_await threw: " << e.code().message() << "\n";
                expect(e.code() == pk::errc::nonzero_exit, "nonzero_exit");
            }
        },
        [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    expect(!failure, "the coroutine completed without an exception");
}

void race_against_a_timer()
{
    std::cout << "4. a run raced against a 300 ms timer (make_parallel_group, wait_for_one)\n";
    asio::io_context ctx;
    auto ex = ctx.get_executor();
    asio::steady_timer timer(ctx, 300ms);
    // The child spawns a grandchild; both die when the run is cancelled.
    auto slow = shell("sleep 30 & echo started; wait");
    auto t0 = std::chrono::steady_clock::now();
    asio::experimental::make_parallel_group(pk::async_run(ex, slow, asio::deferred), timer.async_wait(asio::deferred))
        .async_wait(asio::experimental::wait_for_one(), [&](std::array<std::size_t, 2> order, error_code run_ec,
                                                            std::string, error_code timer_ec) {
            auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
            std::cout << "   " << (order[0] == 1 ? "the timer" : "the run") << " won after " << ms
                      << " ms; the run completed with: " << run_ec.message() << "\n";
            expect(order[0] == 1, "the timer fires first");
            expect(!timer_ec, "the timer expired");
            expect(run_ec == pk::errc::cancelled, "the run was cancelled (its tree killed)");
        });
    ctx.run();
}

} // namespace

int main()
{
    with_callback();
    with_future();
    with_coroutine();
    race_against_a_timer();
    std::cout << (failures == 0 ? "async_tokens: OK\n" : "async_tokens: FAILED\n");
    return failures == 0 ? 0 : 1;
}
