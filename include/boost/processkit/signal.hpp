// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SIGNAL_HPP
#define BOOST_PROCESSKIT_SIGNAL_HPP

#include <boost/processkit/config.hpp>

namespace boost {
namespace processkit {

/// A signal to send to a process or a whole group. Any other signal number
/// can be named with `other_signal(n)`.
///
/// @details The named values are fixed, the same on every platform: the
/// traditional numbers (those POSIX gives `kill -1`, `-2`, `-3`, `-9`,
/// `-15`; USR1 and USR2 as numbered on Linux x86 and ARM). They are not the
/// platform's numbers, which differ (SIGUSR1 is 30 on macOS): convert with
/// `native_signal` and `other_signal`. The value of a signal made by
/// `other_signal` is an unspecified encoding of the platform number,
/// meaningful only on the platform that made it.
enum class signal : int
{
    hangup = 1,    ///< SIGHUP
    interrupt = 2, ///< SIGINT
    quit = 3,      ///< SIGQUIT
    kill = 9,      ///< SIGKILL
    user1 = 10,    ///< SIGUSR1
    user2 = 12,    ///< SIGUSR2
    term = 15,     ///< SIGTERM
};

/// A signal by its platform number: a named value for the numbers named
/// above (`other_signal(SIGTERM) == signal::term`), else an encoding of
/// `native_number`. `native_signal(other_signal(n)) == n` for every `n`.
BOOST_PROCESSKIT_DECL signal other_signal(int native_number) noexcept;

/// The platform signal number of `s`.
BOOST_PROCESSKIT_DECL int native_signal(signal s) noexcept;

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SIGNAL_HPP
