// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include <boost/processkit/detail/spawn.hpp>
#include <boost/processkit/process_group.hpp>

#include "detail/group_state.hpp"
#include "detail/pidfd.hpp"
#include "detail/unique_fd.hpp"
#include "linux/cgroup.hpp"
#include "linux/procfs.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <ostream>
#include <set>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;

error sys_error(int e, const char* step)
{
    diagnostics d;
    d.step = step;
    return error(error_code(e, boost::system::system_category()), std::move(d));
}

std::mutex fallback_mu;
std::function<void(const containment_report&)> fallback_handler = [](const containment_report& r) {
    std::fprintf(stderr, "processkit: cgroup v2 containment unavailable (%s); using POSIX process groups\n",
                 r.reason.c_str());
};
std::once_flag fallback_once;

void warn_fallback()
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

// Forget direct children that are done with: reaped ones, and exited ones
// that another handle reaps. With `reap`, reap the owned ones that exited.
// Caller holds g.mu.
void prune_children(group_state& g, bool reap)
{
    auto done = [reap](const std::shared_ptr<child_record>& c) {
        if (c->reaped())
            return true;
        if (!c->exited())
            return false;
        return !c->owned || (reap && c->try_reap().has_value());
    };
    g.children.erase(std::remove_if(g.children.begin(), g.children.end(), done), g.children.end());
}

bool owned_children_left(const group_state& g)
{
    return std::any_of(g.children.begin(), g.children.end(),
                       [](const std::shared_ptr<child_record>& c) { return c->owned && !c->reaped(); });
}

// Live members of the process groups in `pgids` (zombies excluded).
std::vector<member_info> pgroup_members(const std::vector<int>& pgids)
{
    std::vector<member_info> out;
    for (int pid : all_pids())
    {
        auto st = read_proc_stat(pid);
        if (st && st->state != 'Z' && std::find(pgids.begin(), pgids.end(), st->pgid) != pgids.end())
            out.push_back(st->info);
    }
    return out;
}

// Descendants of the live direct children, and of the escapees already
// recorded, that are not in any of our process groups: they called setsid()
// (or setpgid) and left. Found through parentage, so only while the chain
// of parents back to a known process is alive.
std::vector<int> find_escapees(const group_state& g)
{
    std::vector<int> out;
    std::vector<int> stack;
    for (auto& c : g.children)
        if (!c->exited()) // unreaped, so the pid cannot have been recycled
            stack.push_back(c->pid);
    for (auto& e : g.escapees)
        if (!pidfd_exited(e.pidfd))
            stack.push_back(e.pid);
    std::set<int> seen;
    while (!stack.empty())
    {
        int pid = stack.back();
        stack.pop_back();
        if (!seen.insert(pid).second)
            continue;
        for (int child : children_of(pid))
        {
            auto st = read_proc_stat(child);
            if (!st || st->state == 'Z')
                continue;
            if (std::find(g.pgids.begin(), g.pgids.end(), st->pgid) == g.pgids.end())
                out.push_back(child);
            stack.push_back(child);
        }
    }
    return out;
}

// Signal every live pgid, dropping the ones that are gone (ESRCH) so that a
// recycled number is never signalled later. Caller holds g.mu.
error signal_pgroups(group_state& g, int sig)
{
    error first;
    for (auto it = g.pgids.begin(); it != g.pgids.end();)
    {
        if (::kill(-*it, sig) == 0)
        {
            ++it;
            continue;
        }
        if (errno == ESRCH)
        {
            it = g.pgids.erase(it);
            continue;
        }
        if (!first)
            first = sys_error(errno, "killpg");
        ++it;
    }
    return first;
}

// Records the escapees that can be found now, each with a pidfd. Called
// before every signal: a soft signal may end the parent that leads to an
// escapee, after which no walk could find it. Caller holds g.mu.
void track_escapees(group_state& g)
{
    for (int pid : find_escapees(g))
    {
        bool known = std::any_of(g.escapees.begin(), g.escapees.end(),
                                 [pid](const group_state::escapee& e) { return e.pid == pid && !pidfd_exited(e.pidfd); });
        if (known)
            continue;
        int fd = above_stdio(pidfd_open(pid));
        if (fd < 0)
            continue; // gone already
        g.escapees.push_back({pid, fd});
        if (std::find(g.escaped.begin(), g.escaped.end(), pid) == g.escaped.end())
            g.escaped.push_back(pid);
    }
}

