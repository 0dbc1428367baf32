// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The supervisor's driver: the restart loop is src/core/supervise_machine;
// this file starts the runs through the runner, watches their exits, runs
// the probes and health checks, arms the timers, and hands the events out.
// Everything runs on one strand and nothing blocks on it: a run's teardown
// is the live process's own asynchronous one.

#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/retry.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/processkit/supervisor.hpp>

#include "../core/supervise_machine.hpp"
#include "io_thread.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <functional>
#include <mutex>
#include <stop_token>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using run_handler = asio::any_completion_handler<void(error_code, supervision_outcome)>;
using event_handler = asio::any_completion_handler<void(error_code, supervisor_event)>;
using clock = std::chrono::steady_clock;
using kind = supervise_action::kind;

constexpr std::size_t kept_events = 1024;

template <class Handler, class... Args>
void complete_on_own_executor(Handler h, const asio::any_io_executor& fallback, Args... args)
{
    auto hex = asio::get_associated_executor(h, fallback);
    asio::dispatch(hex, [h = std::move(h), args...]() mutable { std::move(h)(std::move(args)...); });
}

} // namespace

struct supervisor_impl : std::enable_shared_from_this<supervisor_impl>
{
    supervisor_impl(asio::any_io_executor e, process_runner& r, command c, supervisor_options o)
        : ex(std::move(e)), strand(asio::make_strand(ex)), runner(r), cmd(std::move(c)), opts(std::move(o)),
          phase_timer(strand), health_timer(strand)
    {
        if (const char* problem = supervisor_options_problem(opts))
            invalid = problem;
        else
            machine.emplace(opts, random_seed());
    }

    // ---- on the strand

    void begin(run_handler h)
    {
        if (began) // a second async_run
            return complete_on_own_executor(std::move(h), ex, make_error_code(errc::invalid_argument),
                                            supervision_outcome{});
        began = true;
        handler.emplace(std::move(h)); // emplaced: Asio 1.81's move-assignment of the handler recurses
        work = asio::prefer(asio::get_associated_executor(*handler, ex), asio::execution::outstanding_work.tracked);
        if (invalid)
        {
            diagnostics d;
            d.program = cmd.program();
            d.step = "validate supervisor";
            d.detail = std::string("supervisor options: ") + invalid;
            invalid_options.emplace(make_error_code(errc::invalid_argument), std::move(d));
            return complete(invalid_options->code(), supervision_outcome{});
        }
        auto slot = asio::get_associated_cancellation_slot(*handler);
        if (slot.is_connected())
        {
            std::weak_ptr<supervisor_impl> weak = shared_from_this();
            slot.assign([weak](asio::cancellation_type type) {
                if (auto s = weak.lock())
                {
                    const bool terminal = (type & asio::cancellation_type::terminal) != asio::cancellation_type::none;
                    asio::post(s->strand, [s, terminal] { s->stop_on_strand(terminal, s->opts.stop_grace); });
                }
            });
        }
        if (cmd.cancel_token().stop_requested())
            (void)machine->on_stop(clock::now(), std::nullopt); // stopped already: nothing runs
        else if (cmd.cancel_token().stop_possible())
        {
            std::weak_ptr<supervisor_impl> weak = shared_from_this();
            cancel_on_cb.emplace(cmd.cancel_token(), std::function<void()>([weak] {
                                     if (auto s = weak.lock())
                                         asio::post(s->strand, [s] { s->stop_on_strand(true, {}); });
                                 }));
        }
        apply(machine->begin(clock::now()));
    }

    void stop_on_strand(bool at_once, std::chrono::nanoseconds grace)
    {
        if (!machine || done)
            return;
        apply(machine->on_stop(clock::now(), at_once ? std::nullopt : std::optional<std::chrono::nanoseconds>(grace)));
    }

    void apply(supervise_action a)
    {
        publish();
        switch (a.what)
        {
        case kind::none: return;
        case kind::spawn: return spawn();
        case kind::probe_ready: return probe();
        case kind::schedule_health: return arm_health(a.delay);
        case kind::check_health: return check_health();
        case kind::soft_stop:
            if (proc)
                (void)proc->signal(opts.stop_signal);
            return arm_phase(a.delay);
        case kind::kill:
            if (proc)
                (void)proc->kill();
            return;
        case kind::sleep: return arm_phase(a.delay);
        case kind::finish: return complete(machine->error(), machine->outcome());
        }
    }

