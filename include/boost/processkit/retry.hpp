// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_RETRY_HPP
#define BOOST_PROCESSKIT_RETRY_HPP

#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace boost {
namespace processkit {

/// How a run is attempted again when an attempt fails: a bounded number of
/// attempts, exponential backoff between them with a per-delay cap, and
/// optional full jitter. Set on a `command` or a `pipeline` with `retry()`;
/// every verb honours it.
///
/// @details The delay before attempt k+1 (k = 1, 2, ...) is
/// `min(max_delay, initial_delay * multiplier^(k-1))`; with `full_jitter`
/// it is drawn uniformly from [0, that]. A policy with `max_attempts` 0, a
/// `multiplier` below 1 or a negative delay is `errc::invalid_argument`
/// (nothing is spawned).
///
/// The result of the last attempt is the run's result; `process_result::attempts`
/// and `diagnostics::attempts` say how many ran.
///
/// Cancellation: a cancellation during an attempt reaches that attempt (see
/// the verbs); one during a backoff sleep ends the sleep at once and the run
/// completes with `errc::cancelled` (as does a stop of the command's
/// `cancel_on` token). A cancelled attempt is never retried.
struct retry_policy
{
    /// Attempts in all, the first included (1: no retry).
    std::size_t max_attempts = 3;
    std::chrono::nanoseconds initial_delay = std::chrono::milliseconds(100);
    double multiplier = 2.0;
    /// The cap on each single delay.
    std::chrono::nanoseconds max_delay = std::chrono::seconds(10);
    /// Each delay uniform in [0, computed delay] ("full jitter").
    bool full_jitter = false;
    /// The jitter's seed (for reproducible tests); unset: a random one.
    std::optional<std::uint64_t> seed;
    /// Whether an attempt that ended with (`ec`, `result`) is retried; unset:
    /// `default_retryable`. `ec` is the capture's error (the run could not
    /// happen, was cancelled, or hit an output limit); without one, `result`
    /// says how the child ended.
    std::function<bool(const error_code& ec, const process_result& result)> retry_if;
};

/// The default retry predicate: an attempt that did not succeed (a rejected
/// exit code, a signal, a timeout, a spawn failure such as exhausted pids)
/// is retried; a cancellation, a program that was not found or cannot be
/// executed (exec refused it: no permission, not an executable format, a
/// directory, a bad path), a bad working directory, invalid arguments, an
/// unsupported request, a closed group and an output limit are not (trying
/// again would change nothing).
BOOST_PROCESSKIT_DECL bool default_retryable(const error_code& ec, const process_result& result);

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_RETRY_HPP
