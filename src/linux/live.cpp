// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// running_process: a started child, its line streams, stdin, probes and waits.

#include "../backend/group_backend.hpp"
#include "../detail/live_state.hpp"
#include "../core/utf8.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <future>
#include <optional>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto poll_interval = std::chrono::milliseconds(20);

run_limits limits_of(const command& cmd)
{
    run_limits l;
    l.timeout = cmd.timeout_value();
    l.idle_timeout = cmd.idle_timeout_value();
    l.grace = cmd.grace_value();
    l.soft_signal = cmd.timeout_signal_value();
    return l;
}

// The executor behind `start(cmd)`: one I/O thread for the whole process.
// At exit the thread is stopped and joined and the work guard destroyed; the
// io_context itself stays (reachable through `ctx`), because a process
// started from it may be destroyed after this static and still post to it.
struct background_thread
{
    asio::io_context* ctx = new asio::io_context(1);
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{ctx->get_executor()};
    std::thread thread{[c = ctx] { c->run(); }};

    ~background_thread()
    {
        guard.reset();
        ctx->stop();
        if (thread.joinable() && thread.get_id() != std::this_thread::get_id())
            thread.join();
        else if (thread.joinable())
            thread.detach(); // exit() called from a handler on the I/O thread itself
    }
};

asio::any_io_executor background_executor()
{
    static background_thread bg;
    return bg.ctx->get_executor();
}

// Completes `h` on its associated executor, never inside the caller.
template <class Handler, class... Args>
void complete(live_state& s, Handler h, Args... args)
{
    auto slot = asio::get_associated_cancellation_slot(h);
    if (slot.is_connected())
        slot.clear();
    // Post through the strand, then hand over to the handler's own executor.
    asio::post(s.strand, [ex = s.ex, h = std::move(h), ... a = std::move(args)]() mutable {
        auto hex = asio::get_associated_executor(h, ex);
        asio::dispatch(hex, [h = std::move(h), ... a = std::move(a)]() mutable { std::move(h)(std::move(a)...); });
    });
}

error_code code(errc e) { return make_error_code(e); }

// Connects `h`'s cancellation slot, in the initiating thread, before the
// operation is posted: a cancellation emitted right after initiation then
// reaches the strand after the operation and finds it (by id) pending.
template <class Handler, class Fn>
void on_cancel(live_state& s, Handler& h, Fn fn)
{
    auto slot = asio::get_associated_cancellation_slot(h);
    if (!slot.is_connected())
        return;
    std::weak_ptr<live_state> weak = s.shared_from_this();
    slot.assign([weak, fn](asio::cancellation_type) mutable {
        if (auto sp = weak.lock())
            asio::post(sp->strand, [sp, fn]() mutable { fn(*sp); });
    });
}

// Why a probe fails once the child has ended without becoming ready.
error_code ended_before_ready(const live_state& s)
{
    return s.end_error == errc::cancelled ? s.end_error : code(errc::exited_before_ready);
}

bool streams_done(const live_state& s)
{
    for (auto& st : s.streams)
        if (st && !st->eof)
            return false;
    return true;
}

void check_probes_after_exit(live_state& s);
void perform(live_state& s, const run_actions& a);
void pump_stdin(live_state& s);
void deliver_events(live_state& s);
void deliver_finish(live_state& s);

// ---------------------------------------------------------------- output

void probe_line(live_state& s, std::string_view line)
{
    for (auto it = s.probes.begin(); it != s.probes.end();)
    {
        bool hit = it->line_pred ? it->line_pred(line) : line.find(it->text) != std::string_view::npos;
        if (!hit)
        {
            ++it;
            continue;
        }
        it->timer->cancel();
        complete(s, std::move(it->handler), error_code(), std::string(line));
        it = s.probes.erase(it);
    }
}

void probe_partial(live_state& s, std::string_view partial)
{
    if (partial.empty())
        return;
    for (auto it = s.probes.begin(); it != s.probes.end();)
    {
        if (it->line_pred || partial.find(it->text) == std::string_view::npos)
        {
            ++it;
            continue;
        }
        it->timer->cancel();
        complete(s, std::move(it->handler), error_code(), std::string(partial));
        it = s.probes.erase(it);
    }
}

using text_mode = live_state::stream::text_mode;