// The tree of a process-group group: its groups, then the escapees, so that
// a parent never outlives the escapee it could watch die. Caller holds g.mu.
error signal_tree(group_state& g, int sig)
{
    track_escapees(g);
    error e = signal_pgroups(g, sig);
    for (auto& esc : g.escapees)
        pidfd_send(esc.pidfd, sig); // one that exited already answers ESRCH
    return e;
}

// pidfds of the members that are not our direct children: once killed, the
// ones reparented to us (when this process is a child subreaper) are reaped
// through them -- by pidfd, so no other child of ours is ever touched.
std::vector<int> open_orphan_pidfds(const group_state& g, const std::vector<int>& pids)
{
    std::vector<int> fds;
    for (int pid : pids)
    {
        bool direct = std::any_of(g.children.begin(), g.children.end(),
                                  [pid](const std::shared_ptr<child_record>& c) { return c->pid == pid; });
        if (direct)
            continue;
        int fd = pidfd_open(pid);
        if (fd >= 0)
            fds.push_back(fd);
    }
    return fds;
}

// Whether any child of this process is waiting to be reaped (nothing is reaped).
bool have_zombie_child()
{
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

bool is_subreaper()
{
    int flag = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0) == 0 && flag != 0;
}

// After the kill: reap the members that were reparented to us. A member whose
// dying parent has not yet handed it over answers ECHILD for a moment, so
// retry (bounded) while it is still in /proc with another parent. Not a
// subreaper: PID 1 reaps them, one look and the fds are closed.
void reap_orphans(std::vector<int>& fds, bool subreaper)
{
    auto deadline = subreaper ? clock::now() + std::chrono::seconds(1) : clock::now();
    while (!fds.empty())
    {
        for (auto it = fds.begin(); it != fds.end();)
        {
            siginfo_t info{};
            int r = pidfd_wait(*it, info, WEXITED | WNOHANG);
            bool done = r == 0 ? info.si_pid != 0 : errno != ECHILD;
            if (!done && r < 0)
            {
                int pid = 0;
                if (auto fdinfo = read_file("/proc/self/fdinfo/" + std::to_string(*it)))
                    if (auto pos = fdinfo->find("Pid:"); pos != std::string::npos)
                        pid = std::atoi(fdinfo->c_str() + pos + 4);
                done = pid <= 0; // -1: already reaped by its parent
            }
            if (done)
            {
                ::close(*it);
                it = fds.erase(it);
            }
            else
                ++it;
        }
        if (fds.empty() || clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (int fd : fds)
        ::close(fd);
    fds.clear();
}

// Zombies of ours (as a subreaper) that belong to the group but were never
// seen alive as members (forked while the kill was under way) and reached us
// as orphans. Direct children launched by others (`direct`) are left to their
// handles.
void reap_strays(const group_state& g, const std::vector<int>& direct)
{
    if (!have_zombie_child())
        return;
    std::string rel;
    if (g.mech == mechanism::cgroup_v2)
        rel = g.cg_path.substr(host_cgroup().mount.size());
    for (int pid : children_of(::getpid()))
    {
        if (std::find(direct.begin(), direct.end(), pid) != direct.end())
            continue;
        auto st = read_proc_stat(pid);
        if (!st || st->state != 'Z')
            continue;
        bool ours = false;
        if (g.mech == mechanism::cgroup_v2)
        {
            auto cg = read_file("/proc/" + std::to_string(pid) + "/cgroup");
            ours = cg && cg->find("0::" + rel + "\n") != std::string::npos;
        }
        else
            ours = std::find(g.pgids.begin(), g.pgids.end(), st->pgid) != g.pgids.end();
        if (!ours)
            continue;
        int fd = pidfd_open(pid); // an unreaped zombie: no reuse
        if (fd < 0)
            continue;
        siginfo_t info{};
        pidfd_wait(fd, info, WEXITED | WNOHANG);
        ::close(fd);
    }
}

std::size_t member_count(group_state& g)
{
    if (g.mech == mechanism::cgroup_v2)
        return g.cg_dirfd >= 0 ? cgroup_pids(g.cg_dirfd).size() : 0;
    return pgroup_members(g.pgids).size();
}

// Is any live process left in our process groups? Reaps our own zombies on
// the way; zombies that belong to another reaper do not count. Caller holds g.mu.
bool pgroups_empty(group_state& g, bool scan)
{
    prune_children(g, true);
    signal_pgroups(g, 0);
    if (g.pgids.empty())
        return true;
    // kill(-pgid, 0) also answers for zombies, which another reaper (PID 1)
    // may collect late: only the walk of /proc can tell they are all dead.
    return scan && pgroup_members(g.pgids).empty();
}

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

// Gives the terminal back to this process's group once the group that had it is dead.
void return_terminal(group_state& g) noexcept
{
    if (g.tty_fd < 0)
        return;
    set_foreground(g.tty_fd, ::getpgrp());
    ::close(g.tty_fd);
    g.tty_fd = -1;
}

result<std::shared_ptr<group_state>> make_state(const process_group_options& opts, bool reusable)
{
    auto s = std::make_shared<group_state>();
    s->options = opts;
    s->reusable = reusable;
    const cgroup_host& host = host_cgroup();
    bool want_cgroup = opts.mechanism != mechanism_request::process_group;
    if (want_cgroup && host.usable())
    {
        auto dir = reusable ? cgroup_take(host) : cgroup_create(host);
        if (dir)
        {
            s->mech = mechanism::cgroup_v2;
            s->cg_path = dir.value().path;
            s->cg_dirfd = dir.value().dirfd;
            s->procs_fd = dir.value().procs_fd;
            return s;
        }
        if (opts.mechanism == mechanism_request::cgroup_v2)
            return dir.error();
    }
    else if (opts.mechanism == mechanism_request::cgroup_v2)
    {
        diagnostics d;
        d.step = "cgroup v2";
        d.detail = host.reason;
        return error(make_error_code(errc::unsupported), std::move(d));
    }
    if (opts.mechanism == mechanism_request::automatic)
        warn_fallback();
    s->mech = mechanism::process_group;
    return s;
}

} // namespace

// ---------------------------------------------------------------- child_record

child_record::~child_record()
{
    if (owned && !reaped())
    {
        send_signal(SIGKILL);
        try_reap(true);
    }
    ::close(pidfd);
}

std::optional<exit_status> child_record::try_reap(bool block)
{
    std::lock_guard<std::mutex> lk(mu_);
    if (status_)
        return status_;
    siginfo_t info{};
    if (pidfd_wait(pidfd, info, WEXITED | (block ? 0 : WNOHANG)) < 0)
    {
        if (errno != ECHILD)
            return status_;
        // Someone else reaped it: a Process v2 handle, a waitpid(-1)
        // elsewhere, or the kernel itself (SIGCHLD ignored). The pidfd still
        // knows how it ended where the kernel keeps that (Linux 6.15); the
        // record of an exit just taken may lag a moment behind the reaping.
        int ws = 0;
        exit_info got = pidfd_exit_status(pidfd, ws);
        for (int i = 0; got == exit_info::not_yet && i < 100; ++i)
        {
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            got = pidfd_exit_status(pidfd, ws);
        }
        if (got == exit_info::known)
            status_ = WIFEXITED(ws) ? exit_status{true, WEXITSTATUS(ws)} : exit_status{false, WTERMSIG(ws)};
        else
            status_ = exit_status{false, 0, false};
        return status_;
    }
    if (info.si_pid == 0)
        return std::nullopt; // still running
    status_ = exit_status{info.si_code == CLD_EXITED, info.si_status};
    return status_;
}

std::optional<exit_status> child_record::status() const
{
    std::lock_guard<std::mutex> lk(mu_);
    return status_;
}

bool child_record::reaped() const { return status().has_value(); }

bool child_record::send_signal(int sig) const noexcept { return pidfd_send(pidfd, sig) == 0; }

bool child_record::exited() const noexcept { return pidfd_exited(pidfd); }

// ---------------------------------------------------------------- group_state

group_state::~group_state() { close_group(*this); }

error kill_tree(group_state& g) noexcept
{
    try
    {
        auto deadline = clock::now() + g.options.teardown_timeout;
        const bool subreaper = is_subreaper();
        std::vector<int> direct;
        for (auto& c : g.children)
            direct.push_back(c->pid);
        auto reap_leftovers = [&](std::vector<int>& orphans) {
            reap_orphans(orphans, subreaper);
            if (subreaper)
                reap_strays(g, direct);
        };
        if (g.mech == mechanism::cgroup_v2)
        {
            if (g.cg_dirfd < 0)
                return {};
            std::vector<int> orphans;
            if (subreaper)
                orphans = open_orphan_pidfds(g, cgroup_pids(g.cg_dirfd));
            bool killed = false;
            error e = cgroup_kill_and_wait(g.cg_dirfd, g.options.teardown_timeout, killed);
            g.cg_killed = g.cg_killed || killed;
            // Everything in the cgroup is dead: owned direct children are zombies now.
            for (auto& c : g.children)
                if (c->owned)
                    c->try_reap(!e);
            prune_children(g, false);
            reap_leftovers(orphans);
            return e;
        }
        track_escapees(g);
        std::vector<int> orphans; // the escapees' pidfds: reaped below if they were reparented to us
        for (auto& esc : g.escapees)
            orphans.push_back(esc.pidfd);
        g.escapees.clear();
        signal_pgroups(g, 0);
        if (!g.pgids.empty() && subreaper)
        {
            std::vector<int> pids;
            for (auto& m : pgroup_members(g.pgids))
                pids.push_back(m.pid);
            auto more = open_orphan_pidfds(g, pids);
            orphans.insert(orphans.end(), more.begin(), more.end());
        }
        signal_pgroups(g, SIGKILL);
        for (auto& c : g.children) // a direct child may have left the group too
            c->send_signal(SIGKILL);
        for (int fd : orphans)
            pidfd_send(fd, SIGKILL);
        error e;
        // Killed members are usually gone within a millisecond; walk /proc
        // (to tell a lingering zombie of another reaper from a live member)
        // only every few milliseconds after that.
        auto next_scan = clock::now() + std::chrono::milliseconds(2);
        for (;;)
        {
            bool scan = clock::now() >= next_scan;
            if (scan)
                next_scan = clock::now() + std::chrono::milliseconds(5);
            if (pgroups_empty(g, scan) && !owned_children_left(g))
                break;
            if (clock::now() > deadline)
            {
                diagnostics d;
                d.step = "killpg";
                d.detail = "the process group was still populated after the teardown timeout";
                e = error(make_error_code(boost::system::errc::timed_out), std::move(d));
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        reap_leftovers(orphans);
        if (!e && g.pgids.empty())
            return_terminal(g);
        return e;
    }
    catch (const std::bad_alloc&)
    {
        return error(make_error_code(boost::system::errc::not_enough_memory));
    }
}

void close_group(group_state& g) noexcept
{
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return;
    g.closed = true;
    kill_tree(g);
    return_terminal(g); // even when the teardown timed out: this process needs its terminal
    if (g.mech == mechanism::cgroup_v2)
    {
        cgroup_dir dir{g.cg_path, g.cg_dirfd, g.procs_fd};
        if (!(g.reusable && !g.cg_killed && !g.cg_frozen_once && cgroup_park(dir)))
            cgroup_remove(dir);
        g.cg_dirfd = g.procs_fd = -1;
    }
}

result<process_group> group_access::create_private(const process_group_options& options)
{
    auto s = make_state(options, true);
    if (!s)
        return s.error();
    return process_group(std::move(s).value());
}

// ---------------------------------------------------------------- joining

error prepare_join(const std::shared_ptr<group_state>& g, join_plan& plan)
{
    std::lock_guard<std::mutex> lk(g->mu);
    if (g->closed)
        return errc::group_closed;
    plan.group = g;
    plan.became_leader = 0;
    if (g->mech == mechanism::cgroup_v2)
    {
        plan.procs_fd = g->procs_fd;
        plan.cgroup_fd = g->cg_killed ? -1 : g->cg_dirfd;
    }
    else
    {
        signal_pgroups(*g, 0); // drop dead pgids: never join a recycled number
        plan.pgid = g->pgids.empty() ? 0 : g->pgids.front();
        plan.tty_fd = g->tty_fd;
    }
    return {};
}

void share_terminal(group_state& g) noexcept
{
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.mech != mechanism::process_group || g.tty_fd >= 0 || !::isatty(STDIN_FILENO))
        return;
    if (::tcgetpgrp(STDIN_FILENO) != ::getpgrp())
        return; // not in the foreground: the child is a background job, as ours would be
    g.tty_fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
}

int join_in_child(join_plan& plan) noexcept
{
    if (plan.procs_fd >= 0)
        return ::write(plan.procs_fd, "0", 1) == 1 ? 0 : errno;
    if (!(plan.pgid > 0 && ::setpgid(0, plan.pgid) == 0))
    {
        // No live group to join (or it just died): lead a new one.
        if (::setpgid(0, 0) != 0)
            return errno;
        plan.became_leader = 1;
    }
    // Every signal is blocked here, so tcsetpgrp from the background does
    // not stop this child with SIGTTOU.
    if (plan.tty_fd >= 0)
        ::tcsetpgrp(plan.tty_fd, ::getpgrp());
    return 0;
}

std::shared_ptr<child_record> commit_join(join_plan& plan, int pid, int pidfd, bool owned)
{
    auto rec = std::make_shared<child_record>(pid, pidfd, owned);
    std::lock_guard<std::mutex> lk(plan.group->mu);
    auto& g = *plan.group;
    if (plan.became_leader)
        g.pgids.push_back(pid);
    if (plan.tty_fd >= 0 && !g.pgids.empty())
        set_foreground(plan.tty_fd, g.pgids.front());
    prune_children(g, false);
    g.children.push_back(rec);
    if (g.closed) // torn down while we were spawning: the child must not survive
    {
        rec->send_signal(SIGKILL);
        if (g.mech == mechanism::process_group)
            ::kill(-pid, SIGKILL);
    }
    return rec;
}

void abort_join(join_plan& plan) noexcept { plan.group.reset(); }

} // namespace detail

// ---------------------------------------------------------------- public API

const char* to_string(mechanism m) noexcept
{
    switch (m)
    {
    case mechanism::cgroup_v2: return "cgroup_v2";
    case mechanism::process_group: return "process_group";
    case mechanism::job_object: return "job_object";
    case mechanism::process_reaper: return "process_reaper";
    }
    return "unknown";
}

const char* to_string(mechanism_request m) noexcept
{
    switch (m)
    {
    case mechanism_request::automatic: return "automatic";
    case mechanism_request::cgroup_v2: return "cgroup_v2";
    case mechanism_request::process_group: return "process_group";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, mechanism m) { return os << to_string(m); }
std::ostream& operator<<(std::ostream& os, mechanism_request m) { return os << to_string(m); }

containment_report host_containment()
{
    const auto& h = detail::host_cgroup();
    containment_report r;
    r.cgroup2_mounted = h.mounted;
    r.cgroup2_mount = h.mount;
    r.own_cgroup = h.own;
    r.writable = h.writable;
    r.cgroup_kill = h.kill;
    int fd = detail::pidfd_open(::getpid());
    r.pidfd = fd >= 0;
    if (fd >= 0)
        ::close(fd);
    r.mechanism = h.usable() ? mechanism::cgroup_v2 : mechanism::process_group;
    r.reason = h.reason;
    return r;
}

result<void> enable_subreaper()
{
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return detail::sys_error(errno, "prctl(PR_SET_CHILD_SUBREAPER)");
    return outcome_v2::success();
}

void set_fallback_handler(std::function<void(const containment_report&)> handler)
{
    std::lock_guard<std::mutex> lk(detail::fallback_mu);
    detail::fallback_handler = std::move(handler);
}

process_group::process_group() : process_group(process_group_options{}) {}

process_group::process_group(const process_group_options& options)
{
    auto s = detail::make_state(options, false);
    if (!s)
        throw error_with_diagnostics(s.error());
    state_ = std::move(s).value();
}

process_group::process_group(std::shared_ptr<detail::group_state> s) noexcept : state_(std::move(s)) {}

result<process_group> process_group::create(const process_group_options& options)
{
    auto s = detail::make_state(options, false);
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

mechanism process_group::mechanism() const noexcept { return state_->mech; }

result<void> process_group::signal(processkit::signal s)
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return errc::group_closed;
    int sig = native_signal(s);
    if (g.mech == mechanism::cgroup_v2)
    {
        if (sig == SIGKILL)
        {
            bool killed = false; // an empty cgroup is not killed: it stays reusable
            error e = detail::cgroup_kill(g.cg_dirfd, killed);
            g.cg_killed = g.cg_killed || killed;
            if (e)
                return e;
            return outcome_v2::success();
        }
        for (int pid : detail::cgroup_pids(g.cg_dirfd))
            ::kill(pid, sig); // members that exit meanwhile are fine
        return outcome_v2::success();
    }
    if (auto e = detail::signal_tree(g, sig)) // escapees included; reaped at teardown
        return e;
    return outcome_v2::success();
}

result<void> process_group::suspend()
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return errc::group_closed;
    if (g.mech == mechanism::cgroup_v2)
    {
        g.cg_frozen_once = true;
        if (auto e = detail::cgroup_freeze(g.cg_dirfd, true))
            return e;
        return outcome_v2::success();
    }
    if (auto e = detail::signal_tree(g, SIGSTOP))
        return e;
    return outcome_v2::success();
}

result<void> process_group::resume()
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return errc::group_closed;
    if (g.mech == mechanism::cgroup_v2)
    {
        if (auto e = detail::cgroup_freeze(g.cg_dirfd, false))
            return e;
        return outcome_v2::success();
    }
    if (auto e = detail::signal_tree(g, SIGCONT))
        return e;
    return outcome_v2::success();
}

