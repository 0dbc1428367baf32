// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The child's side of joining a group, between clone and exec.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include <boost/processkit/detail/spawn.hpp>

#  include <cerrno>
#  include <termios.h>
#  include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {

// Async-signal-safe: only system calls on what the parent prepared.
int join_in_child(join_plan& plan) noexcept
{
    if (plan.procs_fd >= 0)
        return ::write(plan.procs_fd, "0", 1) == 1 ? 0 : errno;
    if (!(plan.pgid > 0 && ::setpgid(0, plan.pgid) == 0))
    {
        // No live group to join (or it just died): lead a new one.
        if (::setpgid(0, 0) != 0)
            return errno;
        plan.became_leader = 1;
    }
    // Every signal is blocked here, so tcsetpgrp from the background does
    // not stop this child with SIGTTOU.
    if (plan.tty_fd >= 0)
        ::tcsetpgrp(plan.tty_fd, ::getpgrp());
    return 0;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