// Converts the unchecked bytes through the decoder and appends the result.
void decode_unchecked(live_state::stream& st)
{
    auto raw = st.queue.unchecked();
    if (raw.empty())
        return;
    st.decoded.clear();
    st.dec->feed(raw, st.decoded);
    st.queue.discard_unchecked();
    st.queue.append_text(st.decoded);
}

// Turns the bytes just read into text: in place while they are valid UTF-8
// (a sequence cut short waits for the next read), else through the decoder.
void check_text(live_state::stream& st)
{
    if (st.mode == text_mode::utf8)
    {
        auto raw = st.queue.unchecked();
        bool invalid = false;
        st.queue.accept(valid_utf8_prefix(raw.data(), raw.size(), invalid));
        if (!invalid)
            return;
        st.mode = text_mode::decode; // replaces the invalid bytes from here on
    }
    decode_unchecked(st);
}

// What sees every line before it is queued: the tee handler and the probes.
struct line_observer
{
    live_state& s;
    const line_handler& tee;
    void operator()(std::string_view line) const
    {
        if (tee)
            tee(line);
        if (!s.probes.empty())
            probe_line(s, line);
    }
};

// Calls fn(observer) with the cheapest observer that does the job.
template <class Fn>
void with_observer(live_state& s, int which, Fn fn)
{
    const line_handler& tee = which == 0 ? s.cmd.stdout_tee() : s.cmd.stderr_tee();
    if (tee || !s.probes.empty())
        fn(line_observer{s, tee});
    else
        fn(line_queue::ignore_lines{});
}

// Completes the stream's pending operations that can complete now.
void deliver_lines(live_state& s, int which)
{
    auto& st = *s.streams[which];
    if (st.waiter && !st.queue.empty())
    {
        auto h = std::move(*st.waiter);
        st.waiter.reset();
        complete(s, std::move(h), error_code(), st.queue.pop());
    }
    if (st.batch_waiter && !st.queue.empty())
    {
        auto h = std::move(*st.batch_waiter);
        st.batch_waiter.reset();
        complete(s, std::move(h), error_code(), st.queue.take_batch());
    }
    if (!st.eof || !st.queue.empty())
        return;
    error_code end = st.end ? st.end : code(errc::end_of_stream);
    if (st.waiter)
    {
        auto h = std::move(*st.waiter);
        st.waiter.reset();
        complete(s, std::move(h), end, std::string());
    }
    if (st.batch_waiter)
    {
        auto h = std::move(*st.batch_waiter);
        st.batch_waiter.reset();
        complete(s, std::move(h), end, line_batch());
    }
}

// Splits the accepted text into lines and hands them out.
void split_text(live_state& s, int which)
{
    auto& st = *s.streams[which];
    st.queue.set_seq(s.next_seq++);
    with_observer(s, which, [&](auto obs) { st.queue.split(obs); });
    if (st.queue.refused() && !st.end)
        st.end = code(errc::output_limit);
    if (!s.probes.empty())
        probe_partial(s, st.queue.partial());
}

void end_stream(live_state& s, int which)
{
    auto& st = *s.streams[which];
    if (st.eof)
        return;
    if (st.mode == text_mode::utf8 && !st.queue.unchecked().empty())
        st.mode = text_mode::decode; // a sequence cut short by the end: the decoder replaces it
    if (st.mode == text_mode::decode)
    {
        decode_unchecked(st);
        st.decoded.clear();
        st.dec->finish(st.decoded);
        st.queue.append_text(st.decoded);
    }
    split_text(s, which);
    with_observer(s, which, [&](auto obs) { st.queue.finish(obs); });
    if (st.queue.refused() && !st.end)
        st.end = code(errc::output_limit);
    st.eof = true;
    st.queue.release_unused();
    error_code ignored;
    st.pipe.close(ignored);
    deliver_lines(s, which);
    deliver_events(s);
    deliver_finish(s);
    check_probes_after_exit(s);
    perform(s, s.machine.on_stream_eof(static_cast<std::size_t>(which)));
}

void read_available(live_state& s, int which);

void wait_readable(live_state& s, int which)
{
    s.streams[which]->pipe.async_wait(asio::posix::descriptor_base::wait_read,
                                      [self = s.shared_from_this(), which](error_code ec) {
                                          if (ec)
                                              end_stream(*self, which);
                                          else
                                              read_available(*self, which);
                                      });
}

