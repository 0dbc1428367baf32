// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_SIGNALS_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_SIGNALS_HPP

// Signal numbers behind portable code: each backend (src/posix/signals.cpp
// today) defines native_signal_name, and other_signal / native_signal of
// <boost/processkit/signal.hpp> on top of the encoding below. Includes no OS
// header, so src/error.cpp and the unit tests can use it anywhere.

#include <span>

namespace boost {
namespace processkit {
namespace detail {

/// The platform's abbreviation of signal `native` without "SIG" ("KILL",
/// "TERM"), or nullptr when the platform has no name for it.
const char* native_signal_name(int native) noexcept;

/// A named `processkit::signal`: its portable value and the platform's number.
struct signal_pair
{
    int value;
    int native;
};

// The encoding is a bijection of int, so native_signal(other_signal(n)) == n
// for every n on every platform. A named signal's native number maps to its
// portable value; a number that is neither a native nor a portable number
// of a named signal maps to itself. That leaves the numbers that are some
// named signal's portable value but not its native number (10 on macOS,
// where SIGUSR1 is 30 and 10 is SIGBUS): such a number takes the native
// number of the named signal whose value it is (30), free as an encoding
// since 30 means signal::user1. If that number is again some named value,
// follow on: the chain ends, as natives and values are each distinct.

/// The value `other_signal(native)` holds, per `named`.
constexpr int encode_signal(std::span<const signal_pair> named, int native) noexcept
{
    for (const signal_pair& p : named)
        if (p.native == native)
            return p.value;
    int x = native;
    for (bool moved = true; moved;)
    {
        moved = false;
        for (const signal_pair& p : named)
            if (p.value == x)
            {
                x = p.native;
                moved = true;
                break;
            }
    }
    return x;
}

/// The native number of a signal holding `value`, per `named`: the inverse of `encode_signal`.
constexpr int decode_signal(std::span<const signal_pair> named, int value) noexcept
{
    for (const signal_pair& p : named)
        if (p.value == value)
            return p.native;
    int x = value;
    for (bool moved = true; moved;)
    {
        moved = false;
        for (const signal_pair& p : named)
            if (p.native == x)
            {
                x = p.value;
                moved = true;
                break;
            }
    }
    return x;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_SIGNALS_HPP
