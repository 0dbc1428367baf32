// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_RETRY_HPP
#define BOOST_PROCESSKIT_SRC_OPS_RETRY_HPP

// The retry op (src/ops/retry.cpp): attempts of one capture, with the
// backoff machine (src/core/backoff.hpp) deciding whether and when the next
// one runs.

#include <boost/processkit/process_result.hpp>
#include <boost/processkit/retry.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <stop_token>

namespace boost {
namespace processkit {
namespace detail {

using capture_handler = asio::any_completion_handler<void(error_code, process_result)>;
/// Runs one attempt, completing `h` (whose cancellation slot reaches it).
using attempt_fn = std::function<void(capture_handler h)>;

/// Runs `attempt` until it succeeds, `policy` gives up, or the run is
/// cancelled (through `handler`'s cancellation slot, or `cancel_on`), then
/// completes `handler` with the last attempt's (error, result), `attempts`
/// set in the result and its diagnostics. An invalid policy completes with
/// errc::invalid_argument and runs nothing. `handler` never runs inside
/// this call.
///
/// @details An attempt succeeds with no error and `result.success()`. A
/// failed one is retried when `policy.retry_if` (else `default_retryable`)
/// says so and attempts are left, after the backoff's delay
/// (src/core/backoff.hpp); otherwise its (error, result) is the answer. An
/// attempt that completed with errc::cancelled is never retried, whatever
/// the predicate says. The predicate runs on this op's strand and must not
/// throw.
///
/// An invalid policy: errc::invalid_argument, diagnostics step "validate
/// command" and a detail naming the field, `program` empty (the caller knows
/// it), attempts 0.
///
/// Cancellation (`handler`'s slot; every type):
///  - during an attempt, the same type is emitted on the attempt's own slot
///    (a cancellation_signal of this op), so the attempt decides what it
///    means (see the verbs: terminal kills, partial signals then kills,
///    total is refused once spawned). Whatever the attempt then reports is
///    final except a retry: a cancellation the attempt did not honour still
///    stops the retries, and the run completes with errc::cancelled instead;
///  - during a backoff sleep, it ends the sleep at once: errc::cancelled,
///    the last attempt's result kept, its diagnostics' step naming the
///    backoff;
///  - before the first attempt was launched (emitted before the executor
///    ran, say): errc::cancelled, nothing runs, attempts 0.
/// A stop of `cancel_on` is seen by each attempt itself (the attempt's
/// command carries the token); during a backoff sleep it ends the sleep as
/// above, and once stopped no further attempt starts.
///
/// Thread safety: the slot and `cancel_on` may be triggered from any
/// thread; both reach the op on its strand. `attempt` is called on that
/// strand, its handler is bound to it.
void async_retry(asio::any_io_executor ex, const retry_policy& policy, std::stop_token cancel_on, attempt_fn attempt,
                 capture_handler handler);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_RETRY_HPP
