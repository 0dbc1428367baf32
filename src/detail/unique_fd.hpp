// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_UNIQUE_FD_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_UNIQUE_FD_HPP

#include <unistd.h>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

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

#endif // BOOST_PROCESSKIT_SRC_DETAIL_UNIQUE_FD_HPP
