// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SUPERVISOR_HPP
#define BOOST_PROCESSKIT_SUPERVISOR_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_result.hpp>
#include <boost/processkit/signal.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost {
namespace processkit {

class process_runner;

namespace detail {
struct supervisor_impl;
} // namespace detail

/// When a supervisor restarts its command after a run ends. In every case
/// `stop_when`, `give_up_when`, `max_restarts` and `stop()` can end
/// supervision first.
enum class restart_policy
{
    always,     ///< after every run, a successful one included
    on_failure, ///< after a failed run (see `supervised_run::succeeded`); a successful one ends supervision
    never,      ///< never: supervision ends with the first run
};

/// Why supervision ended.
enum class stop_reason
{
    policy_satisfied,   ///< the restart policy asked for no restart (a success under on_failure, any run under never)
    restarts_exhausted, ///< a restart was due but `max_restarts` were done
    predicate,          ///< `stop_when` returned true
    gave_up,            ///< `give_up_when` returned true
    stopped,            ///< `stop()`, the destruction, a cancellation of `async_run`, or the command's `cancel_on`
    unhealthy,          ///< under `restart_policy::never`, the run was killed for failing its health check
};

/// The stable name of `r` ("policy_satisfied", ...); `<<` writes it.
BOOST_PROCESSKIT_DECL const char* to_string(stop_reason r) noexcept;
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, stop_reason r);

/// What must hold before a supervised run counts as started: one of the
/// live readiness probes of `running_process`, with its deadline. A run
/// that does not get ready in time is killed and counts as failed (its
/// `supervised_run::error` is `errc::not_ready`, or
/// `errc::exited_before_ready` when it ended first).
class readiness_probe
{
public:
    enum class kind
    {
        line,      ///< a line of stdout or stderr satisfies a predicate
        output,    ///< a text appears in stdout or stderr
        port,      ///< a TCP connection to 127.0.0.1:port succeeds
        path,      ///< a path exists
        condition, ///< a callable returns true (polled)
    };

    static readiness_probe line(std::function<bool(std::string_view)> pred, std::chrono::nanoseconds deadline)
    {
        readiness_probe p(kind::line, deadline);
        p.line_ = std::move(pred);
        return p;
    }
    static readiness_probe output(std::string text, std::chrono::nanoseconds deadline)
    {
        readiness_probe p(kind::output, deadline);
        p.text_ = std::move(text);
        return p;
    }
    static readiness_probe port(unsigned short port, std::chrono::nanoseconds deadline)
    {
        readiness_probe p(kind::port, deadline);
        p.port_ = port;
        return p;
    }
    static readiness_probe path(std::string path, std::chrono::nanoseconds deadline)
    {
        readiness_probe p(kind::path, deadline);
        p.text_ = std::move(path);
        return p;
    }
    static readiness_probe condition(std::function<bool()> pred, std::chrono::nanoseconds deadline)
    {
        readiness_probe p(kind::condition, deadline);
        p.condition_ = std::move(pred);
        return p;
    }

    kind type() const noexcept { return kind_; }
    std::chrono::nanoseconds deadline() const noexcept { return deadline_; }
    const std::function<bool(std::string_view)>& line_predicate() const noexcept { return line_; }
    /// The text of `output`, the path of `path`.
    const std::string& text() const noexcept { return text_; }
    unsigned short port_number() const noexcept { return port_; }
    const std::function<bool()>& condition_predicate() const noexcept { return condition_; }

private:
    readiness_probe(kind k, std::chrono::nanoseconds d) : kind_(k), deadline_(d) {}
    kind kind_;
    std::chrono::nanoseconds deadline_;
    std::function<bool(std::string_view)> line_;
    std::string text_;
    unsigned short port_ = 0;
    std::function<bool()> condition_;
};