result<std::vector<member_info>> process_group::members() const
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return std::vector<member_info>{};
    if (g.mech == mechanism::process_group)
        return detail::pgroup_members(g.pgids);
    std::vector<member_info> out;
    for (int pid : detail::cgroup_pids(g.cg_dirfd))
        if (auto st = detail::read_proc_stat(pid); st && st->state != 'Z')
            out.push_back(st->info);
    return out;
}

result<void> process_group::adopt(int pid)
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return errc::group_closed;
    if (pid <= 0)
        return errc::invalid_argument;
    if (g.mech == mechanism::cgroup_v2)
    {
        if (auto e = detail::cgroup_write(g.cg_dirfd, "cgroup.procs", std::to_string(pid)))
            return e;
        return outcome_v2::success();
    }
    detail::signal_pgroups(g, 0);
    int target = g.pgids.empty() ? pid : g.pgids.front();
    if (::setpgid(pid, target) != 0)
        return detail::sys_error(errno, "setpgid");
    if (g.pgids.empty())
        g.pgids.push_back(pid);
    return outcome_v2::success();
}

result<void> process_group::kill_all()
{
    auto& g = *state_;
    std::lock_guard<std::mutex> lk(g.mu);
    if (g.closed)
        return outcome_v2::success();
    if (auto e = detail::kill_tree(g))
        return e;
    return outcome_v2::success();
}

