// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// A live process's run: its start, the run machine's actions (timers,
// signals, teardown), its exit, and the members of running_process that
// wait for the end (wait, finish) or end it (kill, signal, the destructor).

#include "blocking.hpp"
#include "child_source.hpp"
#include "live_ops.hpp"
#include "run_limits.hpp"
#include "../backend/group_backend.hpp"
#include "../core/pipefail.hpp"
#include "../core/plan.hpp"

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;

void on_exit(live_state& s, std::size_t child, exit_status st)
{
    const bool previous_writing =
        previous_stage_writing(child < s.last_index() ? s.upstream[child]->upstream_r : s.last_upstream_r);
    s.duration = clock::now() - s.start_time;
    // The machine tears the tree down; the waiters hear of the exit once
    // nothing the run left behind survives (its `exited`: on_tree_dead).
    perform(s, s.machine.on_exit(child, child_exit{st.exited, st.value, st.known}, previous_writing));
}

// A pipeline's stages as they ended; returns the child the outcome speaks
// for: the rightmost checked stage that failed (pipefail), else the last.
std::size_t judge_pipeline(live_state& s)
{
    const std::size_t last = s.last_index();
    if (last == 0)
        return 0;
    s.failed_stage = detail::judge_stages(
        s.machine, [&s, last](std::size_t i) -> const command& { return i < last ? s.upstream[i]->cmd : s.cmd; },
        s.stage_results);
    return s.failed_stage.value_or(last);
}

// The machine's `exited`: the exit is final, the exit waiters are answered.
// (finish, the probes and the event stream also wait for the streams' EOF.)
void on_tree_dead(live_state& s)
{
    const child_exit st = s.machine.status(judge_pipeline(s)).value();
    const bool timed_out = s.machine.timed_out();
    s.outcome = timed_out ? run_outcome::timed_out() : outcome_of(st);
    // cancel_fired: also a stop whose cancellation the exit overtook on the strand.
    if (s.machine.cancelled() || (!timed_out && s.cancel_fired))
        s.end_error = code(errc::cancelled);
    else if (!timed_out && !st.known)
        s.end_error = code(errc::status_unavailable); // `outcome` is unknown: never shown as a value
    s.stop_cb.reset();
    s.exit.stop();
    for (auto& up : s.upstream)
        up->exit.stop();
    while (!s.exit_waiters.empty())
    {
        complete(s, std::move(s.exit_waiters.front().second), s.end_error, *s.outcome);
        s.exit_waiters.pop_front();
    }
    deliver_events(s);
    deliver_finish(s);
    check_probes_after_exit(s);
}

// ---------------------------------------------------------------- the run machine

void arm_timer(live_state& s, timer_kind k, const timer_arm& arm)
{
    auto& timer = s.timers[static_cast<std::size_t>(k)];
    timer.expires_after(arm.after);
    timer.async_wait([self = s.shared_from_this(), k, gen = arm.generation](error_code ec) {
        if (!ec)
            perform(*self, self->machine.on_timer(k, gen));
    });
}

// Kills what the child left behind and waits, off the strand's critical
// path, until the tree is empty (the handler may run inline).
void start_teardown(live_state& s)
{
    async_kill_tree(s.strand, access::state(*s.group),
                    [self = s.shared_from_this()](error e) { perform(*self, self->machine.on_teardown_done(!e)); });
}

} // namespace

// Performs what the machine decided, in its order. (`complete` needs nothing
// here: the consumers of the end wait for the streams themselves.)
void perform(live_state& s, const run_actions& a)
{
    for (std::size_t k = 0; k < timer_kind_count; ++k)
    {
        if (a.disarm[k])
            s.timers[k].cancel();
        if (a.arm[k])
            arm_timer(s, static_cast<timer_kind>(k), *a.arm[k]);
    }
    // Not kill_all(): the strand never blocks; the exits come back as events.
    if (a.kill_child)
        (void)s.upstream[*a.kill_child]->group->signal(processkit::signal::kill);
    if (a.signal)
        (void)s.group->signal(*a.signal);
    if (a.close_stdin && !s.writing)
        fail_writes(s); // a write under way fails on its own (EPIPE, or the wait's error)
    if (a.start_teardown)
        start_teardown(s);
    if (a.exited)
        on_tree_dead(s);
}