/// A liveness check run every `interval` while a supervised run is up
/// (after it got ready, when a readiness probe is set). `failures`
/// consecutive failed checks make the run unhealthy: its tree is killed
/// (a liveness kill) and the run counts as failed.
struct health_check
{
    /// A check that passes when `probe` runs to an accepted exit code. It
    /// runs through the supervisor's runner; without a timeout of its own,
    /// `interval` bounds it (a check still running then fails).
    static health_check of(command probe, std::chrono::nanoseconds interval, std::size_t failures = 3)
    {
        health_check h;
        h.cmd = std::move(probe);
        h.interval = interval;
        h.failures = failures;
        return h;
    }
    /// A check that passes when `check()` returns true. It runs on the
    /// supervisor's executor, so it must be quick and must not block; an
    /// exception from it counts as a failed check.
    static health_check of(std::function<bool()> check, std::chrono::nanoseconds interval, std::size_t failures = 3)
    {
        health_check h;
        h.fn = std::move(check);
        h.interval = interval;
        h.failures = failures;
        return h;
    }

    std::optional<command> cmd;
    std::function<bool()> fn;
    std::chrono::nanoseconds interval = std::chrono::seconds(10);
    std::size_t failures = 3; ///< consecutive failed checks that kill the run
};

/// Crash-storm protection: `failures` failed runs within `window` pause
/// restarting for `pause` (a `storm_pause` event), then it resumes with the
/// failure count cleared.
struct crash_storm
{
    std::size_t failures = 5;
    std::chrono::nanoseconds window = std::chrono::seconds(10);
    std::chrono::nanoseconds pause = std::chrono::seconds(30);
};

/// One supervised run, as it ended.
struct supervised_run
{
    std::size_t number = 0; ///< 1 for the first run, 2 after the first restart, ...
    int pid = 0;            ///< 0 when it never started
    /// Why it failed without an outcome of its own: it could not start (a
    /// spawn error), or it did not get ready (errc::not_ready,
    /// errc::exited_before_ready). Empty otherwise.
    error_code error;
    /// What failed when it could not start: the program, the step
    /// ("execve", "chdir", ...) and what was searched. Empty otherwise.
    processkit::diagnostics diagnostics;
    /// How the child ended; unset when it never started.
    std::optional<run_outcome> outcome;
    std::chrono::nanoseconds uptime{}; ///< from its start to its exit
    bool ready = false;                ///< it passed the readiness probe (true without one, once started)
    bool unhealthy = false;            ///< it was killed for failing its health check
    bool stopped = false;              ///< it was ended by `stop()` (or a cancellation)
    /// It started, got ready, exited with one of the command's ok_codes and
    /// was neither killed as unhealthy nor stopped. What
    /// `restart_policy::on_failure` and the crash-storm count go by.
    bool succeeded = false;
    /// Its stderr, when the command pipes stderr (see `finished::std_err`;
    /// bound it with `command::output_buffer`).
    std::string std_err;
};

/// What a finished supervision reports: the last run and the supervisor's counts.
struct supervision_outcome
{
    stop_reason reason = stop_reason::stopped;
    supervised_run last;                ///< the last run (number 0: none ran)
    std::size_t runs = 0;               ///< runs started or attempted, the first included
    std::size_t restarts = 0;           ///< runs - 1, when any ran
    std::size_t storm_pauses = 0;       ///< crash-storm pauses taken
    std::size_t liveness_kills = 0;     ///< runs killed for failing their health check
    std::chrono::nanoseconds uptime{};  ///< the sum of every run's uptime
    std::chrono::nanoseconds elapsed{}; ///< from the start of supervision to its end
};

/// The options of a `supervisor`. A zero or negative duration where a
/// positive one is needed, zero failures, a backoff multiplier below 1, or
/// a health check with neither or both of a command and a callable is
/// `errc::invalid_argument` naming the field; nothing is spawned.
struct supervisor_options
{
    restart_policy restart = restart_policy::on_failure;
    /// Restarts allowed in all; unset: no bound.
    std::optional<std::size_t> max_restarts;

