// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The POSIX process-group backend: every member leads or joins one of the
// group's process groups, signals go to each of them with kill(-pgid), and
// the members that leave (setsid) are found through parentage and recorded
// before every signal. The process table is read through backend/proc_scan.hpp.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include <boost/processkit/detail/spawn.hpp>

#  include "../backend/proc_scan.hpp"
#  include "../core/diagnostics.hpp"
#  include "pgroup_backend.hpp"

#  include <algorithm>
#  include <cerrno>
#  include <csignal>
#  include <fcntl.h>
#  include <termios.h>
#  include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

// Makes `pgid` the terminal's foreground group. SIGTTOU is blocked
// meanwhile: once the terminal is handed over this process is in the
// background, and tcsetpgrp from the background would stop it. The parent
// hands it over too (the child does before exec), as a shell does, so it is
// done whichever runs first.
void set_foreground(int tty_fd, int pgid) noexcept
{
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    ::pthread_sigmask(SIG_BLOCK, &ttou, &old);
    if (::tcgetpgrp(tty_fd) != pgid)
        ::tcsetpgrp(tty_fd, pgid);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

class pgroup_backend final : public group_backend
{
public:
    using group_backend::group_backend;
    ~pgroup_backend() override { close_group(*this); }

    processkit::mechanism mechanism() const noexcept override { return mechanism::process_group; }

    // Escapees included; they are reaped at teardown.
    error signal(processkit::signal s) override { return signal_tree(native_signal(s)); }
    error freeze(bool frozen) override { return signal_tree(frozen ? SIGSTOP : SIGCONT); }
    std::vector<member_info> members() override { return pgroup_members(pgids_); }

    error adopt(int pid) override
    {
        signal_pgroups(0);
        int target = pgids_.empty() ? pid : pgids_.front();
        if (::setpgid(pid, target) != 0)
            return sys_error(errno, {}, "setpgid");
        if (pgids_.empty())
            pgids_.push_back(pid);
        return {};
    }

    error begin_kill(bool& empty) noexcept override
    {
        try
        {
            subreaper_ = is_subreaper();
            direct_.clear();
            for (auto& c : children)
                direct_.push_back(c->pid);
            track_escapees();
            // The escapees, and the members that are not our children: reaped
            // in end_kill if they were reparented to us.
            orphans_ = std::move(escapees_);
            escapees_.clear();
            signal_pgroups(0);
            if (!pgids_.empty() && subreaper_)
                for (auto& m : pgroup_members(pgids_))
                    if (std::find(direct_.begin(), direct_.end(), m.pid) == direct_.end())
                        if (auto r = process_ref::open(m.pid))
                            orphans_.push_back(std::move(r));
        }
        catch (const std::bad_alloc&)
        {
        }
        signal_pgroups(SIGKILL);
        for (auto& c : children) // a direct child may have left the group too
            c->send_signal(SIGKILL);
        for (auto& o : orphans_)
            o.send_signal(SIGKILL);
        last_walk_ = clock::now(); // only a walk after the kill can tell the tree is gone
        try
        {
            empty = tree_empty(false);
        }
        catch (const std::bad_alloc&)
        {
        }
        return {};
    }

    // Is any live process left in our process groups? Reaps our own zombies
    // on the way; zombies that belong to another reaper do not count.
    bool tree_empty(bool thorough) override
    {
        prune_children(true);
        if (owned_children_left())
            return false;
        signal_pgroups(0);
        if (pgids_.empty())
            return true;
        // kill(-pgid, 0) also answers for zombies, which another reaper (PID 1)
        // may collect late: only the walk of the process table can tell they
        // are all dead. Each look needs a walk newer than the last one.
        if (!thorough)
            return false;
        auto now = clock::now();
        bool populated = pgroups_populated(pgids_, last_walk_);
        last_walk_ = now;
        return !populated;
    }

    bool reap_pending_orphans() noexcept override { return reap_orphans(orphans_, std::chrono::seconds(0)); }

    error end_kill(bool empty, bool may_block) noexcept override
    {
        try
        {
            if (!reap_orphans(orphans_, subreaper_ && may_block ? orphan_patience : std::chrono::seconds(0)) &&
                (!subreaper_ || may_block))
                orphans_.clear(); // not ours, or waited for long enough
            if (subreaper_)
                reap_strays(direct_, [&](int pid) {
                    return std::find(pgids_.begin(), pgids_.end(), pgid_of(pid)) != pgids_.end();
                });
        }
        catch (const std::bad_alloc&)
        {
        }
        if (empty)
        {
            if (pgids_.empty())
                return_terminal();
            return {};
        }
        diagnostics d;
        d.step = "killpg";
        d.detail = "the process group was still populated after the teardown timeout";
        return error(make_error_code(errc::teardown_timeout), std::move(d));
    }

    // This process needs its terminal back, even when the teardown timed out.
    void release() noexcept override { return_terminal(); }

    void prepare_join(join_plan& plan) override
    {
        signal_pgroups(0); // drop dead pgids: never join a recycled number
        plan.pgid = pgids_.empty() ? 0 : pgids_.front();
        plan.tty_fd = tty_fd_;
    }

    void commit_join(join_plan& plan, child_record& child) override
    {
        if (plan.became_leader)
            pgids_.push_back(child.pid);
        if (plan.tty_fd >= 0 && !pgids_.empty())
            set_foreground(plan.tty_fd, pgids_.front());
        if (closed) // torn down while we were spawning: its group must not survive
            ::kill(-child.pid, SIGKILL);
    }

    void share_terminal() noexcept override
    {
        if (tty_fd_ >= 0 || !::isatty(STDIN_FILENO))
            return;
        if (::tcgetpgrp(STDIN_FILENO) != ::getpgrp())
            return; // not in the foreground: the child is a background job, as ours would be
        tty_fd_ = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    }

    std::vector<int> escaped() const override { return escaped_; }

    result<std::shared_ptr<group_backend>> make_subgroup() override
    {
        return std::shared_ptr<group_backend>(make_pgroup_backend(options));
    }

protected:
    void add_pgid(int pgid) override
    {
        if (std::find(pgids_.begin(), pgids_.end(), pgid) == pgids_.end())
            pgids_.push_back(pgid);
    }

private:
    // Signals every live pgid, dropping the ones that are gone (ESRCH) so that
    // a recycled number is never signalled later.
    error signal_pgroups(int sig)
    {
        error first;
        for (auto it = pgids_.begin(); it != pgids_.end();)
        {
            if (::kill(-*it, sig) == 0)
            {
                ++it;
                continue;
            }
            if (errno == ESRCH)
            {
                it = pgids_.erase(it);
                continue;
            }
            if (!first)
                first = sys_error(errno, {}, "killpg");
            ++it;
        }
        return first;
    }

    // Records the escapees that can be found now. Called before every
    // signal: a soft signal may end the parent that leads to an escapee,
    // after which no walk could find it.
    void track_escapees()
    {
        std::vector<int> roots;
        for (auto& c : children)
            if (!c->exited()) // unreaped, so the pid cannot have been recycled
                roots.push_back(c->pid);
        for (auto& e : escapees_)
            if (!e.exited())
                roots.push_back(e.pid());
        for (int pid : descendants_outside(roots, pgids_))
        {
            bool known = std::any_of(escapees_.begin(), escapees_.end(),
                                     [pid](const process_ref& e) { return e.pid() == pid && !e.exited(); });
            if (known)
                continue;
            auto ref = process_ref::open(pid);
            if (!ref)
                continue; // gone already
            escapees_.push_back(std::move(ref));
            if (std::find(escaped_.begin(), escaped_.end(), pid) == escaped_.end())
                escaped_.push_back(pid);
        }
    }

    // The groups first, then the escapees, so that a parent never outlives
    // the escapee it could watch die.
    error signal_tree(int sig)
    {
        track_escapees();
        error e = signal_pgroups(sig);
        for (auto& esc : escapees_)
            esc.send_signal(sig); // one that exited already answers ESRCH
        return e;
    }

    // Gives the terminal back to this process's group once the group that had it is dead.
    void return_terminal() noexcept
    {
        if (tty_fd_ < 0)
            return;
        set_foreground(tty_fd_, ::getpgrp());
        ::close(tty_fd_);
        tty_fd_ = -1;
    }

    /// Every pgid a member led; dead ones are pruned on ESRCH.
    std::vector<int> pgids_;
    /// The controlling terminal handed to the members' group (share_terminal).
    int tty_fd_ = -1;
    /// Every escapee ever found (reported by escaped()).
    std::vector<int> escaped_;
    /// The escapees found and not yet torn down: they get every later signal
    /// and die in the next kill, however their parents end.
    std::vector<process_ref> escapees_;
    // The kill under way (begin_kill to end_kill).
    bool subreaper_ = false;
    std::vector<int> direct_;
    std::vector<process_ref> orphans_;
    clock::time_point last_walk_ = clock::now(); ///< tree_empty needs a walk of the process table newer than this
};

} // namespace

std::shared_ptr<group_backend> make_pgroup_backend(const process_group_options& options)
{
    return std::make_shared<pgroup_backend>(options);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