    void spawn()
    {
        auto started = runner.start(strand, cmd);
        if (!started)
        {
            const bool retryable = default_retryable(started.error().code(), process_result{});
            return apply(machine->on_spawn_failed(clock::now(), started.error(), retryable));
        }
        proc.emplace(std::move(started).value());
        const std::size_t run = ++generation;
        const int pid = proc->pid();
        auto next = machine->on_spawned(clock::now(), pid);
        proc->async_finish(
            asio::bind_executor(strand, [self = shared_from_this(), run](error_code ec, processkit::finished f) {
                self->on_finished(run, ec, std::move(f));
            }));
        apply(next);
    }

    void on_finished(std::size_t run, error_code ec, processkit::finished f)
    {
        if (run != generation)
            return;
        health_timer.cancel();
        probe_signal.emit(asio::cancellation_type::terminal);
        health_signal.emit(asio::cancellation_type::terminal);
        // The command's cancel_on token ended the run: it ends supervision
        // too (every later run would be cancelled at its start).
        if (ec == errc::cancelled)
            (void)machine->on_stop(clock::now(), std::nullopt);
        const auto code = f.outcome.code();
        const bool accepted = !ec && code && cmd.accepts(*code);
        // The handle goes after this handler: its own operation called it.
        asio::post(strand, [p = std::move(proc)] {});
        proc.reset();
        apply(machine->on_exit(clock::now(), f.outcome, accepted, std::move(f.std_err)));
    }

    void probe()
    {
        if (!proc)
            return;
        const readiness_probe& p = *opts.ready;
        auto done = [self = shared_from_this(), run = generation](error_code ec) { self->on_probe(run, ec); };
        auto bound = [&](auto h) {
            return asio::bind_cancellation_slot(probe_signal.slot(), asio::bind_executor(strand, std::move(h)));
        };
        switch (p.type())
        {
        case readiness_probe::kind::line:
            proc->async_wait_for_line(p.line_predicate(), p.deadline(),
                                      bound([done](error_code ec, std::string) { done(ec); }));
            return;
        case readiness_probe::kind::output: proc->async_wait_for_output(p.text(), p.deadline(), bound(done)); return;
        case readiness_probe::kind::port: proc->async_wait_for_port(p.port_number(), p.deadline(), bound(done)); return;
        case readiness_probe::kind::path: proc->async_wait_for_path(p.text(), p.deadline(), bound(done)); return;
        case readiness_probe::kind::condition:
            proc->async_wait_for(p.condition_predicate(), p.deadline(), bound(done));
            return;
        }
    }

    void on_probe(std::size_t run, error_code ec)
    {
        if (run != generation || done)
            return;
        if (!ec)
            return apply(machine->on_ready(clock::now()));
        apply(machine->on_not_ready(clock::now(), ec));
    }

    void arm_health(std::chrono::nanoseconds delay)
    {
        health_timer.expires_after(delay);
        health_timer.async_wait([self = shared_from_this(), run = generation](error_code ec) {
            if (!ec && run == self->generation && !self->done)
                self->apply(self->machine->on_health_due(clock::now()));
        });
    }

    void check_health()
    {
        const health_check& h = *opts.health;
        if (h.fn)
        {
            bool healthy = false;
            try
            {
                healthy = h.fn();
            }
            catch (...)
            {
                healthy = false; // documented: an exception is a failed check
            }
            return apply(machine->on_health(clock::now(), healthy));
        }
        command check = *h.cmd;
        if (!check.timeout_value())
            check.timeout(h.interval);
        ++checks_running;
        auto on_checked = [self = shared_from_this(), run = generation](error_code ec, process_result r) {
            --self->checks_running;
            if (self->done)
                return self->deliver_completion(); // it waited for this check's tree
            if (run == self->generation)
                self->apply(self->machine->on_health(clock::now(), !ec && r.success()));
        };
        runner.async_capture(
            strand, std::move(check),
            asio::bind_cancellation_slot(health_signal.slot(), asio::bind_executor(strand, std::move(on_checked))));
    }

