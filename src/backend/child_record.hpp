// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_CHILD_RECORD_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_CHILD_RECORD_HPP

#include <mutex>
#include <optional>

namespace boost {
namespace processkit {
namespace detail {

/// How a direct child ended, as waitid() reported it.
struct exit_status
{
    bool exited = false; ///< true: `value` is the exit code; false: the signal
    int value = 0;
    /// false: someone else reaped the child (ECHILD), so how it ended is
    /// not known; `exited` and `value` mean nothing then.
    bool known = true;
};

/// A direct child: its pid, its pidfd, and whether it was reaped. Shared by
/// the group and the handle that waits for it. Reaping goes through the pidfd
/// (waitid(P_PIDFD)), so it is pid-reuse safe and never touches other
/// children. An `owned` record is reaped by processkit; one launched through
/// the Process v2 protocol is reaped by its `basic_process` handle, and the
/// group only watches it.
struct child_record
{
    /// Notes `p` as held (note_held) until it is reaped.
    child_record(int p, int fd, bool own) noexcept;
    /// A child with no process behind it (backend/scripted_child.hpp): `fd`,
    /// its descriptor, becomes readable when `done` is closed, which
    /// finish_scripted() does. `p` is a made-up pid.
    struct scripted_tag
    {};
    child_record(scripted_tag, int p, int fd, int done) noexcept;
    child_record(const child_record&) = delete;
    child_record& operator=(const child_record&) = delete;
    /// An owned child that nobody reaped is killed and reaped; the pidfd is closed.
    ~child_record();

    /// Reaps the child if it has exited (or waits for it when `block`).
    /// Returns the status once known.
    std::optional<exit_status> try_reap(bool block = false);
    std::optional<exit_status> status() const;
    bool reaped() const;
    /// pidfd_send_signal: never hits a recycled pid. false if already gone.
    bool send_signal(int sig) const noexcept;
    /// Has the process exited (zombie or reaped)? Polls the pidfd.
    bool exited() const noexcept;
    /// A scripted child ends with `st` (the first call wins): its watch fires.
    bool finish_scripted(exit_status st) noexcept;
    bool scripted() const noexcept { return scripted_; }

    const int pid;
    const int pidfd;
    const bool owned;

private:
    mutable std::mutex mu_;
    std::optional<exit_status> status_;
    const bool scripted_ = false;
    int done_fd_ = -1; ///< scripted: the write end that finish_scripted() closes
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_CHILD_RECORD_HPP
