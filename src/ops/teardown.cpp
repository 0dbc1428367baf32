// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Teardown on the I/O path: kill the tree, then wait for it to empty on a
// timer or the backend's emptiness event, and for the orphans on their way
// to this subreaper on a timer -- never in a blocking call, so that one
// lingering member cannot stall the other operations of an executor.

#include "../backend/group_backend.hpp"
#include "../backend/proc_scan.hpp"
#include "../core/poll_schedule.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <optional>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = group_backend::clock;

// Calls `look` (under g.mu) on the poll schedule's timer until it returns
// true or `deadline` passes, then `done(whether it did)`.
template <class Look>
struct poller : std::enable_shared_from_this<poller<Look>>
{
    poller(asio::any_io_executor ex, group_backend& g, clock::time_point d, Look l,
           asio::any_completion_handler<void(bool)> h)
        : timer(std::move(ex)), group(g), deadline(d), look(std::move(l)), done(std::move(h))
    {
    }

    void check()
    {
        bool ok;
        {
            std::lock_guard<std::mutex> lk(group.mu);
            ok = look(group, schedule.thorough(clock::now()));
        }
        if (ok || clock::now() >= deadline)
            return std::move(done)(ok);
        timer.expires_at(std::min(deadline, clock::now() + schedule.pause()));
        timer.async_wait([self = this->shared_from_this()](error_code) { self->check(); });
    }

    asio::steady_timer timer;
    group_backend& group; // the caller keeps the group alive until completion
    clock::time_point deadline;
    Look look;
    asio::any_completion_handler<void(bool)> done;
    poll_schedule schedule;
};

template <class Look>
void poll(asio::any_io_executor ex, group_backend& g, clock::time_point deadline, Look look,
          asio::any_completion_handler<void(bool)> done)
{
    std::make_shared<poller<Look>>(std::move(ex), g, deadline, std::move(look), std::move(done))->check();
}

// After end_kill: the orphans still on their way to this subreaper.
void finish(asio::any_io_executor ex, std::shared_ptr<group_backend> g, error e,
            asio::any_completion_handler<void(error)> handler)
{
    bool pending;
    {
        std::lock_guard<std::mutex> lk(g->mu);
        pending = !g->closed && !g->reap_pending_orphans();
    }
    if (!pending) // the common case
        return std::move(handler)(std::move(e));
    auto& backend = *g;
    poll(
        std::move(ex), backend, clock::now() + orphan_patience,
        [](group_backend& b, bool) { return b.closed || b.reap_pending_orphans(); },
        [g = std::move(g), e = std::move(e), h = std::move(handler)](bool) mutable { std::move(h)(std::move(e)); });
}

} // namespace

void group_backend::async_wait_empty(asio::any_io_executor ex, clock::time_point deadline,
                                     asio::any_completion_handler<void(bool)> handler)
{
    poll(
        std::move(ex), *this, deadline, [](group_backend& b, bool thorough) { return b.tree_empty(thorough); },
        std::move(handler));
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
            (void)g->end_kill(false, false);
            done = std::move(e);
        }
        else if (empty) // the common case: the tree died with its child
            done = g->end_kill(true, false);
    }
    if (done)
        return finish(std::move(ex), std::move(g), std::move(*done), std::move(handler));
    auto& backend = *g;
    backend.async_wait_empty(ex, deadline, [ex, g = std::move(g), h = std::move(handler)](bool empty) mutable {
        error e;
        {
            std::lock_guard<std::mutex> lk(g->mu);
            if (!g->closed)
            {
                g->gave_up = g->gave_up || !empty;
                e = g->end_kill(empty, false);
            }
        }
        finish(std::move(ex), std::move(g), std::move(e), std::move(h));
    });
}

} // namespace detail
} // namespace processkit
} // namespace boost
