// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// POSIX signal numbers: the mapping behind processkit::signal, and signal
// names for messages.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include <boost/processkit/signal.hpp>

#  include "../backend/signals.hpp"

#  include <signal.h>
#  include <string.h>

namespace boost {
namespace processkit {
namespace {

constexpr detail::signal_pair named_signals[] = {
    {static_cast<int>(signal::hangup), SIGHUP}, {static_cast<int>(signal::interrupt), SIGINT},
    {static_cast<int>(signal::quit), SIGQUIT},  {static_cast<int>(signal::kill), SIGKILL},
    {static_cast<int>(signal::user1), SIGUSR1}, {static_cast<int>(signal::user2), SIGUSR2},
    {static_cast<int>(signal::term), SIGTERM},
};

} // namespace

signal other_signal(int native_number) noexcept
{
    return static_cast<signal>(detail::encode_signal(named_signals, native_number));
}

int native_signal(signal s) noexcept { return detail::decode_signal(named_signals, static_cast<int>(s)); }

namespace detail {

const char* native_signal_name(int native) noexcept
{
#  if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    // glibc 2.32+ knows every number it has, the real-time ones included.
    return ::sigabbrev_np(native);
#  else
    // Elsewhere the POSIX signals, by name: no portable lookup exists.
    switch (native)
    {
#    define BOOST_PROCESSKIT_SIGNAL_NAME(name)                                                                         \
    case SIG##name:                                                                                                    \
      return #name;
        BOOST_PROCESSKIT_SIGNAL_NAME(HUP)
        BOOST_PROCESSKIT_SIGNAL_NAME(INT)
        BOOST_PROCESSKIT_SIGNAL_NAME(QUIT)
        BOOST_PROCESSKIT_SIGNAL_NAME(ILL)
        BOOST_PROCESSKIT_SIGNAL_NAME(TRAP)
        BOOST_PROCESSKIT_SIGNAL_NAME(ABRT)
        BOOST_PROCESSKIT_SIGNAL_NAME(BUS)
        BOOST_PROCESSKIT_SIGNAL_NAME(FPE)
        BOOST_PROCESSKIT_SIGNAL_NAME(KILL)
        BOOST_PROCESSKIT_SIGNAL_NAME(USR1)
        BOOST_PROCESSKIT_SIGNAL_NAME(SEGV)
        BOOST_PROCESSKIT_SIGNAL_NAME(USR2)
        BOOST_PROCESSKIT_SIGNAL_NAME(PIPE)
        BOOST_PROCESSKIT_SIGNAL_NAME(ALRM)
        BOOST_PROCESSKIT_SIGNAL_NAME(TERM)
        BOOST_PROCESSKIT_SIGNAL_NAME(CHLD)
        BOOST_PROCESSKIT_SIGNAL_NAME(CONT)
        BOOST_PROCESSKIT_SIGNAL_NAME(STOP)
        BOOST_PROCESSKIT_SIGNAL_NAME(TSTP)
        BOOST_PROCESSKIT_SIGNAL_NAME(TTIN)
        BOOST_PROCESSKIT_SIGNAL_NAME(TTOU)
        BOOST_PROCESSKIT_SIGNAL_NAME(URG)
        BOOST_PROCESSKIT_SIGNAL_NAME(XCPU)
        BOOST_PROCESSKIT_SIGNAL_NAME(XFSZ)
        BOOST_PROCESSKIT_SIGNAL_NAME(VTALRM)
        BOOST_PROCESSKIT_SIGNAL_NAME(PROF)
        BOOST_PROCESSKIT_SIGNAL_NAME(SYS)
#    undef BOOST_PROCESSKIT_SIGNAL_NAME
    default: return nullptr;
    }
#  endif
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
