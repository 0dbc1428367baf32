// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The POSIX side of src/backend/pipes.hpp: writes that never raise SIGPIPE,
// and pipes that grow where the system lets them (Linux F_SETPIPE_SZ).

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include "../backend/pipes.hpp"

#  include <cerrno>
#  include <csignal>
#  include <fcntl.h>
#  include <poll.h>
#  include <pthread.h>
#  include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {

bool pipe_has_writer(int read_end) noexcept
{
    pollfd p{read_end, POLLIN, 0};
    int r;
    do
        r = ::poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return !(r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)));
}

ssize_t write_no_sigpipe(int fd, const char* data, std::size_t len) noexcept
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t n = ::write(fd, data, len);
    int e = errno;
    if (n < 0 && e == EPIPE && !was_pending)
    {
        timespec zero{0, 0};
        ::sigtimedwait(&pipe_set, nullptr, &zero); // consume the SIGPIPE we caused
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = e;
    return n;
}

void pipe_reader::grow_buffer([[maybe_unused]] std::size_t bytes) noexcept
{
#  ifdef F_SETPIPE_SZ
    (void)::fcntl(d_.native_handle(), F_SETPIPE_SZ, static_cast<int>(bytes));
#  endif
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
