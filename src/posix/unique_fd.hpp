// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_POSIX_UNIQUE_FD_HPP
#define BOOST_PROCESSKIT_SRC_POSIX_UNIQUE_FD_HPP

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

/// `fd` moved above the standard streams: a descriptor the library keeps
/// must never be 0, 1 or 2, which a parent started with closed stdio hands
/// out first -- the child's stdio plan would collide with it (dup2 onto
/// itself keeps O_CLOEXEC), and the user's own printf would write into it.
/// Returns the new descriptor (close-on-exec) or -1 with errno set; `fd`
/// is closed either way when it was moved.
inline int above_stdio(int fd) noexcept
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    ::close(fd);
    errno = e;
    return moved;
}

/// An owned file descriptor.
struct unique_fd
{
    int fd = -1;
    unique_fd() = default;
    explicit unique_fd(int f) noexcept : fd(f) {}
    unique_fd(unique_fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept
    {
        reset(std::exchange(o.fd, -1));
        return *this;
    }
    ~unique_fd() { reset(); }
    void reset(int f = -1) noexcept
    {
        if (fd >= 0)
            ::close(fd);
        fd = f;
    }
    int release() noexcept { return std::exchange(fd, -1); }
    explicit operator bool() const noexcept { return fd >= 0; }
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_POSIX_UNIQUE_FD_HPP
