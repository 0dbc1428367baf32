// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 11's shared measurement (the log, the window, the leftover
// check) and its limits: the kernel's crash loops and the ticker alone (see
// crashloop.hpp).

#include "crashloop.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

namespace pkb {

namespace asio = boost::asio;
using clock = ticker::clock;

void crashloop_log::restarting(int loop, clock::time_point t, clock::duration delay)
{
    loops_[static_cast<std::size_t>(loop)] = pending{t, delay, true};
}

void crashloop_log::started(int loop, clock::time_point t)
{
    pending& p = loops_[static_cast<std::size_t>(loop)];
    if (!p.open) // the first run: no restart before it
        return;
    p.open = false;
    samples_.push_back({loop, p.at, std::chrono::duration<double, std::milli>(t - p.at - p.delay).count()});
}

void crashloop_log::fill(clock::time_point from, clock::time_point to, crashloop_result& res) const
{
    res.restarts_per_loop.assign(loops_.size(), 0);
    for (const sample& s : samples_)
        if (s.at >= from && s.at < to)
        {
            res.restart_late_ms.push_back(s.late_ms);
            ++res.restarts_per_loop[static_cast<std::size_t>(s.loop)];
        }
}

std::pair<clock::time_point, clock::time_point> run_crash_window(asio::io_context& ctx, const crashloop_params& p,
                                                                 crashloop_result& res)
{
    using std::chrono::milliseconds;
    ctx.restart();
    ticker tk(ctx.get_executor());
    const auto t0 = clock::now();
    const auto from = t0 + milliseconds(p.lead_ms);
    const auto to = from + milliseconds(p.window_ms);
    tk.start(t0, milliseconds(1), from, [to](clock::time_point next) { return next < to; });
    const auto hard = to + std::chrono::seconds(30);
    sched_times s0 = thread_sched();
    while (!tk.done() && clock::now() < hard)
        ctx.run_for(milliseconds(50));
    sched_times s1 = thread_sched();
    if (!tk.done())
    {
        tk.cancel(); // let the cancelled tick complete before `tk` goes
        ctx.restart();
        ctx.poll();
    }
    res.late_ms = std::move(tk.late_ms);
    for (double x : tk.lead_ms)
        res.lead_max_ms = std::max(res.lead_max_ms, x);
    res.sched_ok = s0.ok && s1.ok;
    res.io_cpu_ms = s1.cpu_ms - s0.cpu_ms;
    res.io_runq_wait_ms = s1.runq_wait_ms - s0.runq_wait_ms;
    return {from, to};
}

int children_left_after(int limit_ms)
{
    const auto deadline = clock::now() + std::chrono::milliseconds(limit_ms);
    std::vector<int> kids;
    while (!(kids = list_children()).empty() && clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (int k : kids)
    {
        ::kill(k, SIGKILL);
        ::waitpid(k, nullptr, 0);
    }
    return static_cast<int>(kids.size());
}

namespace lim {
namespace {

[[noreturn]] void die(const char* what)
{
    throw std::runtime_error(std::string("kernel crash loops: ") + what + ": " + std::strerror(errno));
}

/// One loop: its current child (leader of its own process group), the
/// child's pidfd and output pipe, and the restart timer.
struct kloop
{
    int index = 0;
    pid_t pid = -1;
    bool reaped = true;
    asio::posix::stream_descriptor pidfd, out;
    asio::steady_timer timer;
    explicit kloop(asio::io_context& c) : pidfd(c), out(c), timer(c) {}
    kloop(const kloop&) = delete;
    kloop& operator=(const kloop&) = delete;
    ~kloop()
    {
        if (pid > 0 && !reaped) // error paths only
        {
            ::killpg(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

/// posix_spawn `argv` as the leader of a new process group: stdin on
/// /dev/null, stdout and stderr on one pipe (read end non-blocking, kept).
void spawn_child(kloop& k, const std::vector<char*>& argv)
{
    int o[2];
    if (::pipe2(o, O_CLOEXEC) != 0)
        die("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, o[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    int rc = ::posix_spawn(&k.pid, argv[0], &fa, &at, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    ::close(o[1]);
    if (rc != 0)
    {
        ::close(o[0]);
        k.pid = -1;
        errno = rc;
        die("posix_spawn");
    }
    k.reaped = false;
    ::fcntl(o[0], F_SETFL, ::fcntl(o[0], F_GETFL) | O_NONBLOCK);
    k.out.assign(o[0]);
    int pfd = static_cast<int>(::syscall(SYS_pidfd_open, k.pid, 0));
    if (pfd < 0)
        die("pidfd_open");
    k.pidfd.assign(pfd);
}

/// The loops and what they share: spawn -> exit -> reap -> kill the group
/// -> pipe EOF -> restart timer -> spawn ...
struct kernel_loops
{
    asio::io_context& ctx;
    std::vector<char*> argv;
    crashloop_log& log;
    std::chrono::milliseconds delay;
    std::vector<std::unique_ptr<kloop>> loops;
    bool stopping = false;
    int active = 0;
    std::string error;
    std::vector<double> start_ms; ///< each posix_spawn (+ pidfd_open) call

    kernel_loops(asio::io_context& c, crashloop_log& l, std::chrono::milliseconds d) : ctx(c), log(l), delay(d) {}

    void fail(std::string what)
    {
        if (error.empty())
            error = std::move(what);
    }
    /// This loop ends on an error.
    void abort_loop(std::string what)
    {
        fail(std::move(what));
        --active;
    }

    void run(kloop& k)
    {
        try
        {
            const auto t0 = clock::now();
            spawn_child(k, argv);
            start_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
        }
        catch (const std::exception& e)
        {
            return abort_loop(e.what());
        }
        log.started(k.index, clock::now());
        k.pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                           [this, kp = &k](const boost::system::error_code& ec) { on_exit(*kp, ec); });
    }

    void on_exit(kloop& k, const boost::system::error_code& ec)
    {
        if (ec)
            return abort_loop("pidfd wait: " + ec.message());
        siginfo_t si{};
        if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(k.pidfd.native_handle()), &si, WEXITED) != 0)
            return abort_loop(std::string("waitid: ") + std::strerror(errno));
        k.reaped = true;
        k.pidfd.close();
        ::killpg(k.pid, SIGKILL); // whatever the child left in its group
        drain(k);
    }

    void drain(kloop& k)
    {
        k.out.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this, kp = &k](const boost::system::error_code& ec) {
                             kloop& k = *kp;
                             if (ec)
                                 return abort_loop("pipe wait: " + ec.message());
                             char buf[512];
                             for (;;)
                             {
                                 ssize_t r = ::read(k.out.native_handle(), buf, sizeof buf);
                                 if (r > 0 || (r < 0 && errno == EINTR))
                                     continue;
                                 if (r == 0)
                                 {
                                     k.out.close();
                                     return restart(k);
                                 }
                                 if (errno == EAGAIN)
                                     return drain(k);
                                 return abort_loop(std::string("read: ") + std::strerror(errno));
                             }
                         });
    }

    void restart(kloop& k)
    {
        if (stopping)
        {
            --active;
            return;
        }
        log.restarting(k.index, clock::now(), delay);
        k.timer.expires_after(delay);
        k.timer.async_wait([this, kp = &k](const boost::system::error_code& ec) {
            if (ec || stopping)
            {
                --active;
                return;
            }
            run(*kp);
        });
    }

    void stop()
    {
        stopping = true;
        for (auto& k : loops)
        {
            k->timer.cancel();
            if (!k->reaped)
                ::killpg(k->pid, SIGKILL);
        }
    }
};

} // namespace

crashloop_result crash_loops_kernel(const argv_t& crasher, const crashloop_params& p)
{
    crashloop_result res;
    asio::io_context ctx; // first: destroyed after the loops
    crashloop_log log(p.loops);
    kernel_loops kl(ctx, log, std::chrono::milliseconds(p.delay_ms));
    for (auto& a : crasher)
        kl.argv.push_back(const_cast<char*>(a.c_str()));
    kl.argv.push_back(nullptr);
    for (int i = 0; i < p.loops; ++i)
    {
        kl.loops.push_back(std::make_unique<kloop>(ctx));
        kl.loops.back()->index = i;
    }
    kl.active = p.loops;
    for (int i = 0; i < p.loops; ++i)
    {
        kloop& k = *kl.loops[static_cast<std::size_t>(i)];
        k.timer.expires_after(p.first_start(i));
        k.timer.async_wait([&kl, &k](const boost::system::error_code& ec) {
            if (ec || kl.stopping)
            {
                --kl.active;
                return;
            }
            kl.run(k);
        });
    }

    auto [from, to] = run_crash_window(ctx, p, res);
    log.fill(from, to, res);
    res.start_call_ms = std::move(kl.start_ms);
    kl.stop();
    const auto hard = clock::now() + std::chrono::seconds(10);
    while (kl.active > 0 && clock::now() < hard)
        ctx.run_one_for(std::chrono::milliseconds(50));
    if (kl.active > 0)
        kl.fail(std::to_string(kl.active) + " loops did not end 10 s after the stop");
    kl.loops.clear();
    res.left_behind = children_left_after(1000);
    if (!kl.error.empty())
        throw std::runtime_error("kernel crash loops: " + kl.error);
    return res;
}

crashloop_result crash_timer_alone(const crashloop_params& p)
{
    crashloop_result res;
    asio::io_context ctx;
    run_crash_window(ctx, p, res);
    return res;
}

} // namespace lim
} // namespace pkb
