// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_LIVE_OPS_HPP
#define BOOST_PROCESSKIT_SRC_OPS_LIVE_OPS_HPP

// What the files of a live process share (live_start.cpp: the run and its
// end; live_streams.cpp: output, events, stdin; probes.cpp: readiness):
// completion, cancellation hooks, and the steps one file calls in another.
// Everything runs on the live_state's strand.

#include "live_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <memory>

namespace boost {
namespace processkit {
namespace detail {

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

inline error_code code(errc e) { return make_error_code(e); }

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
inline error_code ended_before_ready(const live_state& s)
{
    return s.end_error == errc::cancelled ? s.end_error : code(errc::exited_before_ready);
}

inline bool streams_done(const live_state& s)
{
    for (auto& st : s.streams)
        if (st && !st->eof)
            return false;
    for (auto& up : s.upstream)
        if (!up->err_eof)
            return false;
    return true;
}

// live_start.cpp
void perform(live_state& s, const run_actions& a);
void deliver_finish(live_state& s);
// live_streams.cpp
void wait_readable(live_state& s, int which);
void deliver_lines(live_state& s, int which);
void deliver_events(live_state& s);
void pump_stdin(live_state& s);
void fail_writes(live_state& s);
// probes.cpp
void check_probes_after_exit(live_state& s);
/// The probes' look at a stream's text (stream_sink's text_hook).
text_hook probe_hook(live_state& s);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_LIVE_OPS_HPP
