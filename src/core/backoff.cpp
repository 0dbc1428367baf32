// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "backoff.hpp"

#include <boost/assert.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace boost {
namespace processkit {
namespace detail {

std::uint64_t splitmix64::uniform(std::uint64_t bound) noexcept
{
    if (bound == std::numeric_limits<std::uint64_t>::max())
        return next();
    const std::uint64_t n = bound + 1;
    // 2^64 mod n: the draws below it would make the low values likelier.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;)
    {
        const std::uint64_t r = next();
        if (r >= threshold)
            return r % n;
    }
}

std::uint64_t random_seed() noexcept
{
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t s = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                      (counter.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ULL);
    try
    {
        std::random_device rd;
        s ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
    catch (...)
    {
        // No entropy source: the clock and the counter are enough to decorrelate jitter.
    }
    return splitmix64(s).next();
}

const char* backoff_problem(const backoff_params& p) noexcept
{
    if (p.max_attempts && *p.max_attempts == 0)
        return "max_attempts is 0 (it counts the first attempt: at least 1)";
    if (p.initial_delay.count() < 0)
        return "initial_delay is negative";
    if (!std::isfinite(p.multiplier) || !(p.multiplier >= 1.0))
        return "multiplier is below 1 or not a finite number";
    if (p.max_delay.count() < 0)
        return "max_delay is negative";
    return nullptr;
}

backoff_params backoff_params_of(const retry_policy& policy, std::uint64_t fallback_seed) noexcept
{
    backoff_params p;
    p.max_attempts = policy.max_attempts;
    p.initial_delay = policy.initial_delay;
    p.multiplier = policy.multiplier;
    p.max_delay = policy.max_delay;
    p.full_jitter = policy.full_jitter;
    p.seed = policy.seed.value_or(fallback_seed);
    return p;
}

error validate_retry_policy(const retry_policy& policy)
{
    const char* problem = backoff_problem(backoff_params_of(policy, 0));
    if (!problem)
        return {};
    diagnostics d;
    d.step = "validate command";
    d.detail = std::string("retry policy: ") + problem;
    return error(errc::invalid_argument, std::move(d));
}

backoff::backoff(const backoff_params& params) noexcept : params_(params), rng_(params.seed)
{
    BOOST_ASSERT(backoff_problem(params) == nullptr);
    reset();
}

void backoff::reset() noexcept
{
    attempts_ = 1;
    raw_next_ = static_cast<double>(params_.initial_delay.count());
    capped_ = params_.initial_delay >= params_.max_delay;
}

backoff_decision backoff::next() noexcept
{
    if (exhausted())
        return backoff_decision::give_up();
    ++attempts_;

    // raw_next_ < cap here unless capped_, so the conversion cannot
    // overflow: the largest double below 2^63 is an int64 value.
    const double cap = static_cast<double>(params_.max_delay.count());
    std::chrono::nanoseconds d = params_.max_delay;
    if (!capped_)
        d = std::min(d, std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(raw_next_)));
    if (params_.full_jitter)
        d = std::chrono::nanoseconds(
            static_cast<std::chrono::nanoseconds::rep>(rng_.uniform(static_cast<std::uint64_t>(d.count()))));

    // The next delay. `!(x < cap)` also catches an infinite product (or a
    // NaN one, should the precondition be broken): both saturate.
    if (!capped_)
    {
        raw_next_ *= params_.multiplier;
        if (!(raw_next_ < cap))
            capped_ = true;
    }
    return backoff_decision::retry_after(d);
}

} // namespace detail
} // namespace processkit
} // namespace boost
