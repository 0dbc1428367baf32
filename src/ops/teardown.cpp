// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Teardown on the I/O path: kill the tree, then wait for it to empty on a
// timer or the backend's emptiness event, never in a blocking call, so that
// one lingering member cannot stall the other operations of an executor.

#include "../backend/group_backend.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <optional>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = group_backend::clock;

// Polls tree_empty() with growing pauses: killed members are usually gone
// within a millisecond, a lingering one is looked at every few.
struct poll_wait : std::enable_shared_from_this<poll_wait>
{
    poll_wait(asio::any_io_executor ex, group_backend& g, clock::time_point d,
              asio::any_completion_handler<void(bool)> h)
        : timer(ex), group(g), deadline(d), handler(std::move(h))
    {
    }

    void check()
    {
        bool thorough = clock::now() >= next_thorough;
        if (thorough) // a lingering zombie of another reaper is looked at less and less often
        {
            thorough_every = std::min(thorough_every * 2, std::chrono::milliseconds(50));
            next_thorough = clock::now() + thorough_every;
        }
        bool empty;
        {
            std::lock_guard<std::mutex> lk(group.mu);
            empty = group.tree_empty(thorough);
        }
        if (empty || clock::now() >= deadline)
            return std::move(handler)(empty);
        pause = std::min(pause * 2, std::chrono::microseconds(2000));
        timer.expires_at(std::min(deadline, clock::now() + pause));
        timer.async_wait([self = shared_from_this()](error_code) { self->check(); });
    }

    asio::steady_timer timer;
    group_backend& group; // the caller keeps the group alive until completion
    clock::time_point deadline;
    asio::any_completion_handler<void(bool)> handler;
    clock::time_point next_thorough = clock::now() + std::chrono::milliseconds(2);
    std::chrono::milliseconds thorough_every{2};
    std::chrono::microseconds pause{100};
};

} // namespace

void group_backend::async_wait_empty(asio::any_io_executor ex, clock::time_point deadline,
                                     asio::any_completion_handler<void(bool)> handler)
{
    std::make_shared<poll_wait>(std::move(ex), *this, deadline, std::move(handler))->check();
}

void async_kill_tree(asio::any_io_executor ex, std::shared_ptr<group_backend> g,
                     asio::any_completion_handler<void(error)> handler)
{
    auto deadline = clock::now() + g->options.teardown_timeout;
    // The handler runs after the lock is released: it may close the group.
    std::optional<error> done;
    {
        std::lock_guard<std::mutex> lk(g->mu);
        bool empty = false;
        if (g->closed)
            done.emplace();
        else if (error e = g->begin_kill(empty))
        {
            (void)g->end_kill(false);
            done = std::move(e);
        }
        else if (empty) // the common case: the tree died with its child
            done = g->end_kill(true);
    }
    if (done)
        return std::move(handler)(std::move(*done));
    auto& backend = *g;
    backend.async_wait_empty(std::move(ex), deadline, [g = std::move(g), h = std::move(handler)](bool empty) mutable {
        error e;
        {
            std::lock_guard<std::mutex> lk(g->mu);
            if (!g->closed)
                e = g->end_kill(empty);
        }
        std::move(h)(std::move(e));
    });
}

} // namespace detail
} // namespace processkit
} // namespace boost
