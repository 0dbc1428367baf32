// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The cgroup v2 group backend: a private cgroup holds the whole tree, so
// nothing that forks or calls setsid() can leave it; cgroup.kill ends it at
// once and cgroup.events says when it is empty.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_LINUX

#  include <boost/processkit/detail/spawn.hpp>

#  include "../backend/proc_scan.hpp"
#  include "cgroup_backend.hpp"
#  include "procfs.hpp"

#  include <boost/asio/posix/stream_descriptor.hpp>
#  include <boost/asio/steady_timer.hpp>

#  include <algorithm>
#  include <csignal>
#  include <fcntl.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

// Waits for `populated 0` through cgroup.events, which raises POLLPRI on
// every change. The wait is queued before each look at the file, so a change
// after the look always wakes it; a timer re-checks every 50 ms anyway and
// ends the wait at the deadline.
struct events_wait : std::enable_shared_from_this<events_wait>
{
    events_wait(asio::any_io_executor ex, int events_fd, group_backend::clock::time_point d,
                asio::any_completion_handler<void(bool)> h)
        : events(ex, events_fd), timer(ex), deadline(d), handler(std::move(h))
    {
    }

    void check()
    {
        if (!handler)
            return;
        ++generation;
        auto self = shared_from_this();
        events.async_wait(asio::posix::descriptor_base::wait_error, [self, gen = generation](error_code ec) {
            if (!ec && gen == self->generation)
                self->check();
        });
        bool empty = !cgroup_events_populated(events.native_handle());
        auto now = group_backend::clock::now();
        if (empty || now >= deadline)
            return finish(empty);
        timer.expires_at(std::min(deadline, now + std::chrono::milliseconds(50)));
        timer.async_wait([self, gen = generation](error_code ec) {
            if (!ec && gen == self->generation)
                self->check();
        });
    }

    void finish(bool empty)
    {
        error_code ignored;
        events.cancel(ignored);
        timer.cancel();
        auto h = std::move(handler);
        handler = {};
        std::move(h)(empty);
    }

    asio::posix::stream_descriptor events;
    asio::steady_timer timer;
    group_backend::clock::time_point deadline;
    asio::any_completion_handler<void(bool)> handler;
    std::uint64_t generation = 0;
};

class cgroup_backend final : public group_backend
{
public:
    cgroup_backend(const process_group_options& o, cgroup_dir dir, bool reusable)
        : group_backend(o), dir_(std::move(dir)), reusable_(reusable)
    {
    }
    ~cgroup_backend() override { close_group(*this); }

    processkit::mechanism mechanism() const noexcept override { return mechanism::cgroup_v2; }

    error signal(processkit::signal s) override
    {
        int sig = native_signal(s);
        if (sig == SIGKILL)
        {
            bool killed = false; // an empty cgroup is not killed: it stays reusable
            error e = cgroup_kill(dir_, killed);
            killed_ = killed_ || killed;
            return e;
        }
        for (int pid : cgroup_pids(dir_.dirfd))
            ::kill(pid, sig); // members that exit meanwhile are fine
        return {};
    }

    error freeze(bool frozen) override
    {
        frozen_once_ = frozen_once_ || frozen;
        return cgroup_freeze(dir_, frozen);
    }

    std::vector<member_info> members() override
    {
        std::vector<member_info> out;
        for (int pid : cgroup_pids(dir_.dirfd))
            if (auto st = read_proc_stat(pid); st && st->state != 'Z')
                out.push_back(st->info);
        return out;
    }

    error adopt(int pid) override { return cgroup_write(dir_.dirfd, "cgroup.procs", std::to_string(pid)); }

    error begin_kill(bool& empty) noexcept override
    {
        orphans_.clear();
        direct_.clear();
        subreaper_ = is_subreaper();
        try
        {
            for (auto& c : children)
                direct_.push_back(c->pid);
        }
        catch (const std::bad_alloc&)
        {
        }
        empty = !cgroup_populated(dir_);
        if (empty) // an empty cgroup is not killed: it stays reusable
            return {};
        try
        {
            // Members that are not our children: once killed, the ones
            // reparented to us (as a subreaper) are reaped through these.
            if (subreaper_)
                for (int pid : cgroup_pids(dir_.dirfd))
                    if (std::find(direct_.begin(), direct_.end(), pid) == direct_.end())
                        if (auto r = process_ref::open(pid))
                            orphans_.push_back(std::move(r));
        }
        catch (const std::bad_alloc&)
        {
        }
        killed_ = true; // even if the write fails half-way: never reuse this cgroup
        return cgroup_write(dir_.dirfd, "cgroup.kill", "1");
    }

