// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_BACKOFF_HPP
#define BOOST_PROCESSKIT_SRC_CORE_BACKOFF_HPP

// The backoff between attempts, without any I/O: the retry op (src/ops/retry.cpp)
// asks it whether and when the next attempt runs; a supervisor's restarts
// can ask it the same.

#include <boost/processkit/error.hpp>
#include <boost/processkit/retry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace boost {
namespace processkit {
namespace detail {

/// SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference code): a 64-bit
/// generator whose stream is a pure function of its seed, the same on every
/// platform.
class splitmix64
{
public:
    explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept
    {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// Uniform in [0, bound], unbiased (rejection sampling).
    std::uint64_t uniform(std::uint64_t bound) noexcept;

private:
    std::uint64_t state_;
};

/// A seed for jitter nobody seeded: different per call and per process.
std::uint64_t random_seed() noexcept;

/// The numbers of a backoff schedule.
struct backoff_params
{
    /// Attempts in all, the first included; unset: never give up (a
    /// supervisor's restarts). A retry_policy always sets it.
    std::optional<std::size_t> max_attempts = 3;
    std::chrono::nanoseconds initial_delay = std::chrono::milliseconds(100);
    double multiplier = 2.0;
    std::chrono::nanoseconds max_delay = std::chrono::seconds(10); ///< the cap on each single delay
    bool full_jitter = false;                                      ///< each delay uniform in [0, computed delay]
    std::uint64_t seed = 0;                                        ///< the jitter's
};

/// What is wrong with `p`, naming the field, or nullptr when it is valid:
/// max_attempts 0, a multiplier below 1 or not finite (NaN included), a
/// negative initial_delay or max_delay. The text names fields, never values.
const char* backoff_problem(const backoff_params& p) noexcept;

/// `policy`'s numbers; the seed is the policy's, else `fallback_seed`.
backoff_params backoff_params_of(const retry_policy& policy, std::uint64_t fallback_seed) noexcept;

/// Checks `policy` before anything runs: an invalid one is
/// errc::invalid_argument with step "validate command" and a detail naming
/// the field ("retry policy: ..."); the program is left empty (the caller
/// knows it). A valid one is no error.
error validate_retry_policy(const retry_policy& policy);

/// What to do after a failed attempt.
struct backoff_decision
{
    enum class kind : std::uint8_t
    {
        retry,   ///< run the next attempt after `delay`
        give_up, ///< the attempts are exhausted
    };
    kind what = kind::give_up;
    std::chrono::nanoseconds delay{}; ///< meaningful for retry only

    static backoff_decision retry_after(std::chrono::nanoseconds d) noexcept { return {kind::retry, d}; }
    static backoff_decision give_up() noexcept { return {kind::give_up, {}}; }
    bool retries() const noexcept { return what == kind::retry; }
    friend bool operator==(const backoff_decision&, const backoff_decision&) = default;
};

/// The schedule of attempts: bounded count, exponential delays with a cap,
/// optional full jitter.
///
/// The first attempt is granted by construction (attempts() is 1). After
/// attempt k fails, next() answers give_up when k is the last allowed, else
/// retry after D_k and counts attempt k+1 as granted, where
/// D_k = min(max_delay, initial_delay * multiplier^(k-1)), and with full
/// jitter a draw uniform in [0, D_k] (whole nanoseconds) from the seed's
/// SplitMix64 stream. D_k saturates at max_delay: no multiplier or attempt
/// count overflows; an initial_delay of 0 stays 0.
///
/// reset() (a supervisor's "the child ran fine for a while") grants the
/// first attempt again and restarts the delays at initial_delay; the jitter
/// stream goes on, so a reset machine does not replay its earlier jitter.
/// The whole sequence is still a function of the parameters and the calls.
///
/// Precondition: backoff_problem(params) is nullptr.
class backoff
{
public:
    explicit backoff(const backoff_params& params) noexcept;

    /// The attempt numbered attempts() failed: retry (after the delay), or
    /// give up. Once it has given up it keeps answering give_up until reset().
    backoff_decision next() noexcept;

    /// Attempts granted so far, the first included: after a give_up, the
    /// number that ran.
    std::size_t attempts() const noexcept { return attempts_; }
    /// No attempt is left to grant: the next next() gives up.
    bool exhausted() const noexcept { return params_.max_attempts && attempts_ >= *params_.max_attempts; }
    const backoff_params& params() const noexcept { return params_; }

    /// As constructed, except the jitter stream (see above).
    void reset() noexcept;

private:
    backoff_params params_;
    splitmix64 rng_;
    std::size_t attempts_ = 1;
    /// The next un-jittered delay in nanoseconds, below the cap; kept in
    /// floating point so tiny delays still grow (1 ns * 1.5^k).
    double raw_next_ = 0;
    bool capped_ = false; ///< raw_next_ reached max_delay: it stays there
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_BACKOFF_HPP
