// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// child_record on Linux: a direct child behind its pidfd.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_LINUX

#  include "../backend/child_record.hpp"
#  include "../backend/proc_scan.hpp"
#  include "pidfd.hpp"

#  include <chrono>
#  include <thread>

namespace boost {
namespace processkit {
namespace detail {

child_record::child_record(int p, int fd, bool own) noexcept : pid(p), pidfd(fd), owned(own) { note_held(p); }

child_record::child_record(scripted_tag, int p, int fd, int done) noexcept
    : pid(p), pidfd(fd), owned(true), scripted_(true), done_fd_(done)
{
}

child_record::~child_record()
{
    if (scripted())
    {
        finish_scripted(exit_status{false, SIGKILL});
        ::close(pidfd);
        return;
    }
    if (owned && !reaped())
    {
        send_signal(SIGKILL);
        try_reap(true);
    }
    if (!reaped())
        note_released(pid);
    ::close(pidfd);
}

std::optional<exit_status> child_record::try_reap(bool block)
{
    std::lock_guard<std::mutex> lk(mu_);
    if (status_ || scripted())
        return status_; // a scripted child is "reaped" when its script ends it (never blocks)
    siginfo_t info{};
    if (pidfd_wait(pidfd, info, WEXITED | (block ? 0 : WNOHANG)) < 0)
    {
        if (errno != ECHILD)
            return status_;
        // Someone else reaped it: a Process v2 handle, a waitpid(-1)
        // elsewhere, or the kernel itself (SIGCHLD ignored). The pidfd still
        // knows how it ended where the kernel keeps that (Linux 6.15); the
        // record of an exit just taken may lag a moment behind the reaping.
        int ws = 0;
        exit_info got = pidfd_exit_status(pidfd, ws);
        for (int i = 0; got == exit_info::not_yet && i < 100; ++i)
        {
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            got = pidfd_exit_status(pidfd, ws);
        }
        if (got == exit_info::known)
            status_ = WIFEXITED(ws) ? exit_status{true, WEXITSTATUS(ws)} : exit_status{false, WTERMSIG(ws)};
        else
            status_ = exit_status{false, 0, false};
        note_released(pid);
        return status_;
    }
    if (info.si_pid == 0)
        return std::nullopt; // still running
    status_ = exit_status{info.si_code == CLD_EXITED, info.si_status};
    note_released(pid);
    return status_;
}

std::optional<exit_status> child_record::status() const
{
    std::lock_guard<std::mutex> lk(mu_);
    return status_;
}

bool child_record::reaped() const { return status().has_value(); }

bool child_record::send_signal(int sig) const noexcept { return !scripted() && pidfd_send(pidfd, sig) == 0; }

bool child_record::exited() const noexcept { return scripted() ? reaped() : pidfd_exited(pidfd); }

bool child_record::finish_scripted(exit_status st) noexcept
{
    std::lock_guard<std::mutex> lk(mu_);
    if (!scripted() || status_)
        return false;
    status_ = st;
    ::close(done_fd_);
    done_fd_ = -1;
    return true;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_LINUX
