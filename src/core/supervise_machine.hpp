// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_SUPERVISE_MACHINE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_SUPERVISE_MACHINE_HPP

// The restart loop of a supervisor, without any I/O: the driver
// (src/ops/supervisor.cpp) reports what happened (a run started, got ready,
// exited, a timer fired, a health check ended, stop() was called) with the
// current time, and does the one action the machine answers. The clock is
// the caller's, so tests drive it with a fake one.

#include "backoff.hpp"

#include <boost/processkit/supervisor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

struct supervise_action
{
    enum class kind : std::uint8_t
    {
        none,            ///< wait for the next report
        spawn,           ///< start the next run: report on_spawned or on_spawn_failed, then (once started) on_exit
        probe_ready,     ///< start the readiness probe: report on_ready or on_not_ready
        schedule_health, ///< arm the health timer for `delay`: report on_health_due
        check_health,    ///< run one health check: report on_health
        soft_stop,       ///< send the stop signal to the tree and arm the phase timer for `delay`: report on_timer
        kill,            ///< SIGKILL the tree (its exit still comes through on_exit)
        sleep,           ///< arm the phase timer for `delay`: report on_timer
        finish,          ///< supervision ended: see outcome() and error(); cancel every timer
    };
    kind what = kind::none;
    std::chrono::nanoseconds delay{};

    friend bool operator==(const supervise_action&, const supervise_action&) = default;
};

/// What is wrong with `o`, naming the field (never a value), or nullptr.
const char* supervisor_options_problem(const supervisor_options& o) noexcept;

class supervise_machine
{
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Precondition: supervisor_options_problem(o) is nullptr. `seed` is
    /// the jitter's when `o.seed` is unset.
    supervise_machine(const supervisor_options& o, std::uint64_t seed);

    supervise_action begin(time_point now);
    supervise_action on_spawned(time_point now, int pid);
    /// `retryable`: trying again may help (exhausted pids); otherwise
    /// supervision ends with the failure's code.
    supervise_action on_spawn_failed(time_point now, const processkit::error& failure, bool retryable);
    supervise_action on_ready(time_point now);
    supervise_action on_not_ready(time_point now, error_code ec);
    supervise_action on_health_due(time_point now);
    supervise_action on_health(time_point now, bool healthy);
    /// The phase timer (a backoff, a pause or a stop's grace) fired.
    supervise_action on_timer(time_point now);
    /// The current run's tree is gone. `accepted`: it exited with one of
    /// the command's ok_codes.
    supervise_action on_exit(time_point now, run_outcome how, bool accepted, std::string std_err);
    /// stop(): with a grace, the stop signal then SIGKILL after it; without
    /// one (a terminal cancellation, the destructor), SIGKILL at once.
    supervise_action on_stop(time_point now, std::optional<std::chrono::nanoseconds> grace);

    /// The events since the last call, in order.
    std::vector<supervisor_event> take_events();

    supervisor_state state() const noexcept { return state_; }
    supervisor_status status() const;
    /// Meaningful once finish was answered (the counts are kept up to date before).
    const supervision_outcome& outcome() const noexcept { return outcome_; }
    /// The error supervision ended with (a run that can never start), if any.
    error_code error() const noexcept { return error_; }
    /// The current run's number (1 for the first).
    std::size_t run_number() const noexcept { return run_.number; }

private:
    supervise_action spawn_next(time_point now);
    supervise_action end_run(time_point now);
    supervise_action finish(time_point now, stop_reason why);
    supervise_action restart_after(std::chrono::nanoseconds delay, supervisor_state how);
    bool counts_storm(time_point now);
    bool run_is_up() const noexcept;
    void emit(supervisor_event::kind k, std::chrono::nanoseconds delay = {});

    supervisor_options opts_;
    backoff backoff_;
    supervisor_state state_ = supervisor_state::idle;
    bool stop_requested_ = false;
    bool began_ = false;
    time_point began_at_{};
    time_point run_started_{};
    supervised_run run_;
    std::size_t health_failures_ = 0;
    std::deque<time_point> failures_; ///< failed runs' end times within the storm window
    supervision_outcome outcome_;
    error_code error_;
    std::vector<supervisor_event> events_;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_SUPERVISE_MACHINE_HPP
