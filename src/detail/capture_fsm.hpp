// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_CAPTURE_FSM_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_CAPTURE_FSM_HPP

#include <csignal>

namespace boost {
namespace processkit {
namespace detail {

/// The decisions of a run-to-completion, without any I/O: events go in, the
/// actions to take come out. The capture operation only performs them.
///
/// A run completes once the direct child has exited and every captured
/// stream has reached EOF. When the child exits, the rest of its tree is
/// killed, so descendants holding the pipes cannot delay completion.
class capture_fsm
{
public:
    struct action
    {
        int kill_signal = 0;    ///< signal the whole tree with this (0: nothing)
        bool arm_grace = false; ///< start the grace timer (SIGKILL when it fires)
        bool cancel_timer = false;
        bool complete = false;  ///< deliver the result now
    };

    capture_fsm(int open_streams, bool has_grace, int timeout_signal) noexcept
        : open_(open_streams), has_grace_(has_grace), timeout_signal_(timeout_signal)
    {
    }

    action on_timeout() noexcept
    {
        if (exited_ || cancelled_ || timed_out_)
            return {};
        timed_out_ = true;
        action a;
        a.kill_signal = has_grace_ ? timeout_signal_ : SIGKILL;
        a.arm_grace = has_grace_;
        return a;
    }

    action on_grace_expired() noexcept
    {
        if (exited_)
            return {};
        action a;
        a.kill_signal = SIGKILL;
        return a;
    }

    action on_cancel() noexcept
    {
        if (cancelled_ || completed_)
            return {};
        cancelled_ = true;
        action a;
        a.kill_signal = SIGKILL;
        a.cancel_timer = true;
        return finish(a);
    }

    action on_exit() noexcept
    {
        if (exited_)
            return {};
        exited_ = true;
        action a;
        a.kill_signal = SIGKILL; // whatever the child left behind
        a.cancel_timer = true;
        return finish(a);
    }

    action on_stream_closed() noexcept
    {
        if (open_ > 0)
            --open_;
        return finish({});
    }

    bool timed_out() const noexcept { return timed_out_; }
    bool cancelled() const noexcept { return cancelled_; }
    bool exited() const noexcept { return exited_; }
    bool completed() const noexcept { return completed_; }

private:
    action finish(action a) noexcept
    {
        if (!completed_ && exited_ && open_ == 0)
        {
            completed_ = true;
            a.complete = true;
        }
        return a;
    }

    int open_;
    bool has_grace_;
    int timeout_signal_;
    bool exited_ = false;
    bool timed_out_ = false;
    bool cancelled_ = false;
    bool completed_ = false;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_DETAIL_CAPTURE_FSM_HPP