namespace {

// A cancel_on stop, from any thread: the machine hears of it on the strand
// (registered only after on_started(), so it never reads as a cancel before
// the spawn). cancel_fired is set at once.
void watch_stop_token(live_state& s)
{
    if (!s.cancel.stop_possible())
        return;
    std::weak_ptr<live_state> weak = s.shared_from_this();
    s.stop_cb.emplace(s.cancel, std::function<void()>([weak] {
                          auto sp = weak.lock();
                          if (!sp)
                              return;
                          sp->cancel_fired = true;
                          asio::post(sp->strand, [sp] { perform(*sp, sp->machine.on_cancel(cancel_grade::terminal)); });
                      }));
}

// A pipeline stage's stderr, before the last: kept whole for finished::stages.
void read_upstream_err(live_state& s, std::size_t j)
{
    auto& up = *s.upstream[j];
    up.err.async_wait([self = s.shared_from_this(), j](error_code ec) {
        auto& s = *self;
        auto& up = *s.upstream[j];
        for (;;)
        {
            auto [p, room] = up.err_sink->prepare();
            std::size_t got = 0;
            auto st = ec ? read_status::eof : up.err.read_some(p, room, got);
            if (st == read_status::would_block)
                return read_upstream_err(s, j);
            if (st == read_status::eof)
            {
                up.err_sink->finish();
                up.err.close();
                up.err_eof = true;
                deliver_events(s);
                deliver_finish(s);
                check_probes_after_exit(s);
                return perform(s, s.machine.on_stream_eof(2 + j));
            }
            up.err_sink->commit(got);
            perform(s, s.machine.on_output(2 + j));
        }
    });
}

// The run's first turn on the strand.
void begin(live_state& s)
{
    for (std::size_t j = 0; j < s.upstream.size(); ++j)
    {
        s.upstream[j]->exit.async_wait([self = s.shared_from_this(), j](exit_status st) { on_exit(*self, j, st); });
        if (s.upstream[j]->err.is_open())
            read_upstream_err(s, j);
        else
        {
            s.upstream[j]->err_eof = true;
            perform(s, s.machine.on_stream_eof(2 + j));
        }
    }
    s.exit.async_wait(
        [self = s.shared_from_this(), last = s.last_index()](exit_status st) { on_exit(*self, last, st); });
    for (std::size_t i = 0; i < s.streams.size(); ++i)
        if (s.streams[i])
            wait_readable(s, static_cast<int>(i));
        else
            perform(s, s.machine.on_stream_eof(i)); // not captured: no action, before the start
    if (!s.writes.empty())
        pump_stdin(s);
    perform(s, s.machine.on_started());
    watch_stop_token(s);
}

// Completes the waiter `id` of `list`, if still pending, with `cancelled`.
template <class List, class Value>
void cancel_waiter(live_state& s, List& list, std::uint64_t id, Value empty)
{
    for (auto it = list.begin(); it != list.end(); ++it)
        if (it->first == id)
        {
            auto h = std::move(it->second);
            list.erase(it);
            complete(s, std::move(h), code(errc::cancelled), std::move(empty));
            return;
        }
}

finished make_finished(live_state& s)
{
    finished f;
    f.outcome = *s.outcome;
    f.duration = s.duration;
    if (auto& err = s.streams[1])
    {
        f.std_err_truncated = err->queue.truncated();
        while (!err->queue.empty())
        {
            if (!f.std_err.empty())
                f.std_err += '\n';
            f.std_err += err->queue.pop();
        }
    }
    f.stages = s.stage_results;
    f.failed_stage = s.failed_stage;
    for (std::size_t j = 0; j < s.upstream.size(); ++j)
    {
        f.stages[j].std_err = s.upstream[j]->err_sink->take_bytes();
        f.stages[j].std_err_truncated = s.upstream[j]->err_sink->truncated();
    }
    if (!f.stages.empty())
    {
        f.stages.back().std_err = f.std_err;
        f.stages.back().std_err_truncated = f.std_err_truncated;
    }
    const bool upstream_failed = s.failed_stage && *s.failed_stage < s.last_index();
    if (upstream_failed) // the outcome is that stage's: so are the stderr and the program
    {
        f.std_err = f.stages[*s.failed_stage].std_err;
        f.std_err_truncated = f.stages[*s.failed_stage].std_err_truncated;
    }
    const command& shown = upstream_failed ? s.upstream[*s.failed_stage]->cmd : s.cmd;
    f.diagnostics = finished_diagnostics(shown.program(), f.outcome, f.duration, f.std_err, s.machine.idle_expired(),
                                         s.limits.timeout);
    if (!f.stages.empty() && (s.failed_stage || s.machine.cause() != end_cause::none))
        f.diagnostics.stage = s.failed_stage.value_or(s.last_index());
    if (s.end_error == errc::status_unavailable)
    {
        f.diagnostics.exit_code.reset();
        f.diagnostics.signal.reset();
        f.diagnostics.detail = status_lost_detail;
    }
    return f;
}

} // namespace

