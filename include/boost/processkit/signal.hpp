// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SIGNAL_HPP
#define BOOST_PROCESSKIT_SIGNAL_HPP

#include <boost/processkit/config.hpp>

#include <signal.h>

namespace boost {
namespace processkit {

/// A signal to send to a process or a whole group. Any other signal number
/// can be named with `other_signal(n)`.
enum class signal : int
{
    hangup = SIGHUP,
    interrupt = SIGINT,
    quit = SIGQUIT,
    kill = SIGKILL,
    user1 = SIGUSR1,
    user2 = SIGUSR2,
    term = SIGTERM,
};

/// A signal by its number, for the ones not named above.
constexpr signal other_signal(int number) noexcept { return static_cast<signal>(number); }

/// The platform signal number.
constexpr int native_signal(signal s) noexcept { return static_cast<int>(s); }

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SIGNAL_HPP
