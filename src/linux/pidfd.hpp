// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_LINUX_PIDFD_HPP
#define BOOST_PROCESSKIT_SRC_LINUX_PIDFD_HPP

// Process file descriptors: the pid-reuse-safe way to signal and reap.

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <poll.h>
#include <sys/ioctl.h>
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

/// Has the process behind `pidfd` exited (zombie or reaped)? Never blocks.
inline bool pidfd_exited(int pidfd) noexcept
{
    pollfd p{pidfd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
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

/// How the process behind `pidfd` ended, as a wait status (WIFEXITED, ...),
/// read from the pidfd itself (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux
/// 6.15): known even after someone else reaped it -- the kernel itself when
/// SIGCHLD is ignored, or a `waitpid(-1)` elsewhere.
enum class exit_info
{
    known,       ///< `wait_status` holds it
    not_yet,     ///< the kernel has not recorded an exit (yet)
    unsupported, ///< this kernel cannot tell
};
inline exit_info pidfd_exit_status(int pidfd, int& wait_status) noexcept
{
    struct info // struct pidfd_info up to exit_code (PIDFD_INFO_SIZE_VER0)
    {
        std::uint64_t mask, cgroupid;
        std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        std::int32_t exit_code;
    } i{};
    static_assert(sizeof(info) == 64, "PIDFD_INFO_SIZE_VER0");
    constexpr std::uint64_t info_exit = 1u << 3; // PIDFD_INFO_EXIT
    i.mask = info_exit;
    if (::ioctl(pidfd, _IOWR(0xFF, 11, info), &i) != 0) // PIDFD_GET_INFO
        return errno == ESRCH ? exit_info::not_yet : exit_info::unsupported;
    if (!(i.mask & info_exit))
        return exit_info::not_yet;
    wait_status = i.exit_code;
    return exit_info::known;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_LINUX_PIDFD_HPP
