// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The background I/O thread that serves `start(cmd)` without an executor.

#include "io_thread.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <thread>

namespace boost {
namespace processkit {
namespace detail {
namespace {

// The executor behind `start(cmd)`: one I/O thread for the whole process.
// At exit the thread is stopped and joined and the work guard destroyed; the
// io_context itself stays (reachable through `ctx`), because a process
// started from it may be destroyed after this static and still post to it.
struct background_thread
{
    asio::io_context* ctx = new asio::io_context(1);
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{ctx->get_executor()};
    std::thread thread{[c = ctx] { c->run(); }};

    ~background_thread()
    {
        guard.reset();
        ctx->stop();
        if (thread.joinable() && thread.get_id() != std::this_thread::get_id())
            thread.join();
        else if (thread.joinable())
            thread.detach(); // exit() called from a handler on the I/O thread itself
    }
};

} // namespace

asio::any_io_executor background_executor()
{
    static background_thread bg;
    return bg.ctx->get_executor();
}

} // namespace detail
} // namespace processkit
} // namespace boost
