// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_RUN_MACHINE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_RUN_MACHINE_HPP

#include <boost/processkit/signal.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// The timers of a run. The machine alone decides when each is armed or
/// disarmed; the driver owns one real timer per kind.
enum class timer_kind : std::uint8_t
{
    deadline, ///< the run's timeout
    idle,     ///< the idle timeout: re-armed by every output
    grace,    ///< after the soft signal: the tree is killed when it expires
};
inline constexpr std::size_t timer_kind_count = 3;

/// How far a cancellation may go. An op maps asio::cancellation_type onto
/// it by the strongest bit the emitter accepts: terminal, else partial, else
/// total (cancellation_type::all is thus terminal). A cancel_on stop token is
/// terminal.
///
/// Before on_started() every grade is honoured: nothing was spawned, so
/// nothing is undone and the run completes cancelled at once.
enum class cancel_grade : std::uint8_t
{
    terminal, ///< kill the tree now
    partial,  ///< as a timeout does: the soft signal and the grace, then kill (kill at once without a grace)
    total,    ///< only without side effects: once the run has started it is refused (run_actions::refused)
};

/// Why the run was ended early. The first cause wins: a later timeout,
/// cancellation or output limit may hasten the kill (a terminal cancel during
/// the grace kills at once) but does not change what the run reports, because
/// the first one is what decided its fate. The driver maps it so:
///  - none: how the child ended (its status);
///  - timed_out: run_outcome::timed_out(), whatever the status;
///  - cancelled: errc::cancelled;
///  - output_limited: errc::output_limit.
/// A teardown failure is a separate fact (teardown_failed()), not a cause.
enum class end_cause : std::uint8_t
{
    none,
    timed_out, ///< the timeout or the idle timeout (idle_expired() tells them apart)
    cancelled,
    output_limited, ///< a bounded stream refused more output
};

/// What a run may take. Unset durations are not enforced.
struct run_limits
{
    std::optional<std::chrono::nanoseconds> timeout;
    std::optional<std::chrono::nanoseconds> idle_timeout;
    /// Set: a timeout or a partial cancel sends soft_signal first and kills
    /// only when the grace expires. Unset: it kills at once.
    std::optional<std::chrono::nanoseconds> grace;
    processkit::signal soft_signal = processkit::signal::term;
};

/// How one direct child ended.
struct child_exit
{
    bool exited = false; ///< true: `value` is the exit code; false: the signal number
    int value = 0;
    bool known = true; ///< false: someone else reaped it; `exited` and `value` mean nothing
    friend bool operator==(const child_exit&, const child_exit&) = default;
};

/// One timer to (re)start: it replaces the previous arm of its kind.
struct timer_arm
{
    std::chrono::nanoseconds after{};
    /// Hand it back to on_timer() when the wait succeeds (drop aborted
    /// waits). It is unique for the machine's life, so a wait that had
    /// completed (and was queued) before a re-arm or a disarm is recognised
    /// as stale and ignored.
    std::uint64_t generation = 0;
    friend bool operator==(const timer_arm&, const timer_arm&) = default;
};

/// What to do after an event; several may be set at once. A driver performs
/// them in this order: timers, signal, close_stdin, start_teardown, exited,
/// complete.
struct run_actions
{
    /// Send this to the whole tree now (signal::kill: kill it). It never
    /// waits: the exits and EOFs come back as events.
    std::optional<processkit::signal> signal;
    std::array<std::optional<timer_arm>, timer_kind_count> arm{}; ///< by timer_kind
    std::array<bool, timer_kind_count> disarm{};                  ///< cancel that pending wait
    /// No direct child is left to read stdin: close it, fail pending writes.
    bool close_stdin = false;
    /// Kill what is left of the tree and wait (off this thread's critical
    /// path) until it is empty; then call on_teardown_done(). Never set with
    /// `exited` or `complete`, so a driver that tears down synchronously may
    /// call on_teardown_done() right here.
    bool start_teardown = false;
    /// Every direct child has exited and the tree is torn down: the exit
    /// (statuses, cause) is final; exit waiters may be answered.
    bool exited = false;
    /// The run is over: deliver the result. Set at most once per machine;
    /// everything after it is ignored. Streams still open (only after a
    /// failed teardown) are the driver's to close.
    bool complete = false;
    /// A total cancellation could not be honoured; nothing was done.
    bool refused = false;
    /// Kill this child's tree (torn_down() is then true for it): the
    /// pipeline stage after it has ended while it still writes, so nothing
    /// would read what it writes. Performed with `signal`'s step.
    std::optional<std::size_t> kill_child;

    const std::optional<timer_arm>& arm_of(timer_kind k) const noexcept { return arm[static_cast<std::size_t>(k)]; }
    bool disarms(timer_kind k) const noexcept { return disarm[static_cast<std::size_t>(k)]; }
    friend bool operator==(const run_actions&, const run_actions&) = default;
};

