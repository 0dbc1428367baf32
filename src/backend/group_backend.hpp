// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_GROUP_BACKEND_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_GROUP_BACKEND_HPP

// The containment object behind a process_group: the one runtime-polymorphic
// seam of the library (cgroup v2 and POSIX process groups today, a Windows
// Job Object next). It is called per group operation, never per byte: spawn,
// pipes and child handles are chosen at compile time.

#include <boost/processkit/process_group.hpp>

#include "child_record.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

struct join_plan;

/// Every member function is called with `mu` held; the facade
/// (src/process_group.cpp) and the join protocol take it.
class group_backend
{
public:
    using clock = std::chrono::steady_clock;

    explicit group_backend(const process_group_options& o) : options(o) {}
    group_backend(const group_backend&) = delete;
    group_backend& operator=(const group_backend&) = delete;
    /// A derived destructor calls close_group() first: the tree never outlives it.
    virtual ~group_backend() = default;

    const process_group_options options;
    mutable std::mutex mu;
    bool closed = false;
    /// A teardown timed out: the tree did not die (a member stuck in the
    /// kernel); the final close then kills without waiting again.
    bool gave_up = false;
    /// Direct children not yet known to be reaped.
    std::vector<std::shared_ptr<child_record>> children;

    virtual processkit::mechanism mechanism() const noexcept = 0;
    /// Sends `s` to every member now; returns at once.
    virtual error signal(processkit::signal s) = 0;
    virtual error freeze(bool frozen) = 0;
    virtual std::vector<member_info> members() = 0;
    virtual error adopt(int pid) = 0;

    // Teardown, in three steps, so that one caller can wait blocking (the
    // destructor, kill_all, the sync API) and another asynchronously.
    /// Kills every member now (SIGKILL or the mechanism's equivalent).
    /// `empty`: there is nothing to wait for (the tree was gone already, the
    /// common case once its child has exited). An error: the kill could not
    /// be sent, waiting is pointless.
    virtual error begin_kill(bool& empty) noexcept = 0;
    /// Whether no live member is left. `thorough`: also the expensive check
    /// (a walk of the process table), not only the cheap one.
    virtual bool tree_empty(bool thorough) = 0;
    /// Blocks until tree_empty() or `deadline`; true if empty. The default
    /// polls; a mechanism with an emptiness event overrides it.
    virtual bool wait_empty(clock::time_point deadline);
    /// After the wait: reaps what the kill left to this process and gives
    /// back what the members borrowed (the terminal). `empty`: the wait
    /// succeeded; if not, the error says what was still populated.
    /// `may_block`: orphans on their way to this subreaper are waited for
    /// here (up to orphan_patience); else they are left to
    /// reap_pending_orphans().
    virtual error end_kill(bool empty, bool may_block) noexcept = 0;
    /// One look at the orphans an end_kill(…, false) left: reaps the ones
    /// handed over meanwhile; true once none is left.
    virtual bool reap_pending_orphans() noexcept { return true; }
    /// Like wait_empty, without blocking: completes with whether the tree is
    /// empty, on `ex`, by `deadline` at the latest. Called without `mu`
    /// held (it takes it for each check). The default polls tree_empty() on
    /// a timer (src/ops/teardown.cpp); a mechanism with an emptiness event
    /// overrides it.
    virtual void async_wait_empty(asio::any_io_executor ex, clock::time_point deadline,
                                  asio::any_completion_handler<void(bool)> handler);
    /// Gives the containment object back for good (after the last kill).
    virtual void release() noexcept = 0;

    // The join protocol (include/boost/processkit/detail/spawn.hpp).
    virtual void prepare_join(join_plan& plan) = 0;
    virtual void commit_join(join_plan& plan, child_record& child) = 0;
    /// Before spawning a child that reads this process's stdin.
    virtual void share_terminal() noexcept {}

    /// A group for one run inside this one (a runner that joins a group you
    /// own): the run's own teardown kills only its tree, while this group's
    /// signals, kills and member lists reach it too.
    virtual result<std::shared_ptr<group_backend>> make_subgroup() = 0;
    /// The direct child of a run in a subgroup: this group watches it too (it
    /// is a root of the escapee search), and, on the process-group
    /// mechanism, `pgid` (the one it leads, or 0) is signalled with the rest.
    void adopt_run_child(std::shared_ptr<child_record> child, int pgid);

    virtual std::vector<int> escaped() const { return {}; }
    /// The cgroup directory, the job's name; "" when there is none.
    virtual std::string native_path() const { return {}; }

    /// Forgets the direct children that are done with: reaped ones, and
    /// exited ones another handle reaps. With `reap`, reaps the owned ones
    /// that exited.
    void prune_children(bool reap);
    bool owned_children_left() const;

protected:
    /// The process-group mechanism signals `pgid` from now on.
    virtual void add_pgid(int) {}
};

/// begin_kill, wait (bounded by the teardown timeout), end_kill. Caller holds
/// g.mu. Never throws. After a teardown that timed out, close_group() does
/// not wait a second time (`gave_up`).
error kill_tree(group_backend& g, bool wait = true) noexcept;
/// Tears the group down for good: kill_tree, then release. Takes g.mu.
void close_group(group_backend& g) noexcept;
/// kill_tree without blocking the calling thread (src/ops/teardown.cpp):
/// the I/O path's teardown. Takes g->mu for each step; completes on `ex`
/// (inline when the tree is empty at once, the common case after an exit).
void async_kill_tree(asio::any_io_executor ex, std::shared_ptr<group_backend> g,
                     asio::any_completion_handler<void(error)> handler);

/// The backend a new group gets on this host. `reusable`: a run's private
/// group (never seen by user code), whose containment object may be pooled.
result<std::shared_ptr<group_backend>> make_group_backend(const process_group_options& options, bool reusable);

/// Tells the fallback handler (set_fallback_handler), once per process, that
/// an `automatic` group got a weaker mechanism than the host's best.
void notify_fallback();

/// Builds the group of one run.
struct group_access
{
    static result<process_group> create_private(const process_group_options& options);
    /// A subgroup of `parent` (make_subgroup); group_closed once it is closed.
    static result<process_group> create_sub(const std::shared_ptr<group_backend>& parent);
    /// The group over a backend made elsewhere (a scripted child's).
    static process_group wrap(std::shared_ptr<group_backend> backend) noexcept;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_GROUP_BACKEND_HPP
