// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_RUN_LIMITS_HPP
#define BOOST_PROCESSKIT_SRC_OPS_RUN_LIMITS_HPP

// What the ops tell the run machine about a command and a cancellation.

#include <boost/processkit/command.hpp>
#include <boost/processkit/pipeline.hpp>

#include "../core/run_machine.hpp"

#include <boost/asio/cancellation_type.hpp>

#include <optional>

namespace boost {
namespace processkit {
namespace detail {

/// What the machine enforces for a command, or for a pipeline's chain (the
/// same observers on both).
template <class Run>
run_limits limits_of(const Run& run)
{
    run_limits l;
    l.timeout = run.timeout_value();
    l.idle_timeout = run.idle_timeout_value();
    l.grace = run.grace_value();
    l.soft_signal = run.timeout_signal_value();
    return l;
}

/// The strongest grade the emitter allows: terminal, else partial, else total.
inline std::optional<cancel_grade> grade_of(asio::cancellation_type t)
{
    using ct = asio::cancellation_type;
    if ((t & ct::terminal) != ct::none)
        return cancel_grade::terminal;
    if ((t & ct::partial) != ct::none)
        return cancel_grade::partial;
    if ((t & ct::total) != ct::none)
        return cancel_grade::total;
    return std::nullopt;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_RUN_LIMITS_HPP