    void arm_phase(std::chrono::nanoseconds delay)
    {
        const std::size_t armed = ++phase_generation;
        phase_timer.expires_after(delay);
        phase_timer.async_wait([self = shared_from_this(), armed](error_code ec) {
            if (!ec && armed == self->phase_generation && !self->done)
                self->apply(self->machine->on_timer(clock::now()));
        });
    }

    void complete(error_code ec, supervision_outcome outcome)
    {
        done = true;
        phase_timer.cancel();
        health_timer.cancel();
        probe_signal.emit(asio::cancellation_type::terminal);
        health_signal.emit(asio::cancellation_type::terminal);
        auto slot = asio::get_associated_cancellation_slot(*handler);
        if (slot.is_connected())
            slot.clear();
        {
            std::lock_guard<std::mutex> lock(mu);
            if (machine)
                status_copy = machine->status();
            else
                status_copy.state = supervisor_state::finished;
        }
        cancel_on_cb.reset();
        events_ended = true;
        deliver_event();
        ended_with.emplace(ec, std::move(outcome));
        deliver_completion();
    }

    // A command health check cancelled by complete() still has a tree until
    // its capture completes: the handler waits for it ("no process left").
    void deliver_completion()
    {
        if (checks_running != 0 || !ended_with || !handler)
            return;
        auto h = std::move(*handler);
        handler.reset();
        auto [ec, outcome] = std::move(*ended_with);
        complete_on_own_executor(std::move(h), ex, ec, std::move(outcome));
        work = {};
    }

    // The machine's new events to the queue, its status to the snapshot.
    void publish()
    {
        for (auto& e : machine->take_events())
        {
            if (events.size() == kept_events)
            {
                events.pop_front();
                dropped.fetch_add(1, std::memory_order_relaxed);
            }
            events.push_back(std::move(e));
        }
        {
            std::lock_guard<std::mutex> lock(mu);
            status_copy = machine->status();
        }
        deliver_event();
    }

    void next_event(event_handler h)
    {
        if (event_waiter)
            return complete_on_own_executor(std::move(h), ex, make_error_code(errc::invalid_argument),
                                            supervisor_event{});
        event_waiter.emplace(std::move(h));
        auto slot = asio::get_associated_cancellation_slot(*event_waiter);
        if (slot.is_connected())
        {
            std::weak_ptr<supervisor_impl> weak = shared_from_this();
            slot.assign([weak](asio::cancellation_type type) {
                if (type == asio::cancellation_type::none)
                    return;
                if (auto s = weak.lock())
                    asio::post(s->strand, [s] { s->cancel_event_waiter(); });
            });
        }
        deliver_event();
    }

    void cancel_event_waiter()
    {
        if (!event_waiter)
            return;
        auto h = take_event_waiter();
        complete_on_own_executor(std::move(h), ex, make_error_code(errc::cancelled), supervisor_event{});
    }

    event_handler take_event_waiter()
    {
        auto slot = asio::get_associated_cancellation_slot(*event_waiter);
        if (slot.is_connected())
            slot.clear();
        event_handler h = std::move(*event_waiter);
        event_waiter.reset();
        return h;
    }

    void deliver_event()
    {
        if (!event_waiter)
            return;
        if (!events.empty())
        {
            supervisor_event e = std::move(events.front());
            events.pop_front();
            auto h = take_event_waiter();
            return complete_on_own_executor(std::move(h), ex, error_code{}, std::move(e));
        }
        if (events_ended)
        {
            auto h = take_event_waiter();
            complete_on_own_executor(std::move(h), ex, make_error_code(errc::end_of_stream), supervisor_event{});
        }
    }

    asio::any_io_executor ex;
    asio::strand<asio::any_io_executor> strand;
    process_runner& runner;
    command cmd;
    supervisor_options opts;
    asio::steady_timer phase_timer;
    asio::steady_timer health_timer;
    const char* invalid = nullptr;
    std::optional<supervise_machine> machine;
    std::optional<running_process> proc;
    std::size_t generation = 0;       ///< runs started: tags each run's callbacks
    std::size_t phase_generation = 0; ///< phase timers armed: tags each one's callback
    asio::cancellation_signal probe_signal;
    asio::cancellation_signal health_signal;
    bool began = false;
    bool done = false;
    std::optional<run_handler> handler;
    std::optional<std::pair<error_code, supervision_outcome>> ended_with; ///< set by complete()
    std::size_t checks_running = 0;                                       ///< command health checks not yet completed
    /// The command's cancel_on token, seen between runs too (a backoff ends at once).
    std::optional<std::stop_callback<std::function<void()>>> cancel_on_cb;
    asio::any_completion_executor work;
    std::optional<error> invalid_options; ///< what begin() found wrong

