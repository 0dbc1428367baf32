// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Launching the helper into a group through the Process v2 launcher protocol,
// with stdout on a pipe the test reads.

#ifndef BOOST_PROCESSKIT_TEST_PK_LAUNCH_HPP
#define BOOST_PROCESSKIT_TEST_PK_LAUNCH_HPP

#include "pk_test.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/processkit/posix/launcher.hpp>

#include <fcntl.h>
#include <poll.h>

namespace pk_test {

namespace bp2 = boost::process::v2;

struct launched
{
    bp2::process proc;
    int out = -1; // read end of the child's stdout
    ~launched()
    {
        if (out >= 0)
            ::close(out);
        // proc's destructor kills the child if still running and reaps it.
    }
};

/// Launch the helper with `args` into `g`, stdout on a pipe.
inline std::unique_ptr<launched> launch(boost::asio::io_context& ctx, const boost::processkit::process_group& g,
                                        std::vector<std::string> args)
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    boost::processkit::launcher l;
    boost::system::error_code ec;
    auto proc = l(ctx, ec, helper(), args, boost::processkit::in_group(g), bp2::process_stdio{{}, p[1], {}});
    ::close(p[1]);
    BOOST_REQUIRE_MESSAGE(!ec, "launch failed: " << ec.message());
    return std::unique_ptr<launched>(new launched{std::move(proc), p[0]});
}

/// Read from `fd` until `marker` appears (or EOF / 10 s); returns what was read.
inline std::string read_until(int fd, const std::string& marker)
{
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (text.find(marker) == std::string::npos && std::chrono::steady_clock::now() < deadline)
    {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

/// Read whatever arrives until `fd` stays quiet for `quiet_ms`.
inline std::string drain(int fd, int quiet_ms)
{
    std::string text;
    pollfd pfd{fd, POLLIN, 0};
    char buf[4096];
    while (::poll(&pfd, 1, quiet_ms) == 1)
    {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

} // namespace pk_test

#endif // BOOST_PROCESSKIT_TEST_PK_LAUNCH_HPP
