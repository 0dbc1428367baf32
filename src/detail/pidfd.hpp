// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_PIDFD_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_PIDFD_HPP

// Process file descriptors: the pid-reuse-safe way to signal and reap.

#include <cerrno>
#include <csignal>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

namespace boost {
namespace processkit {
namespace detail {

/// A pidfd for `pid`, or -1.
inline int pidfd_open(int pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// Sends `sig` to the process behind `pidfd`; 0 or -1 (errno set).
inline int pidfd_send(int pidfd, int sig) noexcept
{
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

/// waitid(P_PIDFD) retried on EINTR. `options`: WEXITED plus WNOHANG or not.
/// Returns 0 (info.si_pid == 0: not exited yet under WNOHANG) or -1 (errno).
inline int pidfd_wait(int pidfd, siginfo_t& info, int options) noexcept
{
    int r;
    do
        r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, options);
    while (r < 0 && errno == EINTR);
    return r;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_DETAIL_PIDFD_HPP