// Reads what the pipe holds, straight into the stream's queue: one read per
// turn, the next one posted behind whatever else waits on the strand -- a
// consumer's handler, typically asking for more. A consumer on this executor
// or on another thread thus keeps pace (each batch it takes may hold several
// reads' worth) instead of falling behind while reads run back to back.
void read_available(live_state& s, int which)
{
    auto& st = *s.streams[which];
    if (st.eof)
        return;
    auto [p, room] = st.queue.prepare();
    ssize_t n;
    do
        n = ::read(st.pipe.native_handle(), p, room);
    while (n < 0 && errno == EINTR);
    if (n > 0)
    {
        st.queue.commit(static_cast<std::size_t>(n));
        check_text(st);
        split_text(s, which);
        deliver_lines(s, which);
        deliver_events(s);
        perform(s, s.machine.on_output(static_cast<std::size_t>(which))); // re-arms the idle timer
        asio::post(s.strand, [self = s.shared_from_this(), which] { read_available(*self, which); });
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return wait_readable(s, which);
    end_stream(s, which); // EOF; a read error ends the stream alike
}

// ---------------------------------------------------------------- exit

void check_probes_after_exit(live_state& s)
{
    // A child that exited can no longer become ready -- but only once all of
    // its output has been seen, or a last "ready" line could be missed.
    if (!s.outcome || !streams_done(s))
        return;
    while (!s.probes.empty())
    {
        auto& p = s.probes.front();
        p.timer->cancel();
        complete(s, std::move(p.handler), ended_before_ready(s), std::string());
        s.probes.pop_front();
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
    f.diagnostics = finished_diagnostics(s.cmd, f.outcome, f.duration, f.std_err, s.machine.idle_expired());
    if (s.end_error == errc::status_unavailable)
    {
        f.diagnostics.exit_code.reset();
        f.diagnostics.signal.reset();
        f.diagnostics.detail = status_lost_detail;
    }
    return f;
}

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

void fail_writes(live_state& s)
{
    while (!s.writes.empty())
    {
        complete(s, std::move(s.writes.front().handler), code(errc::stdin_closed));
        s.writes.pop_front();
    }
    s.write_off = 0;
    error_code ignored;
    s.in.close(ignored);
}

void wait_exit(live_state& s);

void on_exit(live_state& s)
{
    auto st = s.record->try_reap();
    if (!st)
        return wait_exit(s);
    s.duration = clock::now() - s.start_time;
    // The machine tears the tree down; the waiters hear of the exit once
    // nothing the run left behind survives (its `exited`: on_tree_dead).
    perform(s, s.machine.on_exit(0, child_exit{st->exited, st->value, st->known}));
}

void wait_exit(live_state& s)
{
    s.exit_watch.async_wait(asio::posix::descriptor_base::wait_read,
                            [self = s.shared_from_this()](error_code) { on_exit(*self); });
}

// The machine's `exited`: the exit is final, the exit waiters are answered.
// (finish, the probes and the event stream also wait for the streams' EOF.)
void on_tree_dead(live_state& s)
{
    const child_exit st = s.machine.status(0).value();
    const bool timed_out = s.machine.timed_out();
    if (timed_out)
        s.outcome = run_outcome::timed_out();
    else if (st.exited)
        s.outcome = run_outcome::exited(st.value);
    else
        s.outcome = run_outcome::signalled(st.value);
    // cancel_fired: also a stop whose cancellation the exit overtook on the strand.
    if (s.machine.cancelled() || (!timed_out && s.cancel_fired))
        s.end_error = code(errc::cancelled);
    else if (!timed_out && !st.known)
        s.end_error = code(errc::status_unavailable); // `outcome` is unknown: never shown as a value
    s.stop_cb.reset();
    if (s.exit_watch.is_open())
        s.exit_watch.release(); // the record owns the pidfd
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
    async_kill_tree(s.strand, s.group->state(),
                    [self = s.shared_from_this()](error e) { perform(*self, self->machine.on_teardown_done(!e)); });
}

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
    // Not kill_all(): the strand never blocks; the exit comes back as an event.
    if (a.signal)
        (void)s.group->signal(*a.signal);
    if (a.close_stdin && !s.writing)
        fail_writes(s); // a write under way fails on its own (EPIPE, or the wait's error)
    if (a.start_teardown)
        start_teardown(s);
    if (a.exited)
        on_tree_dead(s);
}

// A cancel_on stop, from any thread: the machine hears of it on the strand
// (registered only after on_started(), so it never reads as a cancel before
// the spawn). cancel_fired is set at once.
void watch_stop_token(live_state& s)
{
    if (!s.cmd.cancel_token().stop_possible())
        return;
    std::weak_ptr<live_state> weak = s.shared_from_this();
    s.stop_cb.emplace(s.cmd.cancel_token(), std::function<void()>([weak] {
                          auto sp = weak.lock();
                          if (!sp)
                              return;
                          sp->cancel_fired = true;
                          asio::post(sp->strand, [sp] { perform(*sp, sp->machine.on_cancel(cancel_grade::terminal)); });
                      }));
}

// The run's first turn on the strand.
void begin(live_state& s)
{
    wait_exit(s);
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

// ---------------------------------------------------------------- events

void deliver_events(live_state& s)
{
    if (!s.event_waiter)
        return;
    int pick = -1;
    for (int i = 0; i < 2; ++i)
        if (s.streams[i] && !s.streams[i]->queue.empty() &&
            (pick < 0 || s.streams[i]->queue.front_seq() < s.streams[pick]->queue.front_seq()))
            pick = i;
    output_event ev;
    if (pick >= 0)
    {
        ev.type = pick == 0 ? output_event::kind::stdout_line : output_event::kind::stderr_line;
        ev.line = s.streams[pick]->queue.pop();
    }
    else if (s.outcome && streams_done(s) && !s.exit_event_sent && !s.end_error)
    {
        ev.type = output_event::kind::exited;
        ev.outcome = s.outcome;
        s.exit_event_sent = true;
    }
    else if (s.outcome && streams_done(s))
    {
        // After the exit event the stream has ended; a run that ended in an
        // error (cancelled) reports that error instead of an exit event.
        auto h = std::move(*s.event_waiter);
        s.event_waiter.reset();
        complete(s, std::move(h), s.end_error ? s.end_error : code(errc::end_of_stream), output_event{});
        return;
    }
    else
        return;
    auto h = std::move(*s.event_waiter);
    s.event_waiter.reset();
    complete(s, std::move(h), error_code(), std::move(ev));
}

// ---------------------------------------------------------------- stdin

void pump_stdin(live_state& s)
{
    while (!s.writes.empty())
    {
        auto& w = s.writes.front();
        while (s.write_off < w.data.size())
        {
            ssize_t n =
                write_no_sigpipe(s.in.native_handle(), w.data.data() + s.write_off, w.data.size() - s.write_off);
            if (n > 0)
            {
                s.write_off += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            {
                s.writing = true;
                s.in.async_wait(asio::posix::descriptor_base::wait_write, [self = s.shared_from_this()](error_code ec) {
                    self->writing = false;
                    if (ec)
                        fail_writes(*self);
                    else
                        pump_stdin(*self);
                });
                return;
            }
            return fail_writes(s); // EPIPE: the child closed its stdin or exited
        }
        complete(s, std::move(w.handler), error_code());
        s.writes.pop_front();
        s.write_off = 0;
    }
    if (s.stdin_eof_requested)
    {
        error_code ignored;
        s.in.close(ignored);
    }
}

// ---------------------------------------------------------------- blocking bridge

// The diagnostics for a failed operation: how the run ended, if it has.
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

template <class T, class Initiate>
result<T> block(live_state& s, Initiate initiate)
{
    if (s.strand.running_in_this_thread())
    {
        diagnostics d;
        d.program = s.cmd.program();
        d.detail = "blocking call on the thread that serves the process";
        return error(errc::unsupported, std::move(d));
    }
    using value_t = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::promise<std::pair<error_code, std::optional<value_t>>> p;
    auto f = p.get_future();
    if constexpr (std::is_void_v<T>)
        initiate([&p](error_code ec) { p.set_value({ec, std::nullopt}); });
    else
        initiate([&p](error_code ec, T v) { p.set_value({ec, std::optional<value_t>(std::move(v))}); });
    auto [ec, v] = f.get();
    if (ec)
        return error(ec, describe(s, ec));
    if constexpr (std::is_void_v<T>)
        return outcome_v2::success();
    else
        return std::move(*v);
}

// Completes the probe `id`, if still pending, with `ec`.
void end_probe(live_state& s, std::uint64_t id, error_code ec)
{
    for (auto p = s.probes.begin(); p != s.probes.end(); ++p)
        if (p->id == id)
        {
            p->timer->cancel();
            complete(s, std::move(p->handler), ec, std::string());
            s.probes.erase(p);
            return;
        }
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

void start_deadline(live_state& s, std::list<live_state::output_probe>::iterator it, std::chrono::nanoseconds d)
{
    it->timer->expires_after(d);
    std::weak_ptr<live_state> weak = s.shared_from_this();
    it->timer->async_wait([weak, id = it->id](error_code ec) {
        if (auto sp = weak.lock(); sp && !ec)
            end_probe(*sp, id, code(errc::not_ready));
    });
}

} // namespace

live_state::stream::stream(asio::any_io_executor e, const command& c)
    : pipe(e), queue(c.buffer_policy(), c.line_end_value())
{
}

live_state::live_state(asio::any_io_executor e, command c)
    : ex(e), strand(asio::make_strand(e)), cmd(std::move(c)), exit_watch(strand),
      machine(limits_of(cmd), 1, 2), timers{asio::steady_timer(strand), asio::steady_timer(strand),
                                            asio::steady_timer(strand)},
      in(strand)
{
}

live_state::~live_state()
{
    if (exit_watch.is_open())
        exit_watch.release(); // the record owns the pidfd
}

} // namespace detail

// ---------------------------------------------------------------- start

result<running_process> start(asio::any_io_executor ex, command cmd)
{
    return start(std::move(ex), std::move(cmd), {});
}

result<running_process> start(asio::any_io_executor ex, command cmd, const process_group_options& options)
{
    return detail::start_live(std::move(ex), std::move(cmd), options, nullptr);
}

result<running_process> detail::start_live(asio::any_io_executor ex, command cmd, const process_group_options& options,
                                           const std::shared_ptr<group_backend>& parent)
{
    if (cmd.cancel_token().stop_requested())
    {
        diagnostics d;
        d.program = cmd.program();
        return error(errc::cancelled, std::move(d));
    }
    std::array<std::optional<detail::decoder>, 2> decoders;
    const std::string* encodings[2] = {&cmd.stdout_encoding_value(), &cmd.stderr_encoding_value()};
    for (int i = 0; i < 2; ++i)
    {
        // "" validates UTF-8: lines are always valid UTF-8 text.
        auto d = detail::decoder::create(*encodings[i]);
        if (!d)
            return d.error();
        decoders[i].emplace(std::move(d).value());
    }
    auto started = detail::spawn_run(cmd, options, parent, true);
    if (!started)
        return started.error();
    auto s = std::make_shared<detail::live_state>(ex, std::move(cmd));
    auto& child = started.value();
    s->group.emplace(std::move(child.group));
    s->record = std::move(child.record);
    s->pid = s->record->pid;
    detail::unique_fd* ends[2] = {&child.stdout_r, &child.stderr_r};
    for (int i = 0; i < 2; ++i)
        if (*ends[i])
        {
            s->streams[i] = std::make_unique<detail::live_state::stream>(s->strand, s->cmd);
            auto& st = *s->streams[i];
            st.pipe.assign(ends[i]->release()); // non-blocking: read(2) until EAGAIN, then wait
            st.dec = std::move(decoders[i]);
            if (detail::is_utf8_name(i == 0 ? s->cmd.stdout_encoding_value() : s->cmd.stderr_encoding_value()))
                st.mode = detail::live_state::stream::text_mode::utf8;
        }
    if (child.stdin_w)
    {
        s->in.assign(child.stdin_w.release());
        if (s->cmd.stdin_config().type() == stdin_source::kind::bytes)
            s->writes.push_back({s->cmd.stdin_config().data(), [](error_code) {}});
    }
    s->exit_watch.assign(s->record->pidfd);
    asio::post(s->strand, [s] { detail::begin(*s); });
    return running_process(std::move(s));
}

result<running_process> start(command cmd) { return start(detail::background_executor(), std::move(cmd)); }

// ---------------------------------------------------------------- running_process

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

void running_process::initiate_wait_for_line(std::function<bool(std::string_view)> pred,
                                             std::chrono::nanoseconds deadline,
                                             asio::any_completion_handler<void(error_code, std::string)> h)
{
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h,
                      [id](detail::live_state& st) { detail::end_probe(st, id, make_error_code(errc::cancelled)); });
    asio::post(s->strand, [s, id, pred = std::move(pred), deadline, h = std::move(h)]() mutable {
        for (auto& st : s->streams)
            if (st)
            {
                std::optional<std::string> hit;
                st->queue.for_each([&](std::string_view line) {
                    if (!hit && pred(line))
                        hit.emplace(line);
                });
                if (hit)
                    return detail::complete(*s, std::move(h), error_code(), std::move(*hit));
            }
        // (Asio 1.81's any_completion_handler move-assignment re-wraps the
        // handler endlessly: construct in place, never assign.)
        s->probes.push_back(detail::live_state::output_probe{
            id, std::move(pred), std::string(), std::make_shared<asio::steady_timer>(s->strand), std::move(h)});
        detail::start_deadline(*s, std::prev(s->probes.end()), deadline);
        detail::check_probes_after_exit(*s);
    });
}

result<std::string> running_process::wait_for_line(std::function<bool(std::string_view)> pred,
                                                   std::chrono::nanoseconds deadline)
{
    return detail::block<std::string>(*state_,
                                      [&](auto h) { initiate_wait_for_line(std::move(pred), deadline, std::move(h)); });
}

void running_process::initiate_wait_for_output(std::string text, std::chrono::nanoseconds deadline,
                                               asio::any_completion_handler<void(error_code)> h)
{
    // A text probe is a line probe that also looks at the unterminated tail.
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h,
                      [id](detail::live_state& st) { detail::end_probe(st, id, make_error_code(errc::cancelled)); });
    asio::post(s->strand, [s, id, text = std::move(text), deadline, h = std::move(h)]() mutable {
        auto found = [&](std::string_view hay) { return hay.find(text) != std::string_view::npos; };
        for (auto& st : s->streams)
            if (st)
            {
                bool hit = found(st->queue.partial());
                st->queue.for_each([&](std::string_view line) { hit = hit || found(line); });
                if (hit)
                    return detail::complete(*s, std::move(h), error_code());
            }
        s->probes.push_back(detail::live_state::output_probe{
            id,
            {},
            std::move(text),
            std::make_shared<asio::steady_timer>(s->strand),
            [h = std::move(h)](error_code ec, std::string) mutable { std::move(h)(ec); }});
        detail::start_deadline(*s, std::prev(s->probes.end()), deadline);
        detail::check_probes_after_exit(*s);
    });
}