    /// The delay before restart k is `min(max_delay, initial_delay *
    /// multiplier^(k-1))` counted from the last backoff reset, with
    /// `full_jitter` drawn uniformly from [0, that] (`seed` for tests).
    std::chrono::nanoseconds initial_delay = std::chrono::milliseconds(100);
    double multiplier = 2.0;
    std::chrono::nanoseconds max_delay = std::chrono::seconds(30);
    bool full_jitter = false;
    std::optional<std::uint64_t> seed;
    /// A run that stayed up (and ready) this long resets the backoff to
    /// `initial_delay`; unset: never reset.
    std::optional<std::chrono::nanoseconds> reset_after = std::chrono::seconds(30);

    std::optional<crash_storm> storm;
    std::optional<readiness_probe> ready;
    std::optional<health_check> health;

    /// Called with each run as it ends; true ends supervision
    /// (`stop_reason::predicate`). Must not throw.
    std::function<bool(const supervised_run&)> stop_when;
    /// Called with each run as it ends, after `stop_when`; true ends
    /// supervision (`stop_reason::gave_up`). Must not throw.
    std::function<bool(const supervised_run&)> give_up_when;

    /// `stop()` without a grace, and a total or partial cancellation of
    /// `async_run`, send `stop_signal` to the current tree and SIGKILL it
    /// after this.
    std::chrono::nanoseconds stop_grace = std::chrono::seconds(5);
    processkit::signal stop_signal = processkit::signal::term;
};

/// Where a supervisor is.
enum class supervisor_state
{
    idle,         ///< `async_run` has not begun
    starting,     ///< a run is started and waits for its readiness probe
    running,      ///< a run is up (and ready)
    stopping,     ///< the current tree is being stopped or killed
    backing_off,  ///< waiting for the next restart
    storm_paused, ///< a crash-storm pause
    finished,     ///< supervision ended
};

/// The stable name of `s` ("idle", "backing_off", ...); `<<` writes it.
BOOST_PROCESSKIT_DECL const char* to_string(supervisor_state s) noexcept;
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, supervisor_state s);

/// A snapshot of a supervisor (`supervisor::status()`).
struct supervisor_status
{
    supervisor_state state = supervisor_state::idle;
    int pid = 0;                        ///< the current run's pid; 0 when none is up
    std::size_t restarts = 0;           ///< restarts so far
    std::optional<supervised_run> last; ///< the last run that ended
};

/// Something that happened under supervision.
struct supervisor_event
{
    enum class kind
    {
        started,     ///< a run started (`pid`)
        ready,       ///< it passed its readiness probe (`pid`)
        exited,      ///< a run ended (`run`: how)
        restarting,  ///< the next run starts after `delay`
        storm_pause, ///< a crash storm: restarting pauses for `delay`
        unhealthy,   ///< the health check failed too often; the tree is being killed (`pid`)
        stopped,     ///< supervision ended (`reason`); the last event
    };
    kind what = kind::started;
    std::size_t run_number = 0; ///< the run it concerns (for restarting: the next one)
    int pid = 0;
    std::optional<supervised_run> run;         ///< `exited` only
    std::chrono::nanoseconds delay{};          ///< `restarting`, `storm_pause`
    stop_reason reason = stop_reason::stopped; ///< `stopped` only
};

/// The stable name of `k` ("started", "ready", ...); `<<` writes it.
BOOST_PROCESSKIT_DECL const char* to_string(supervisor_event::kind k) noexcept;
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, supervisor_event::kind k);

/// The events of one supervisor, in order, from its first run on; consumed
/// like a line stream. The supervisor keeps the newest 1024 not yet taken
/// (older ones are dropped and counted in `dropped()`). After the `stopped`
/// event the stream ends with `errc::end_of_stream`.
///
/// Handler signature: `void(error_code, supervisor_event)`.
/// Cancellation: any type completes a pending `async_next` with
/// `errc::cancelled`; supervision goes on.
/// Thread safety: one `async_next` at a time.
class BOOST_PROCESSKIT_DECL supervisor_events
{
public:
    template <class Token = asio::deferred_t>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, supervisor_event)>(
            [this](auto handler) {
                initiate_next(asio::any_completion_handler<void(error_code, supervisor_event)>(std::move(handler)));
            },
            token);
    }
    /// Blocks; only from a thread that does not run the supervisor's executor.
    result<supervisor_event> next();
    /// Events dropped because the 1024 kept were not taken in time.
    std::size_t dropped() const;