void deliver_finish(live_state& s)
{
    if (!s.outcome || !streams_done(s) || s.finish_waiters.empty())
        return;
    auto f = make_finished(s);
    while (!s.finish_waiters.empty())
    {
        complete(s, std::move(s.finish_waiters.front().second), s.end_error, f);
        s.finish_waiters.pop_front();
    }
}

live_state::live_state(asio::any_io_executor e, command c, const run_limits& l, std::stop_token stop,
                       std::size_t stages)
    : ex(e), strand(asio::make_strand(e)), cmd(std::move(c)), limits(l), cancel(std::move(stop)), exit(strand),
      machine(limits, stages, 2 + (stages - 1)), timers{asio::steady_timer(strand), asio::steady_timer(strand),
                                                        asio::steady_timer(strand)},
      in(strand)
{
}

live_state::~live_state() = default;

namespace {

error cancelled_before_start(const std::string& program)
{
    diagnostics d;
    d.program = program;
    return error(errc::cancelled, std::move(d));
}

// The sinks of the streams (every encoding is checked before anything is
// spawned; "" validates UTF-8: lines are always valid UTF-8 text).
result<std::array<std::unique_ptr<stream_sink>, 2>> line_sinks(const command& cmd)
{
    std::array<std::unique_ptr<stream_sink>, 2> sinks;
    for (int i = 0; i < 2; ++i)
    {
        auto sink = stream_sink::create(cmd, i, stream_sink::product::lines);
        if (!sink)
            return sink.error();
        sinks[i] = std::move(sink).value();
    }
    return sinks;
}

// The last (or only) child's streams and the first one's stdin, then the run's first turn.
result<running_process> go_live(std::shared_ptr<live_state> s, std::array<std::unique_ptr<stream_sink>, 2> sinks,
                                started_child& last, unique_fd stdin_w, const stdin_source& in)
{
    s->record = std::move(last.record);
    s->pid = s->record->pid;
    unique_fd* ends[2] = {&last.stdout_r, &last.stderr_r};
    for (int i = 0; i < 2; ++i)
        if (*ends[i])
            s->streams[i] = std::make_unique<live_state::stream>(s->strand, std::move(*ends[i]), std::move(sinks[i]));
    if (stdin_w)
    {
        s->in.assign(std::move(stdin_w));
        if (in.type() == stdin_source::kind::bytes)
            s->writes.push_back({in.data(), [](error_code) {}});
    }
    s->exit.watch(s->record);
    asio::post(s->strand, [s] { begin(*s); });
    return access::make<running_process>(std::move(s));
}

} // namespace

result<running_process> start_live(asio::any_io_executor ex, command cmd, const child_source& source)
{
    if (cmd.cancel_token().stop_requested())
        return cancelled_before_start(cmd.program());
    auto limits = limits_of(cmd);
    auto stop = cmd.cancel_token();
    auto s = std::make_shared<live_state>(ex, std::move(cmd), limits, std::move(stop));
    auto sinks = line_sinks(s->cmd);
    if (!sinks)
        return sinks.error();
    auto started = source(s->cmd, true);
    if (!started)
        return started.error();
    auto& child = started.value();
    s->group.emplace(std::move(child.group));
    const stdin_source in = s->cmd.stdin_config();
    return go_live(std::move(s), std::move(sinks).value(), child, std::move(child.stdin_w), in);
}