result<void> running_process::wait_for_output(std::string text, std::chrono::nanoseconds deadline)
{
    return detail::block<void>(*state_,
                               [&](auto h) { initiate_wait_for_output(std::move(text), deadline, std::move(h)); });
}

void running_process::initiate_wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline,
                                        asio::any_completion_handler<void(error_code)> h)
{
    struct poller : std::enable_shared_from_this<poller>
    {
        std::shared_ptr<detail::live_state> s;
        std::function<bool()> pred;
        std::chrono::steady_clock::time_point deadline;
        asio::steady_timer timer;
        std::optional<asio::any_completion_handler<void(error_code)>> h;
        poller(std::shared_ptr<detail::live_state> st, std::function<bool()> p, std::chrono::steady_clock::time_point d,
               asio::any_completion_handler<void(error_code)> handler)
            : s(std::move(st)), pred(std::move(p)), deadline(d), timer(s->strand), h(std::move(handler))
        {
        }
        void finish(error_code ec)
        {
            if (!h)
                return;
            auto handler = std::move(*h);
            h.reset();
            detail::complete(*s, std::move(handler), ec);
        }
        void tick()
        {
            if (!h)
                return;
            if (pred())
                return finish({});
            if (s->outcome)
                return finish(detail::ended_before_ready(*s));
            auto now = std::chrono::steady_clock::now();
            if (now >= deadline)
                return finish(make_error_code(errc::not_ready));
            timer.expires_after(std::min<std::chrono::steady_clock::duration>(detail::poll_interval, deadline - now));
            timer.async_wait([self = shared_from_this()](error_code ec) {
                if (!ec)
                    self->tick();
            });
        }
    };
    auto p =
        std::make_shared<poller>(state_, std::move(pred), std::chrono::steady_clock::now() + deadline, std::move(h));
    auto weak = std::weak_ptr<poller>(p);
    detail::on_cancel(*state_, *p->h, [weak](detail::live_state&) {
        if (auto sp = weak.lock())
        {
            sp->timer.cancel();
            sp->finish(make_error_code(errc::cancelled));
        }
    });
    asio::post(state_->strand, [p] { p->tick(); });
}