result<shutdown_report> process_group::shutdown(std::chrono::milliseconds grace)
{
    auto& g = *state_;
    auto start = detail::clock::now();
    shutdown_report rep;
    std::unique_lock<std::mutex> lk(g.mu);
    if (g.closed)
        return rep;
    rep.members_before = detail::member_count(g);
    lk.unlock();
    if (auto r = signal(processkit::signal::term); !r)
        return r.error();
    lk.lock();
    auto is_empty = [&] {
        return g.mech == mechanism::cgroup_v2 ? detail::cgroup_wait_empty(g.cg_dirfd, std::chrono::milliseconds(0))
                                              : detail::pgroups_empty(g, true);
    };
    auto deadline = start + grace;
    bool empty = false;
    while (!(empty = is_empty()) && detail::clock::now() < deadline)
    {
        lk.unlock();
        if (g.mech == mechanism::cgroup_v2)
            detail::cgroup_wait_empty(g.cg_dirfd, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - detail::clock::now()));
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        lk.lock();
    }
    rep.escalated = !empty;
    if (auto e = detail::kill_tree(g))
        return e;
    rep.members_after = detail::member_count(g);
    rep.elapsed = detail::clock::now() - start;
    for (int pid : g.escaped)
        if (std::find(rep.escaped.begin(), rep.escaped.end(), pid) == rep.escaped.end())
            rep.escaped.push_back(pid);
    return rep;
}

std::vector<int> process_group::escaped() const
{
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->escaped;
}

std::string process_group::cgroup_path() const { return state_->cg_path; }

} // namespace processkit
} // namespace boost