result<running_process> start_live(asio::any_io_executor ex, pipeline p, const run_source& source)
{
    if (error e = check_pipeline(p))
        return e;
    if (p.cancel_token().stop_requested())
        return cancelled_before_start(p.stages().front().program());
    const std::size_t n = p.stages().size();
    auto s = std::make_shared<live_state>(ex, p.stages().back(), limits_of(p), p.cancel_token(), n);
    auto sinks = line_sinks(s->cmd);
    if (!sinks)
        return sinks.error();
    for (std::size_t j = 0; j + 1 < n; ++j)
    {
        auto up = std::make_unique<live_state::upstream_stage>(s->strand, p.stages()[j]);
        auto sink = stream_sink::create(up->cmd, 1, stream_sink::product::bytes);
        if (!sink)
        {
            error e = sink.error();
            e.diag().stage = j;
            return e;
        }
        up->err_sink = std::move(sink).value();
        s->upstream.push_back(std::move(up));
    }
    auto started = source(p.stages(), true);
    if (!started)
        return started.error();
    auto& run = started.value();
    s->group.emplace(std::move(*run.chain));
    for (std::size_t j = 0; j + 1 < n; ++j)
    {
        auto& up = *s->upstream[j];
        up.group.emplace(std::move(run.stages[j].group));
        up.record = std::move(run.stages[j].record);
        up.upstream_r = std::move(run.stages[j].upstream_r);
        up.exit.watch(up.record);
        if (run.stages[j].stderr_r)
            up.err.assign(std::move(run.stages[j].stderr_r));
    }
    s->last_group.emplace(std::move(run.stages.back().group));
    s->last_upstream_r = std::move(run.stages.back().upstream_r);
    unique_fd stdin_w = std::move(run.stages.front().stdin_w);
    return go_live(std::move(s), std::move(sinks).value(), run.stages.back(), std::move(stdin_w),
                   p.stages().front().stdin_config());
}

diagnostics describe(live_state& s, error_code ec)
{
    std::promise<diagnostics> p;
    asio::post(s.strand, [&] {
        diagnostics d;
        d.program = s.cmd.program();
        d.elapsed = clock::now() - s.start_time;
        if (s.outcome && s.end_error != errc::status_unavailable)
        {
            d.exit_code = s.outcome->code();
            d.signal = s.outcome->signal();
        }
        if (ec == errc::not_ready)
            d.detail = "the probe's deadline passed";
        p.set_value(std::move(d));
    });
    return p.get_future().get();
}

} // namespace detail

running_process::running_process(std::shared_ptr<detail::live_state> s) noexcept : state_(std::move(s)) {}
running_process::running_process(running_process&&) noexcept = default;

running_process& running_process::operator=(running_process&& other) noexcept
{
    if (this != &other)
    {
        if (state_)
            (void)state_->group->kill_all();
        state_ = std::move(other.state_);
    }
    return *this;
}

running_process::~running_process()
{
    if (state_)
        (void)state_->group->kill_all(); // the exit watch then reaps and wraps up
}

int running_process::pid() const noexcept { return state_->pid; }

std::chrono::nanoseconds running_process::elapsed() const noexcept
{
    return std::chrono::steady_clock::now() - state_->start_time;
}

asio::any_io_executor running_process::get_executor() const noexcept { return state_->ex; }

result<void> running_process::kill() { return state_->group->kill_all(); }

result<void> running_process::signal(processkit::signal s) { return state_->group->signal(s); }

void running_process::initiate_wait(asio::any_completion_handler<void(error_code, run_outcome)> h)
{
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h, [id](detail::live_state& st) {
        detail::cancel_waiter(st, st.exit_waiters, id, run_outcome::exited(0));
    });
    asio::post(s->strand, [s, id, h = std::move(h)]() mutable {
        if (s->outcome)
            return detail::complete(*s, std::move(h), s->end_error, *s->outcome);
        s->exit_waiters.emplace_back(id, std::move(h));
    });
}

result<run_outcome> running_process::wait()
{
    return detail::block<run_outcome>(*state_, [this](auto h) { initiate_wait(std::move(h)); });
}

void running_process::initiate_finish(asio::any_completion_handler<void(error_code, finished)> h)
{
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h,
                      [id](detail::live_state& st) { detail::cancel_waiter(st, st.finish_waiters, id, finished{}); });
    asio::post(s->strand, [s, id, h = std::move(h)]() mutable {
        s->finish_waiters.emplace_back(id, std::move(h));
        detail::deliver_finish(*s);
    });
}

result<finished> running_process::finish()
{
    return detail::block<finished>(*state_, [this](auto h) { initiate_finish(std::move(h)); });
}

} // namespace processkit
} // namespace boost