/// The decisions of a whole run of one child or of several (a pipeline's
/// stages, in order),
/// without any I/O: events go in, the actions to take come out. The driver
/// (an Asio op) only performs them and reports back; it calls one event at a
/// time (a strand) and performs each answer before the next event.
///
/// A run completes once every direct child has exited, its tree has been
/// torn down and every stream has reached EOF. When the last direct child
/// exits, the teardown kills whatever it left behind, so descendants holding
/// the pipes cannot delay completion. A failed teardown (something survived
/// it, and may hold the pipes forever) completes without waiting for EOF.
///
/// A timeout or an idle timeout sends the soft signal and arms the grace
/// (or kills at once without one); the grace's expiry kills. Once every
/// direct child has exited or the teardown has started, the fate of the tree
/// is sealed: timeouts and cancellations do nothing. An output limit is still
/// recorded then (the output did exceed the bound) but kills nothing.
///
/// When child k exits while child k-1 runs and still holds its end of the
/// pipe into k (the driver tells, on_exit's `previous_writing`), child k-1
/// is killed (kill_child): nothing reads its output any more, and a quiet
/// one would otherwise hold the run until it ended on its own. Its exit
/// then asks the same of child k-2, and so on up the chain. A child that
/// has closed its output already is left to end on its own. The children
/// after k run on (they read what is left, then EOF).
///
/// Events before on_started() are ignored, except on_cancel() and
/// on_stream_eof(); events after completion are all ignored, so a late
/// callback is always harmless.
class run_machine
{
public:
    /// `children` direct children (at least one), `streams` output streams
    /// whose EOF completion waits for.
    run_machine(const run_limits& limits, std::size_t children, std::size_t streams);

    /// Everything is spawned: arms the deadline and the idle timer.
    run_actions on_started() noexcept;
    /// Output arrived on `stream`: re-arms the idle timer (while the run is
    /// not being ended).
    run_actions on_output(std::size_t stream) noexcept;
    /// `stream` reached EOF (or ended in error). A stream slot the spawn did
    /// not open (stdout not captured, say) is reported here too, typically
    /// before on_started(): then there is never an action to perform.
    run_actions on_stream_eof(std::size_t stream) noexcept;
    /// `stream` exceeded its bound and the policy refuses more: kill the tree;
    /// the run reports output_limited (unless an earlier cause).
    run_actions on_output_limit(std::size_t stream) noexcept;
    /// Direct child `child` has exited (reported once each).
    /// `previous_writing`: child - 1 still held its end of the pipe into
    /// this one (then it is killed, kill_child). After the last exit:
    /// timers disarmed, stdin closed, teardown started.
    run_actions on_exit(std::size_t child, child_exit how, bool previous_writing = false) noexcept;
    /// A timer's wait succeeded. Hand back the generation of the arm it
    /// waited for; stale generations (re-armed or disarmed since) are ignored.
    run_actions on_timer(timer_kind kind, std::uint64_t generation) noexcept;
    /// See cancel_grade. Before on_started() it completes the run at once
    /// (cancelled): the driver must then not spawn. Once every child has
    /// exited or the teardown has started it does nothing.
    run_actions on_cancel(cancel_grade grade) noexcept;
    /// Starts the teardown before every child has exited (a pipeline's policy
    /// decides when; none is built in). Timers stop; the exits still arrive
    /// as events. Does nothing once the teardown has started.
    run_actions request_teardown() noexcept;
    /// The teardown asked for by start_teardown is over; `ok` false: the
    /// tree was still populated after the teardown timeout.
    run_actions on_teardown_done(bool ok) noexcept;

    const run_limits& limits() const noexcept { return limits_; }
    bool started() const noexcept { return started_; }
    end_cause cause() const noexcept { return cause_; }
    bool timed_out() const noexcept { return cause_ == end_cause::timed_out; }
    bool idle_expired() const noexcept { return idle_expired_; } ///< the timeout was the idle one
    bool cancelled() const noexcept { return cause_ == end_cause::cancelled; }
    bool output_limited() const noexcept { return cause_ == end_cause::output_limited; }
    bool kill_sent() const noexcept { return killed_; } ///< signal::kill went to the tree (not the teardown)
    bool teardown_started() const noexcept { return teardown_ != teardown_state::none; }
    bool teardown_done() const noexcept { return teardown_ == teardown_state::done; }
    bool teardown_failed() const noexcept { return teardown_failed_; }
    std::size_t children() const noexcept { return status_.size(); }
    bool exited(std::size_t child) const noexcept { return child < status_.size() && status_[child].has_value(); }
    /// `child` was killed because the child after it had exited.
    bool torn_down(std::size_t child) const noexcept { return child < torn_down_.size() && torn_down_[child]; }
    /// How `child` ended; nullopt while it runs.
    std::optional<child_exit> status(std::size_t child) const noexcept;
    std::size_t exited_count() const noexcept { return exited_count_; }
    bool all_exited() const noexcept { return exited_count_ == status_.size(); }
    std::size_t open_streams() const noexcept { return open_streams_; }
    bool completed() const noexcept { return completed_; }

private:
    enum class teardown_state : std::uint8_t
    {
        none,
        running,
        done,
    };

    bool sealed() const noexcept { return all_exited() || teardown_ != teardown_state::none; }
    bool ignores_events() const noexcept { return !started_ || completed_; }
    void arm(run_actions& a, timer_kind k, std::chrono::nanoseconds after) noexcept;
    void disarm(run_actions& a, timer_kind k) noexcept;
    void disarm_all(run_actions& a) noexcept;
    void end_run(run_actions& a, end_cause why, bool soft) noexcept;
    void kill(run_actions& a) noexcept;
    void finish(run_actions& a) noexcept;

    run_limits limits_;
    std::vector<std::optional<child_exit>> status_;
    std::vector<bool> eof_;
    std::vector<bool> torn_down_;
    std::size_t exited_count_ = 0;
    std::size_t open_streams_;
    std::array<std::uint64_t, timer_kind_count> armed_{}; ///< generation of the pending arm; 0: none
    std::uint64_t last_generation_ = 0;
    end_cause cause_ = end_cause::none;
    teardown_state teardown_ = teardown_state::none;
    bool started_ = false;
    bool idle_expired_ = false;
    bool soft_sent_ = false;
    bool killed_ = false;
    bool stdin_closed_ = false;
    bool teardown_failed_ = false;
    bool exited_reported_ = false;
    bool completed_ = false;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_RUN_MACHINE_HPP