result<void> running_process::wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline)
{
    return detail::block<void>(*state_, [&](auto h) { initiate_wait_for(std::move(pred), deadline, std::move(h)); });
}

result<void> running_process::wait_for_port(unsigned short port, std::chrono::nanoseconds deadline)
{
    return wait_for(make_port_check(port), deadline);
}

result<void> running_process::wait_for_path(std::string path, std::chrono::nanoseconds deadline)
{
    return wait_for(make_path_check(std::move(path)), deadline);
}

std::function<bool()> running_process::make_port_check(unsigned short port)
{
    return [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        return ok;
    };
}

std::function<bool()> running_process::make_path_check(std::string path)
{
    return [path = std::move(path)] {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
    };
}

// ---------------------------------------------------------------- streams

void line_stream::initiate_next(asio::any_completion_handler<void(error_code, std::string)> h)
{
    auto s = state_;
    int which = which_;
    detail::on_cancel(*s, h, [which](detail::live_state& sv) {
        auto& st = sv.streams[which];
        if (!st || !st->waiter)
            return;
        auto handler = std::move(*st->waiter);
        st->waiter.reset();
        detail::complete(sv, std::move(handler), make_error_code(errc::cancelled), std::string());
    });
    // Dispatched: called from a handler already on the strand (a consumer
    // asking for more), the wait is registered before the next read.
    // Completion is always posted (detail::complete), never inline.
    asio::dispatch(s->strand, [s, which, h = std::move(h)]() mutable {
        auto& stp = s->streams[which];
        if (!stp)
            return detail::complete(*s, std::move(h), make_error_code(errc::end_of_stream), std::string());
        // (Asio 1.81's any_completion_handler move-assignment re-wraps the
        // handler endlessly: construct in place, never assign.)
        stp->waiter.emplace(std::move(h));
        detail::deliver_lines(*s, which);
    });
}

