// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// `processkit run`: one program in a private group, supervised on one
// io_context. The signals processkit forwards are blocked in every thread
// before the program starts and read from a signalfd, so none is lost, none
// kills processkit while the tree runs, and each tells who sent it (the
// program starts with an empty signal mask: the library clears it before
// exec). The first one is sent to the whole tree (with SIGCONT, so that
// stopped members can act on it) and starts the grace timer; when the grace
// is over, or at a second signal, the tree is killed. processkit returns only
// after the run's exit has been seen, and its group is gone with it (the
// library kills and waits for what is left of a tree when its program exits).

#include "commands.hpp"
#include "run_support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/processkit/command.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/running_process.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace boost {
namespace processkit {
namespace tool {
namespace {

using std::chrono::nanoseconds;

// ---------------------------------------------------------------- the command

command make_command(const run_options& o)
{
    command cmd(o.program.front());
    cmd.args(std::vector<std::string>(o.program.begin() + 1, o.program.end())).std_in(stdin_source::inherit());
    // An idle timeout needs to see the output: it goes through pipes and
    // processkit passes it on (see relay). Otherwise the program writes to
    // processkit's own stdout and stderr.
    const stdio_mode out = o.idle_timeout ? stdio_mode::pipe() : stdio_mode::inherit();
    cmd.std_out(out).std_err(out);
    if (o.cwd)
        cmd.cwd(*o.cwd);
    for (const auto& [name, value] : o.env)
        cmd.env(name, value);
    if (o.timeout)
        cmd.timeout(*o.timeout);
    if (o.idle_timeout)
        cmd.idle_timeout(*o.idle_timeout);
    cmd.timeout_grace(o.grace).timeout_signal(other_signal(o.timeout_signal));
    return cmd;
}

// ---------------------------------------------------------------- signals

// Whether `info` is a signal the terminal sent (Ctrl-C, Ctrl-\, a hangup) to
// its foreground process group, of which the program is a member too: the
// program got it already, and sending it again would deliver it twice.
bool program_got_it_from_the_terminal(const signalfd_siginfo& info, int program)
{
    return info.ssi_code == SI_KERNEL && ::getpgid(program) == ::getpgrp();
}

// ---------------------------------------------------------------- output relay (--idle-timeout)

bool write_all(int fd, std::string_view data)
{
    while (!data.empty())
    {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Passes the lines of one of the program's streams on to `fd` until the
// stream ends. Once `fd` fails (a closed pipe), the lines are still read, so
// that the program never blocks on a full pipe, and dropped.
void relay(line_stream lines, int fd)
{
    bool writable = true;
    std::string chunk;
    for (;;)
    {
        auto batch = lines.next_batch();
        if (!batch)
            return; // end of stream
        if (!writable)
            continue;
        chunk.clear();
        for (std::string_view line : batch.value())
        {
            chunk += line;
            chunk += '\n';
        }
        writable = write_all(fd, chunk);
    }
}

// ---------------------------------------------------------------- orphans

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or 0.
char process_state(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const std::size_t paren = stat.rfind(')'); // the name in parentheses may hold anything
    return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : 0;
}

// ---------------------------------------------------------------- supervision

// Waits for a started program on `ctx` and forwards the signals `signals`
// receives to its whole tree: the first one as it is, then SIGKILL when the
// grace is over or at a second signal.
class supervisor
{
public:
    supervisor(asio::io_context& ctx, signal_source& signals, running_process& child, nanoseconds grace)
        : ctx_(ctx), signals_(signals), child_(child), grace_(grace), grace_timer_(ctx), reap_timer_(ctx),
          work_(asio::make_work_guard(ctx))
    {
    }

    /// Starts waiting. `relays` threads pass the program's output on; each
    /// calls `relay_done()` when its stream has ended. With `reap_orphans`,
    /// orphaned members of the tree that end up as processkit's zombies are
    /// reaped as the run goes.
    void start(int relays, bool reap_orphans)
    {
        relays_left_ = relays;
        child_.async_wait([this](error_code, run_outcome outcome) { on_exit(outcome); });
        listen();
        if (reap_orphans)
            arm_reaper();
    }

    /// From any thread.
    void relay_done()
    {
        asio::post(ctx_, [this] {
            --relays_left_;
            finish_if_done();
        });
    }

    const std::optional<run_outcome>& outcome() const noexcept { return outcome_; }
    nanoseconds duration() const noexcept { return duration_; }
    /// The first forwarded signal processkit received, if any.
    std::optional<int> received() const noexcept { return received_; }

private:
    void listen()
    {
        signals_.async_next([this](const signalfd_siginfo& info) {
            if (!outcome_)
                on_signal(info);
        });
    }

    void on_signal(const signalfd_siginfo& info)
    {
        const int sig = static_cast<int>(info.ssi_signo);
        if (!received_)
        {
            received_ = sig;
            if (!program_got_it_from_the_terminal(info, child_.pid()))
            {
                (void)child_.signal(other_signal(sig));
                (void)child_.signal(other_signal(SIGCONT));
            }
            grace_timer_.expires_after(grace_);
            grace_timer_.async_wait([this, sig](error_code ec) {
                if (!ec)
                    kill_tree("the tree outlived the " + format_duration(grace_) + " grace after " + signal_name(sig));
            });
        }
        else
            kill_tree("a second signal (" + signal_name(sig) + ")");
        listen();
    }

    void arm_reaper()
    {
        reap_timer_.expires_after(orphan_reap_interval);
        reap_timer_.async_wait([this](error_code ec) {
            if (ec || outcome_)
                return;
            reap_orphan_zombies(child_.pid());
            arm_reaper();
        });
    }

    void kill_tree(const std::string& why)
    {
        if (outcome_ || killed_)
            return;
        killed_ = true;
        std::cerr << "processkit: " << why << "; killing it (SIGKILL)\n";
        (void)child_.kill();
    }

    void on_exit(run_outcome outcome)
    {
        outcome_ = outcome;
        duration_ = child_.elapsed();
        grace_timer_.cancel();
        reap_timer_.cancel();
        // Later signals stay blocked (and are dropped) while processkit reports.
        signals_.cancel();
        finish_if_done();
    }

    void finish_if_done()
    {
        if (outcome_ && relays_left_ == 0)
            work_.reset();
    }

    asio::io_context& ctx_;
    signal_source& signals_;
    running_process& child_;
    nanoseconds grace_;
    asio::steady_timer grace_timer_;
    asio::steady_timer reap_timer_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    int relays_left_ = 0;
    std::optional<run_outcome> outcome_;
    nanoseconds duration_{};
    std::optional<int> received_;
    bool killed_ = false;
};

// ---------------------------------------------------------------- the report

int status_of(const run_outcome& o, std::optional<int> received)
{
    if (received)
        return exit_status::signal_base + *received;
    if (o.type() == run_outcome::kind::timed_out)
        return exit_status::timed_out;
    if (auto code = o.code())
        return *code;
    return exit_status::signal_base + o.signal().value_or(0);
}

const char* outcome_name(const run_outcome& o)
{
    switch (o.type())
    {
    case run_outcome::kind::exited: return "exited";
    case run_outcome::kind::signalled: return "signalled";
    case run_outcome::kind::timed_out: return "timed_out";
    }
    return "unknown";
}

// A timeout with both limits set was the idle one if it came before --timeout.
bool idle_expired(const run_options& o, nanoseconds duration)
{
    return o.idle_timeout && (!o.timeout || duration < *o.timeout);
}

struct report
{
    const char* outcome;
    std::optional<int> code;
    std::optional<int> signal;
    nanoseconds duration{};
    mechanism in_effect;
    int exit_status;
    std::optional<int> received;
    std::string error; ///< why the program could not start
};

void print_json(const std::string& program, const report& r)
{
    json::object o;
    o["program"] = program;
    o["outcome"] = r.outcome;
    o["code"] = r.code ? json::value(*r.code) : json::value(nullptr);
    o["signal"] = r.signal ? json::value(*r.signal) : json::value(nullptr);
    o["duration"] = std::chrono::duration<double>(r.duration).count();
    o["mechanism"] = to_string(r.in_effect);
    o["exit_status"] = r.exit_status;
    o["received_signal"] = r.received ? json::value(*r.received) : json::value(nullptr);
    if (!r.error.empty())
        o["error"] = r.error;
    std::cout << json::serialize(o) << std::endl;
}

// The program did not start: say why, exit with timeout(1)'s status for it.
int report_start_failure(const run_options& options, const error& e, mechanism in_effect)
{
    const int status = start_failure_status(e);
    std::cerr << "processkit: " << describe_start_failure(e) << "\n";
    if (options.json)
        print_json(options.program.front(), {"failed_to_start", std::nullopt, std::nullopt, nanoseconds::zero(),
                                             in_effect, status, std::nullopt, describe_start_failure(e)});
    return status;
}

void report_timeout(const run_options& options, nanoseconds duration)
{
    if (idle_expired(options, duration))
        std::cerr << "processkit: no output for " << format_duration(*options.idle_timeout);
    else
        std::cerr << "processkit: timed out after " << format_duration(*options.timeout);
    std::cerr << "; the whole tree was killed\n";
}

} // namespace

// ---------------------------------------------------------------- shared with supervise (run_support.hpp)

std::string describe_start_failure(const error& e)
{
    const diagnostics& d = e.diag();
    const std::string who = d.program.empty() ? std::string("PROGRAM") : "\"" + d.program + "\"";
    if (e.code() == errc::program_not_found)
        return who + ": not found";
    std::string out = who;
    if (!d.step.empty())
        out += ": " + d.step;
    out += ": " + e.code().message();
    // These details describe the host or which part of the command is wrong, never a value.
    if (!d.detail.empty() && (e.code() == errc::unsupported || e.code() == errc::invalid_argument))
        out += " (" + d.detail + ")";
    return out;
}

int start_failure_status(const error& e)
{
    if (e.code() == errc::program_not_found)
        return exit_status::not_found;
    if (e.diag().step == "execve")
        return e.code() == boost::system::errc::no_such_file_or_directory ? exit_status::not_found
                                                                          : exit_status::cannot_run;
    return exit_status::failure;
}

// Reaps the zombies among processkit's children other than `direct` (the
// program, which the library reaps): members of the tree orphaned and
// reparented to processkit -- a subreaper, or PID 1 in a container -- that
// have exited. Without this a long run would pile them up until its
// teardown. A zombie's pid cannot be reused until it is reaped, so waiting
// for exactly that pid never touches another process.
void reap_orphan_zombies(int direct)
{
    DIR* tasks = ::opendir("/proc/self/task");
    if (!tasks)
        return;
    while (const dirent* task = ::readdir(tasks))
    {
        if (task->d_name[0] == '.')
            continue;
        std::ifstream in(std::string("/proc/self/task/") + task->d_name + "/children");
        int pid;
        while (in >> pid)
            if (pid != direct && process_state(pid) == 'Z')
                (void)::waitpid(pid, nullptr, WNOHANG);
    }
    ::closedir(tasks);
}

// ---------------------------------------------------------------- processkit run

int run(const run_options& options)
{
    asio::io_context ctx;
    // Before the program and any thread exist: from here on a forwarded
    // signal waits in the signalfd.
    signal_source signals(ctx);
    // A closed stdout must not kill processkit (and orphan the tree); the
    // program gets the default SIGPIPE back before exec.
    ::signal(SIGPIPE, SIG_IGN);
    // Orphaned members of the tree become processkit's children, so the
    // teardown reaps them even where PID 1 does not (and processkit reaps
    // the ones that exit before, see reap_orphan_zombies).
    const bool reaps_orphans = enable_subreaper().has_value() || ::getpid() == 1;

    // The mechanism in effect: an automatic group that falls back calls this
    // (once per process: processkit starts one group).
    static bool fell_back = false;
    set_fallback_handler([](const containment_report& r) {
        fell_back = true;
        std::cerr << "processkit: cgroup v2 containment unavailable (" << r.reason << "); using POSIX process groups\n";
    });
    auto in_effect = [&] {
        return options.group.mechanism == mechanism_request::process_group || fell_back ? mechanism::process_group
                                                                                        : mechanism::cgroup_v2;
    };

    auto started = start(ctx.get_executor(), make_command(options), options.group);
    if (!started)
        return report_start_failure(options, started.error(), in_effect());
    running_process& child = started.value();

    supervisor watch(ctx, signals, child, options.grace);
    std::vector<std::thread> relays;
    if (options.idle_timeout)
    {
        relays.emplace_back([&] {
            relay(child.stdout_lines(), STDOUT_FILENO);
            watch.relay_done();
        });
        relays.emplace_back([&] {
            relay(child.stderr_lines(), STDERR_FILENO);
            watch.relay_done();
        });
    }
    watch.start(static_cast<int>(relays.size()), reaps_orphans);
    ctx.run();
    for (std::thread& t : relays)
        t.join();

    const run_outcome& outcome = *watch.outcome();
    const int status = status_of(outcome, watch.received());
    if (outcome.type() == run_outcome::kind::timed_out && !watch.received())
        report_timeout(options, watch.duration());
    if (options.json)
        print_json(options.program.front(), {outcome_name(outcome), outcome.code(), outcome.signal(), watch.duration(),
                                             in_effect(), status, watch.received(), std::string()});
    return status;
}

} // namespace tool
} // namespace processkit
} // namespace boost