    bool tree_empty(bool) override { return !cgroup_populated(dir_); }

    bool wait_empty(clock::time_point deadline) override
    {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        return cgroup_wait_empty(dir_, std::max(left, std::chrono::milliseconds(0)));
    }

    bool reap_pending_orphans() noexcept override { return reap_orphans(orphans_, std::chrono::seconds(0)); }

    error end_kill(bool empty, bool may_block) noexcept override
    {
        // Everything in the cgroup is dead: owned direct children are zombies now.
        for (auto& c : children)
            if (c->owned)
                c->try_reap(empty);
        try
        {
            prune_children(false);
            if (!reap_orphans(orphans_, subreaper_ && may_block ? orphan_patience : std::chrono::seconds(0)) &&
                (!subreaper_ || may_block))
                orphans_.clear(); // not ours, or waited for long enough
            if (subreaper_ && dir_.dirfd >= 0)
            {
                std::string entry = "0::" + dir_.path.substr(host_cgroup().mount.size()) + "\n";
                reap_strays(direct_, [&](int pid) {
                    auto cg = read_file("/proc/" + std::to_string(pid) + "/cgroup");
                    return cg && cg->find(entry) != std::string::npos;
                });
            }
        }
        catch (const std::bad_alloc&)
        {
        }
        if (empty)
            return {};
        diagnostics d;
        d.step = "cgroup.kill";
        d.detail = "the cgroup was still populated after the teardown timeout";
        return error(make_error_code(errc::teardown_timeout), std::move(d));
    }

    void async_wait_empty(asio::any_io_executor ex, clock::time_point deadline,
                          asio::any_completion_handler<void(bool)> handler) override
    {
        int fd;
        {
            // Its own descriptor (sharing the open file): a close of the
            // group meanwhile cannot pull the registered one away.
            std::lock_guard<std::mutex> lk(mu);
            fd = dir_.events_fd < 0 ? -1 : ::fcntl(dir_.events_fd, F_DUPFD_CLOEXEC, 3);
        }
        if (fd < 0) // no events file to wait on: poll
            return group_backend::async_wait_empty(std::move(ex), deadline, std::move(handler));
        std::make_shared<events_wait>(std::move(ex), fd, deadline, std::move(handler))->check();
    }

    void release() noexcept override
    {
        if (!(reusable_ && !killed_ && !frozen_once_ && cgroup_park(dir_)))
            cgroup_remove(dir_);
        dir_.dirfd = dir_.procs_fd = -1;
    }

    void prepare_join(join_plan& plan) override
    {
        plan.procs_fd = dir_.procs_fd;
        // Linux (seen on 6.18) kills a child that clone3 creates directly in
        // a cgroup killed before (CLONE_INTO_CGROUP; test
        // kill_all_is_idempotent_and_group_stays_usable): from then on
        // children join by writing cgroup.procs instead.
        plan.cgroup_fd = killed_ ? -1 : dir_.dirfd;
    }

    void commit_join(join_plan&, child_record&) override {}

    std::string native_path() const override { return dir_.path; }

    // A sub-cgroup: this cgroup's kill, freeze and member list are recursive.
    result<std::shared_ptr<group_backend>> make_subgroup() override
    {
        auto dir = cgroup_create_below(dir_.path);
        if (!dir)
            return dir.error();
        return make_cgroup_backend(options, std::move(dir).value(), false);
    }

private:
    cgroup_dir dir_;
    /// A run's private group: its cgroup is never seen by user code, so an
    /// untouched one may be parked for the next run.
    const bool reusable_;
    bool killed_ = false;      ///< cgroup.kill was written
    bool frozen_once_ = false; ///< cgroup.freeze was written
    // The kill under way (begin_kill to end_kill).
    bool subreaper_ = false;
    std::vector<int> direct_;
    std::vector<process_ref> orphans_;
};

} // namespace

std::shared_ptr<group_backend> make_cgroup_backend(const process_group_options& options, cgroup_dir dir, bool reusable)
{
    return std::make_shared<cgroup_backend>(options, std::move(dir), reusable);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_LINUX