result<std::string> line_stream::next()
{
    return detail::block<std::string>(*state_, [this](auto h) { initiate_next(std::move(h)); });
}

void line_stream::initiate_next_batch(asio::any_completion_handler<void(error_code, line_batch)> h)
{
    auto s = state_;
    int which = which_;
    detail::on_cancel(*s, h, [which](detail::live_state& sv) {
        auto& st = sv.streams[which];
        if (!st || !st->batch_waiter)
            return;
        auto handler = std::move(*st->batch_waiter);
        st->batch_waiter.reset();
        detail::complete(sv, std::move(handler), make_error_code(errc::cancelled), line_batch());
    });
    asio::dispatch(s->strand, [s, which, h = std::move(h)]() mutable { // (as in initiate_next)
        auto& stp = s->streams[which];
        if (!stp)
            return detail::complete(*s, std::move(h), make_error_code(errc::end_of_stream), line_batch());
        stp->batch_waiter.emplace(std::move(h));
        detail::deliver_lines(*s, which);
    });
}

result<line_batch> line_stream::next_batch()
{
    return detail::block<line_batch>(*state_, [this](auto h) { initiate_next_batch(std::move(h)); });
}

bool line_stream::truncated() const
{
    auto& st = state_->streams[which_];
    return st && st->queue.truncated();
}

