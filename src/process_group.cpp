// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// process_group: the facade over a group_backend (src/backend/group_backend.hpp).
// It takes the lock, knows whether the group is closed, and forwards.

#include <boost/processkit/detail/spawn.hpp>
#include <boost/processkit/process_group.hpp>

#include "backend/group_backend.hpp"
#include "core/poll_schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace boost {
namespace processkit {
namespace detail {
namespace {

std::mutex fallback_mu;
std::function<void(const containment_report&)> fallback_handler = [](const containment_report& r) {
    std::fprintf(stderr, "processkit: cgroup v2 containment unavailable (%s); using POSIX process groups\n",
                 r.reason.c_str());
};
std::once_flag fallback_once;

result<void> to_result(const error& e)
{
    if (e)
        return e;
    return outcome_v2::success();
}

} // namespace

void notify_fallback()
{
    std::call_once(fallback_once, [] {
        std::function<void(const containment_report&)> h;
        {
            std::lock_guard<std::mutex> lk(fallback_mu);
            h = fallback_handler;
        }
        if (h)
            h(host_containment());
    });
}

// ---------------------------------------------------------------- group_backend

void group_backend::prune_children(bool reap)
{
    auto done = [reap](const std::shared_ptr<child_record>& c) {
        if (c->reaped())
            return true;
        if (!c->exited())
            return false;
        return !c->owned || (reap && c->try_reap().has_value());
    };
    children.erase(std::remove_if(children.begin(), children.end(), done), children.end());
}

bool group_backend::owned_children_left() const
{
    return std::any_of(children.begin(), children.end(),
                       [](const std::shared_ptr<child_record>& c) { return c->owned && !c->reaped(); });
}

void group_backend::adopt_run_child(std::shared_ptr<child_record> child, int pgid)
{
    std::lock_guard<std::mutex> lk(mu);
    if (pgid > 0)
        add_pgid(pgid);
    prune_children(false);
    children.push_back(std::move(child));
    if (closed) // torn down while the run was spawning
        children.back()->send_signal(native_signal(signal::kill));
}

bool group_backend::wait_empty(clock::time_point deadline)
{
    poll_schedule schedule;
    for (;;)
    {
        if (tree_empty(schedule.thorough(clock::now())))
            return true;
        if (clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(schedule.pause());
    }
}

error kill_tree(group_backend& g, bool wait) noexcept
{
    auto deadline = group_backend::clock::now() + (wait ? g.options.teardown_timeout : std::chrono::milliseconds(0));
    bool empty = false;
    if (error e = g.begin_kill(empty))
    {
        (void)g.end_kill(false, true);
        return e;
    }
    try
    {
        empty = empty || g.wait_empty(deadline);
    }
    catch (const std::bad_alloc&)
    {
    }
    g.gave_up = g.gave_up || !empty;
    return g.end_kill(empty, true);
}

void close_group(group_backend& g) noexcept
{
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return;
    g.closed = true;
    kill_tree(g, !g.gave_up); // a tree that outlived one full wait is not waited for again
    g.release();
}

result<process_group> group_access::create_private(const process_group_options& options)
{
    auto s = make_group_backend(options, true);
    if (!s)
        return s.error();
    return access::make<process_group>(std::move(s).value());
}

process_group group_access::wrap(std::shared_ptr<group_backend> backend) noexcept
{
    return access::make<process_group>(std::move(backend));
}

result<process_group> group_access::create_sub(const std::shared_ptr<group_backend>& parent)
{
    std::lock_guard<std::mutex> lk(parent->mu);
    if (parent->closed)
        return errc::group_closed;
    auto s = parent->make_subgroup();
    if (!s)
        return s.error();
    return access::make<process_group>(std::move(s).value());
}

// ---------------------------------------------------------------- joining

error prepare_join(const std::shared_ptr<group_backend>& g, join_plan& plan)
{
    std::lock_guard<std::mutex> lk(g->mu);
    if (g->closed)
        return errc::group_closed;
    plan.group = g;
    plan.became_leader = 0;
    g->prepare_join(plan);
    return {};
}

void share_terminal(group_backend& g) noexcept
{
    std::lock_guard<std::mutex> lk(g.mu);
    g.share_terminal();
}

std::shared_ptr<child_record> commit_join(join_plan& plan, int pid, int pidfd, bool owned)
{
    auto rec = std::make_shared<child_record>(pid, pidfd, owned);
    auto& g = *plan.group;
    std::lock_guard<std::mutex> lk(g.mu);
    g.prune_children(false);
    g.children.push_back(rec);
    g.commit_join(plan, *rec);
    if (g.closed) // torn down while we were spawning: the child must not survive
        rec->send_signal(native_signal(signal::kill));
    return rec;
}

void abort_join(join_plan& plan) noexcept { plan.group.reset(); }

} // namespace detail

// ---------------------------------------------------------------- public API

void set_fallback_handler(std::function<void(const containment_report&)> handler)
{
    std::lock_guard<std::mutex> lk(detail::fallback_mu);
    detail::fallback_handler = std::move(handler);
}

process_group::process_group() : process_group(process_group_options{}) {}

process_group::process_group(const process_group_options& options)
{
    auto s = detail::make_group_backend(options, false);
    if (!s)
        throw error_with_diagnostics(s.error());
    state_ = std::move(s).value();
}

process_group::process_group(std::shared_ptr<detail::group_backend> s) noexcept : state_(std::move(s)) {}

result<process_group> process_group::create(const process_group_options& options)
{
    auto s = detail::make_group_backend(options, false);
    if (!s)
        return s.error();
    return process_group(std::move(s).value());
}

process_group::process_group(process_group&&) noexcept = default;

process_group& process_group::operator=(process_group&& other) noexcept
{
    if (this != &other)
    {
        if (state_)
            detail::close_group(*state_);
        state_ = std::move(other.state_);
    }
    return *this;
}

process_group::~process_group()
{
    if (state_)
        detail::close_group(*state_);
}

mechanism process_group::mechanism() const noexcept { return state_->mechanism(); }

result<void> process_group::signal(processkit::signal s)
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return errc::group_closed;
    return detail::to_result(state_->signal(s));
}

result<void> process_group::suspend()
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return errc::group_closed;
    return detail::to_result(state_->freeze(true));
}

