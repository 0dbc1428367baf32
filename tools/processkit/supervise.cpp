// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// `processkit supervise`: one program kept alive by a processkit::supervisor
// on one io_context, every run (and health check) in a private group of its
// own through a job_runner with the --mechanism. The signals processkit
// forwards are blocked and read from a signalfd as in `run` (run_support.hpp):
// the first one stops supervision gracefully (`supervisor::stop(grace)`: the
// tree gets SIGTERM, then SIGKILL after the grace), a second one cancels the
// supervision terminally, which kills the tree at once. The supervisor's
// events become one line each on stderr; processkit returns once supervision
// has ended, which is once the last tree is gone.

#include "commands.hpp"
#include "run_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/processkit/command.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/supervisor.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boost {
namespace processkit {
namespace tool {
namespace {

using std::chrono::nanoseconds;

// ---------------------------------------------------------------- the commands

// The program writes to processkit's stdout and stderr, but reads /dev/null:
// a restarted run could not go on reading where the last one stopped, and a
// run given the terminal's stdin would be given its foreground too (under
// the process-group mechanism), so that Ctrl-C would reach the run alone and
// only restart it.
command make_command(const supervise_options& o)
{
    command cmd(o.program.front());
    cmd.args(std::vector<std::string>(o.program.begin() + 1, o.program.end()))
        .std_in(stdin_source::null())
        .std_out(stdio_mode::inherit())
        .std_err(stdio_mode::inherit());
    return cmd;
}

// --health-cmd, run without a shell; what it writes is of no interest.
command health_command(const supervise_options& o)
{
    command cmd(o.health_command.front());
    cmd.args(std::vector<std::string>(o.health_command.begin() + 1, o.health_command.end()))
        .std_out(stdio_mode::null())
        .std_err(stdio_mode::null());
    return cmd;
}

// Why `r` did not start, with the failed step ("execve", ...).
error start_failure(const supervised_run& r) { return error(r.error, r.diagnostics); }

supervisor_options make_options(const supervise_options& o)
{
    supervisor_options s;
    s.restart = o.restart;
    s.max_restarts = o.max_restarts;
    s.initial_delay = o.backoff.min;
    s.max_delay = o.backoff.max;
    s.storm = o.storm;
    if (!o.health_command.empty())
        s.health = health_check::of(health_command(o), o.health_interval, o.health_failures);
    s.stop_grace = o.grace;
    return s;
}

// ---------------------------------------------------------------- the event lines

std::string describe_exit(const supervised_run& r)
{
    const std::string which = " (run " + std::to_string(r.number) + "): ";
    if (!r.outcome)
        return "could not start" + which + describe_start_failure(start_failure(r));
    std::string how;
    if (auto code = r.outcome->code())
        how = "exit code " + std::to_string(*code);
    else if (auto sig = r.outcome->signal())
        how = "killed by " + signal_name(*sig);
    else
        how = "timed out";
    if (r.unhealthy)
        how += " (unhealthy)";
    else if (r.stopped)
        how += " (stopped)";
    return "exited" + which + how;
}

// One line per event; never an argument or an environment value.
std::string describe_event(const supervisor_event& e)
{
    using kind = supervisor_event::kind;
    const std::string run = " (run " + std::to_string(e.run_number) + ")";
    const std::string pid = std::to_string(e.pid);
    switch (e.what)
    {
    case kind::started: return "started pid " + pid + run;
    case kind::ready: return "ready pid " + pid + run;
    case kind::exited: return e.run ? describe_exit(*e.run) : "exited" + run;
    case kind::restarting: return "restarting in " + format_duration(e.delay) + run;
    case kind::storm_pause: return "storm pause " + format_duration(e.delay) + run;
    case kind::unhealthy: return "unhealthy pid " + pid + run + ": killing its tree (SIGKILL)";
    case kind::stopped: return std::string("stopped: ") + to_string(e.reason);
    }
    return to_string(e.what);
}

// One write, so that a line of processkit's does not mix with the program's.
void print_line(const std::string& text) { std::cerr << ("processkit: " + text + "\n") << std::flush; }

// ---------------------------------------------------------------- the session

// Runs the supervision on `ctx`: prints its events, turns the signals
// `signals` receives into a stop (the first) and a kill (the second), and
// keeps `ctx` running until supervision has ended and its events are out.
class session
{
public:
    session(asio::io_context& ctx, signal_source& signals, supervisor& sup, nanoseconds grace)
        : signals_(signals), sup_(sup), events_(sup.events()), grace_(grace), reap_timer_(ctx),
          work_(asio::make_work_guard(ctx))
    {
    }