    std::deque<supervisor_event> events;
    bool events_ended = false;
    std::optional<event_handler> event_waiter;
    std::atomic<std::size_t> dropped{0};

    mutable std::mutex mu;
    supervisor_status status_copy; ///< guarded by mu
};

} // namespace detail

supervisor::supervisor(command cmd, supervisor_options options)
    : supervisor(detail::background_executor(), std::move(cmd), std::move(options))
{
}

supervisor::supervisor(asio::any_io_executor ex, command cmd, supervisor_options options)
    : supervisor(std::move(ex), default_runner(), std::move(cmd), std::move(options))
{
}

supervisor::supervisor(asio::any_io_executor ex, process_runner& runner, command cmd, supervisor_options options)
    : state_(std::make_shared<detail::supervisor_impl>(std::move(ex), runner, std::move(cmd), std::move(options)))
{
}

supervisor::supervisor(supervisor&&) noexcept = default;

supervisor& supervisor::operator=(supervisor&& other) noexcept
{
    if (this != &other)
    {
        supervisor old(std::move(*this)); // stopped as it goes
        state_ = std::move(other.state_);
    }
    return *this;
}

supervisor::~supervisor()
{
    if (auto s = std::move(state_))
        asio::post(s->strand, [s] { s->stop_on_strand(true, {}); });
}

asio::any_io_executor supervisor::get_executor() const noexcept { return state_->ex; }

void supervisor::initiate_run(asio::any_completion_handler<void(error_code, supervision_outcome)> h)
{
    auto s = state_;
    asio::post(s->strand, [s, h = std::move(h)]() mutable { s->begin(std::move(h)); });
}

result<supervision_outcome> supervisor::run()
{
    auto s = state_;
    if (s->strand.running_in_this_thread())
    {
        diagnostics d;
        d.program = s->cmd.program();
        d.step = "supervise";
        d.detail = "blocking call on the thread that serves the supervisor";
        return error(errc::unsupported, std::move(d));
    }
    std::promise<std::pair<error_code, supervision_outcome>> p;
    auto f = p.get_future();
    initiate_run([&p](error_code ec, supervision_outcome o) { p.set_value({ec, std::move(o)}); });
    auto [ec, outcome] = f.get();
    if (!ec)
        return std::move(outcome);
    // Read on this thread after the handler ran: the strand wrote it before.
    if (s->invalid_options)
        return *s->invalid_options;
    if (outcome.last.error == ec && !outcome.last.diagnostics.empty())
        return error(ec, std::move(outcome.last.diagnostics));
    diagnostics d;
    d.program = s->cmd.program();
    d.step = "supervise";
    return error(ec, std::move(d));
}

supervisor_status supervisor::status() const
{
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->status_copy;
}

void supervisor::stop() { stop(state_->opts.stop_grace); }

void supervisor::stop(std::chrono::nanoseconds grace)
{
    auto s = state_;
    asio::post(s->strand, [s, grace] { s->stop_on_strand(false, grace); });
}

void supervisor_events::initiate_next(asio::any_completion_handler<void(error_code, supervisor_event)> h)
{
    auto s = state_;
    asio::post(s->strand, [s, h = std::move(h)]() mutable { s->next_event(std::move(h)); });
}

result<supervisor_event> supervisor_events::next()
{
    if (state_->strand.running_in_this_thread())
        return error(errc::unsupported, diagnostics{});
    std::promise<std::pair<error_code, supervisor_event>> p;
    auto f = p.get_future();
    initiate_next([&p](error_code ec, supervisor_event e) { p.set_value({ec, std::move(e)}); });
    auto [ec, e] = f.get();
    if (ec)
        return error(ec, diagnostics{});
    return std::move(e);
}

std::size_t supervisor_events::dropped() const { return state_->dropped.load(std::memory_order_relaxed); }

} // namespace processkit
} // namespace boost