result<void> process_group::resume()
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return errc::group_closed;
    return detail::to_result(state_->freeze(false));
}

result<std::vector<member_info>> process_group::members() const
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return std::vector<member_info>{};
    return state_->members();
}

result<void> process_group::adopt(int pid)
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return errc::group_closed;
    if (pid <= 0)
        return errc::invalid_argument;
    return detail::to_result(state_->adopt(pid));
}

result<void> process_group::kill_all()
{
    std::lock_guard<std::mutex> lk(state_->mu);
    if (state_->closed)
        return outcome_v2::success();
    return detail::to_result(detail::kill_tree(*state_));
}

result<shutdown_report> process_group::shutdown(std::chrono::milliseconds grace)
{
    using clock = detail::group_backend::clock;
    auto& g = *state_;
    auto start = clock::now();
    shutdown_report rep;
    std::unique_lock<std::mutex> lk(g.mu);
    if (g.closed)
        return rep;
    rep.members_before = g.members().size();
    if (auto e = g.signal(processkit::signal::term))
        return e;
    // Wait for the soft signal's effect without holding the lock, so that
    // the group's other users are not stalled by the grace period.
    auto deadline = start + grace;
    bool empty = false;
    while (!(empty = g.tree_empty(true)) && clock::now() < deadline)
    {
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        lk.lock();
    }
    rep.escalated = !empty;
    if (auto e = detail::kill_tree(g))
        return e;
    rep.members_after = g.members().size();
    rep.elapsed = clock::now() - start;
    for (int pid : g.escaped())
        if (std::find(rep.escaped.begin(), rep.escaped.end(), pid) == rep.escaped.end())
            rep.escaped.push_back(pid);
    return rep;
}

std::vector<int> process_group::escaped() const
{
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->escaped();
}

std::string process_group::cgroup_path() const
{
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->native_path();
}

} // namespace processkit
} // namespace boost