void event_stream::initiate_next(asio::any_completion_handler<void(error_code, output_event)> h)
{
    auto s = state_;
    detail::on_cancel(*s, h, [](detail::live_state& sv) {
        if (!sv.event_waiter)
            return;
        auto handler = std::move(*sv.event_waiter);
        sv.event_waiter.reset();
        detail::complete(sv, std::move(handler), make_error_code(errc::cancelled), output_event{});
    });
    asio::post(s->strand, [s, h = std::move(h)]() mutable {
        s->event_waiter.emplace(std::move(h));
        detail::deliver_events(*s);
    });
}

result<output_event> event_stream::next()
{
    return detail::block<output_event>(*state_, [this](auto h) { initiate_next(std::move(h)); });
}

void stdin_writer::initiate_write(std::string data, asio::any_completion_handler<void(error_code)> h)
{
    auto s = state_;
    asio::post(s->strand, [s, data = std::move(data), h = std::move(h)]() mutable {
        if (!s->in.is_open() || s->stdin_eof_requested)
            return detail::complete(*s, std::move(h), make_error_code(errc::stdin_closed));
        s->writes.push_back({std::move(data), std::move(h)});
        if (!s->writing)
            detail::pump_stdin(*s);
    });
}

result<void> stdin_writer::write(std::string data)
{
    return detail::block<void>(*state_, [&](auto h) { initiate_write(std::move(data), std::move(h)); });
}

