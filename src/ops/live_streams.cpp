// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// A live process's output and input: the read loop of each stream (into its
// stream_sink), the line and event streams handed out, and stdin.

#include "blocking.hpp"
#include "live_ops.hpp"

namespace boost {
namespace processkit {
namespace detail {

namespace {

void read_available(live_state& s, int which);

// The stream ended: the sink turns the rest into the last line, and
// whatever waited for the end hears of it.
void end_stream(live_state& s, int which)
{
    auto& st = *s.streams[which];
    if (st.eof)
        return;
    st.sink->finish(probe_hook(s), s.next_seq++);
    if (st.sink->limit_hit() && !st.end)
        st.end = code(errc::output_limit);
    st.eof = true;
    st.sink->release_unused();
    st.pipe.close();
    deliver_lines(s, which);
    deliver_events(s);
    deliver_finish(s);
    check_probes_after_exit(s);
    perform(s, s.machine.on_stream_eof(static_cast<std::size_t>(which)));
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
    auto [p, room] = st.sink->prepare();
    std::size_t got = 0;
    switch (st.pipe.read_some(p, room, got))
    {
    case read_status::would_block: return wait_readable(s, which);
    case read_status::eof: return end_stream(s, which); // EOF; a read error ends the stream alike
    case read_status::data: break;
    }
    st.sink->commit(got, probe_hook(s), s.next_seq++);
    if (st.sink->limit_hit() && !st.end)
        st.end = code(errc::output_limit);
    deliver_lines(s, which);
    deliver_events(s);
    perform(s, s.machine.on_output(static_cast<std::size_t>(which))); // re-arms the idle timer
    asio::post(s.strand, [self = s.shared_from_this(), which] { read_available(*self, which); });
}

} // namespace

void wait_readable(live_state& s, int which)
{
    s.streams[which]->pipe.async_wait([self = s.shared_from_this(), which](error_code ec) {
        if (ec)
            end_stream(*self, which);
        else
            read_available(*self, which);
    });
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

void fail_writes(live_state& s)
{
    while (!s.writes.empty())
    {
        complete(s, std::move(s.writes.front().handler), code(errc::stdin_closed));
        s.writes.pop_front();
    }
    s.write_off = 0;
    s.in.close();
}

void pump_stdin(live_state& s)
{
    while (!s.writes.empty())
    {
        auto& w = s.writes.front();
        while (s.write_off < w.data.size())
        {
            std::size_t n = 0;
            auto st = s.in.write_some(w.data.data() + s.write_off, w.data.size() - s.write_off, n);
            s.write_off += n;
            if (st == write_status::would_block)
            {
                s.writing = true;
                s.in.async_wait([self = s.shared_from_this()](error_code ec) {
                    self->writing = false;
                    if (ec)
                        fail_writes(*self);
                    else
                        pump_stdin(*self);
                });
                return;
            }
            if (st == write_status::closed)
                return fail_writes(s); // EPIPE: the child closed its stdin or exited
        }
        complete(s, std::move(w.handler), error_code());
        s.writes.pop_front();
        s.write_off = 0;
    }
    if (s.stdin_eof_requested)
        s.in.close();
}

} // namespace detail

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

} // namespace processkit
} // namespace boost