private:
    friend class supervisor;
    explicit supervisor_events(std::shared_ptr<detail::supervisor_impl> s) : state_(std::move(s)) {}
    void initiate_next(asio::any_completion_handler<void(error_code, supervisor_event)> h);
    std::shared_ptr<detail::supervisor_impl> state_;
};

/// Keeps a command alive: runs it, judges every run as it ends against the
/// restart policy and the predicates, and restarts it after a backoff until
/// supervision ends. Each run is started through a `process_runner` (a
/// private group per run with the default one), so a run's whole tree is
/// gone before the next run starts, and nothing survives the supervisor.
///
/// @details Construct it, then `async_run` (or `run`) once; `status()`,
/// `events()` and `stop()` work from any thread while it runs. Teardown
/// between runs is asynchronous: one supervisor never blocks the executor
/// it shares with others.
///
/// A run that cannot start because trying again changes nothing (a program
/// not found, a bad working directory, invalid arguments; see
/// `default_retryable`) ends supervision with that error. Other spawn
/// errors (exhausted pids, say) count as failed runs.
///
/// Cancellation of `async_run`: terminal kills the current tree at once;
/// partial and total stop it gracefully (`stop_signal`, then SIGKILL after
/// `stop_grace`). Either way supervision ends with `stop_reason::stopped`
/// and no process left.
///
/// Object lifetimes: destroying the supervisor stops supervision (the
/// current tree is killed); a pending `async_run` then completes with
/// `stop_reason::stopped`. A runner given to the constructor must outlive
/// the supervision.
///
/// Thread safety: `status`, `stop` and `events` are safe from any thread;
/// `async_run`/`run` once per supervisor.
class BOOST_PROCESSKIT_DECL supervisor
{
public:
    /// Served by processkit's own I/O thread (like `start(cmd)`): `run()`
    /// works from any thread.
    explicit supervisor(command cmd, supervisor_options options = {});
    /// Served by `ex`.
    supervisor(asio::any_io_executor ex, command cmd, supervisor_options options = {});
    /// Served by `ex`, every run (and command health check) through `runner`.
    supervisor(asio::any_io_executor ex, process_runner& runner, command cmd, supervisor_options options = {});
    supervisor(supervisor&&) noexcept;
    supervisor& operator=(supervisor&&) noexcept;
    ~supervisor();

    asio::any_io_executor get_executor() const noexcept;

    /// Supervises until it ends. Handler signature:
    /// `void(error_code, supervision_outcome)`; the error is set only when
    /// supervision could not go on (invalid options, a run that can never
    /// start, a second `async_run`), with the outcome so far.
    template <class Token = asio::deferred_t>
    auto async_run(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, supervision_outcome)>(
            [this](auto handler) {
                initiate_run(asio::any_completion_handler<void(error_code, supervision_outcome)>(std::move(handler)));
            },
            token);
    }
    /// Blocks until supervision ends; not from a thread that runs the
    /// supervisor's executor.
    result<supervision_outcome> run();

    supervisor_status status() const;
    /// The event stream (the same one each call).
    supervisor_events events() { return supervisor_events(state_); }

    /// Ends supervision: a backoff or pause ends at once, a current run gets
    /// `stop_signal`, then SIGKILL after `grace` (`stop_grace` without one).
    /// Returns at once; `async_run` completes when the tree is gone.
    void stop();
    void stop(std::chrono::nanoseconds grace);

private:
    void initiate_run(asio::any_completion_handler<void(error_code, supervision_outcome)> h);
    std::shared_ptr<detail::supervisor_impl> state_;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SUPERVISOR_HPP