    /// With `reap_orphans`, orphaned members of a tree that end up as
    /// processkit's zombies are reaped as the runs go.
    void start(bool reap_orphans)
    {
        sup_.async_run(asio::bind_cancellation_slot(
            cancel_.slot(), [this](error_code ec, supervision_outcome o) { on_done(ec, std::move(o)); }));
        next_event();
        listen();
        if (reap_orphans)
            arm_reaper();
    }

    /// Once `ctx` has returned.
    error_code run_error() const noexcept { return error_; }
    const supervision_outcome& outcome() const noexcept { return outcome_; }
    /// The first forwarded signal processkit received, if any.
    std::optional<int> received() const noexcept { return received_; }

private:
    void next_event()
    {
        events_.async_next([this](error_code ec, supervisor_event e) {
            if (ec) // end_of_stream: the `stopped` event was the last
            {
                events_done_ = true;
                return finish_if_done();
            }
            print_line(describe_event(e));
            next_event();
        });
    }

    void listen()
    {
        signals_.async_next([this](const signalfd_siginfo& info) {
            if (!done_)
                on_signal(static_cast<int>(info.ssi_signo));
        });
    }

    void on_signal(int sig)
    {
        if (!received_)
        {
            received_ = sig;
            print_line(signal_name(sig) + ": stopping; " +
                       (grace_.count() > 0 ? "SIGTERM to the tree, SIGKILL after " + format_duration(grace_)
                                           : std::string("SIGKILL to the tree")));
            sup_.stop(grace_);
        }
        else if (!killing_)
        {
            killing_ = true;
            print_line("a second signal (" + signal_name(sig) + "); killing the tree (SIGKILL)");
            cancel_.emit(asio::cancellation_type::terminal);
        }
        listen();
    }

    // Only while the run's program is processkit's one child the library
    // waits for: without a health check, whose runs are children too.
    void arm_reaper()
    {
        reap_timer_.expires_after(orphan_reap_interval);
        reap_timer_.async_wait([this](error_code ec) {
            if (ec || done_)
                return;
            reap_orphan_zombies(sup_.status().pid);
            arm_reaper();
        });
    }

    void on_done(error_code ec, supervision_outcome outcome)
    {
        done_ = true;
        error_ = ec;
        outcome_ = std::move(outcome);
        reap_timer_.cancel();
        // Later signals stay blocked (and are dropped) while processkit reports.
        signals_.cancel();
        finish_if_done();
    }

    void finish_if_done()
    {
        if (done_ && events_done_)
            work_.reset();
    }

    signal_source& signals_;
    supervisor& sup_;
    supervisor_events events_;
    nanoseconds grace_;
    asio::steady_timer reap_timer_;
    asio::cancellation_signal cancel_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    bool done_ = false;
    bool events_done_ = false;
    bool killing_ = false;
    error_code error_;
    supervision_outcome outcome_;
    std::optional<int> received_;
};

// The last run's status, or 128+N when processkit received signal N (as `run`).
int status_of(const session& s)
{
    if (s.received())
        return exit_status::signal_base + *s.received();
    const supervised_run& last = s.outcome().last;
    if (last.outcome)
    {
        if (last.outcome->type() == run_outcome::kind::timed_out)
            return exit_status::timed_out;
        if (auto code = last.outcome->code())
            return *code;
        return exit_status::signal_base + last.outcome->signal().value_or(0);
    }
    if (last.error)
        return start_failure_status(start_failure(last));
    return exit_status::failure;
}

} // namespace

int supervise(const supervise_options& options)
{
    asio::io_context ctx;
    // Before any program and any thread exist (see run.cpp).
    signal_source signals(ctx);
    ::signal(SIGPIPE, SIG_IGN);
    const bool reaps_orphans = enable_subreaper().has_value() || ::getpid() == 1;
    set_fallback_handler([](const containment_report& r) {
        print_line("cgroup v2 containment unavailable (" + r.reason + "); using POSIX process groups");
    });

    job_runner runner(options.group);
    supervisor sup(ctx.get_executor(), runner, make_command(options), make_options(options));
    session s(ctx, signals, sup, options.grace);
    s.start(reaps_orphans && options.health_command.empty());
    ctx.run();

    // A failure to start was an event line already; anything else was not.
    if (s.run_error() && s.run_error() != s.outcome().last.error)
    {
        print_line("cannot supervise: " + s.run_error().message());
        return exit_status::failure;
    }
    return status_of(s);
}

} // namespace tool
} // namespace processkit
} // namespace boost