void stdin_writer::close()
{
    auto s = state_;
    asio::post(s->strand, [s] {
        s->stdin_eof_requested = true;
        if (!s->writing)
            detail::pump_stdin(*s);
    });
}

// ---------------------------------------------------------------- wait_any / wait_all

namespace detail {

void initiate_wait_any(std::vector<running_process*> ps,
                       asio::any_completion_handler<void(error_code, std::size_t, run_outcome)> h)
{
    struct shared
    {
        std::mutex mu;
        std::optional<asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>> h;
        std::vector<asio::cancellation_signal> cancels;
    };
    if (ps.empty())
    {
        asio::post(background_executor(), [h = std::move(h)]() mutable {
            auto hex = asio::get_associated_executor(h, background_executor());
            asio::dispatch(hex, [h = std::move(h)]() mutable {
                std::move(h)(make_error_code(errc::invalid_argument), 0, run_outcome::exited(0));
            });
        });
        return;
    }
    auto sh = std::make_shared<shared>();
    sh->h.emplace(std::move(h));
    sh->cancels = std::vector<asio::cancellation_signal>(ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i)
        ps[i]->async_wait(asio::bind_cancellation_slot(sh->cancels[i].slot(), [sh, i](error_code ec, run_outcome o) {
            std::optional<asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>> h;
            {
                std::lock_guard<std::mutex> lk(sh->mu);
                if (!sh->h) // another process won; this wait was cancelled for it
                    return;
                h = std::move(sh->h);
                sh->h.reset();
            }
            for (std::size_t j = 0; j < sh->cancels.size(); ++j)
                if (j != i)
                    sh->cancels[j].emit(asio::cancellation_type::terminal);
            std::move (*h)(ec, i, o);
        }));
}

void initiate_wait_all(std::vector<running_process*> ps,
                       asio::any_completion_handler<void(error_code, std::vector<run_outcome>)> h)
{
    struct shared
    {
        std::mutex mu;
        std::size_t left;
        error_code first_error;
        std::vector<run_outcome> outcomes;
        std::optional<asio::any_completion_handler<void(error_code, std::vector<run_outcome>)>> h;
    };
    auto sh = std::make_shared<shared>();
    sh->left = ps.size();
    sh->outcomes.assign(ps.size(), run_outcome::exited(0));
    sh->h.emplace(std::move(h));
    if (ps.empty())
    {
        asio::post(background_executor(), [sh] {
            auto hex = asio::get_associated_executor(*sh->h, background_executor());
            asio::dispatch(hex, [sh] { std::move (*sh->h)(error_code(), std::vector<run_outcome>{}); });
        });
        return;
    }
    for (std::size_t i = 0; i < ps.size(); ++i)
        ps[i]->async_wait([sh, i](error_code ec, run_outcome o) {
            {
                std::lock_guard<std::mutex> lk(sh->mu);
                sh->outcomes[i] = o;
                if (ec && !sh->first_error)
                    sh->first_error = ec;
                if (--sh->left != 0)
                    return;
            }
            std::move (*sh->h)(sh->first_error, std::move(sh->outcomes));
        });
}

} // namespace detail

result<std::pair<std::size_t, run_outcome>> wait_any(std::vector<running_process*> ps)
{
    std::promise<std::tuple<error_code, std::size_t, run_outcome>> p;
    auto f = p.get_future();
    detail::initiate_wait_any(std::move(ps), [&p](error_code ec, std::size_t i, run_outcome o) {
        p.set_value({ec, i, o});
    });
    auto [ec, i, o] = f.get();
    if (ec)
        return error(ec);
    return std::make_pair(i, o);
}

result<std::vector<run_outcome>> wait_all(std::vector<running_process*> ps)
{
    std::promise<std::pair<error_code, std::vector<run_outcome>>> p;
    auto f = p.get_future();
    detail::initiate_wait_all(std::move(ps), [&p](error_code ec, std::vector<run_outcome> o) {
        p.set_value({ec, std::move(o)});
    });
    auto [ec, o] = f.get();
    if (ec)
        return error(ec);
    return o;
}

} // namespace processkit
} // namespace boost
