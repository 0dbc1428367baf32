// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The composition's machines alone, without a process: the backoff (exact
// delays, the cap, saturation, seeded jitter, giving up, reset, the
// validation of a retry policy) and the fan-out's schedule.

#define BOOST_TEST_MODULE compose
#include "../../src/core/backoff.hpp"
#include "../../src/core/fanout_schedule.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {
// For the test log.
std::ostream& boost_test_print_type(std::ostream& os, const backoff_decision& d)
{
    if (!d.retries())
        return os << "give up";
    return os << "retry after " << d.delay.count() << " ns";
}
} // namespace detail
} // namespace processkit
} // namespace boost

namespace pk = boost::processkit;
using namespace boost::processkit::detail;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

backoff_params params(std::optional<std::size_t> max_attempts, nanoseconds initial, double multiplier, nanoseconds cap,
                      bool jitter = false, std::uint64_t seed = 0)
{
    backoff_params p;
    p.max_attempts = max_attempts;
    p.initial_delay = initial;
    p.multiplier = multiplier;
    p.max_delay = cap;
    p.full_jitter = jitter;
    p.seed = seed;
    return p;
}

// The delays of `n` consecutive next() calls that all retry.
std::vector<nanoseconds> delays(backoff& b, std::size_t n)
{
    std::vector<nanoseconds> out;
    for (std::size_t i = 0; i < n; ++i)
    {
        auto d = b.next();
        BOOST_TEST_REQUIRE(d.retries(), "retry " << i + 1 << " was refused");
        out.push_back(d.delay);
    }
    return out;
}

std::vector<nanoseconds> ns(std::initializer_list<long long> values)
{
    std::vector<nanoseconds> out;
    for (long long v : values)
        out.push_back(nanoseconds(v));
    return out;
}

constexpr nanoseconds max_ns = nanoseconds::max();

} // namespace

// The published SplitMix64 vectors: the stream is the reference one.
BOOST_AUTO_TEST_CASE(splitmix64_matches_the_reference_stream)
{
    splitmix64 zero(0);
    BOOST_TEST(zero.next() == 0xe220a8397b1dcdafULL);
    BOOST_TEST(zero.next() == 0x6e789e6aa1b965f4ULL);
    BOOST_TEST(zero.next() == 0x06c45d188009454fULL);
    splitmix64 other(1234567);
    BOOST_TEST(other.next() == 6457827717110365317ULL);
    BOOST_TEST(other.next() == 3203168211198807973ULL);
    BOOST_TEST(other.next() == 9817491932198370423ULL);
}

BOOST_AUTO_TEST_CASE(uniform_stays_in_bounds_and_covers_them)
{
    splitmix64 g(7);
    std::vector<int> seen(4, 0);
    for (int i = 0; i < 4000; ++i)
    {
        auto v = g.uniform(3);
        BOOST_TEST_REQUIRE(v <= 3u);
        ++seen[v];
    }
    for (int k = 0; k < 4; ++k)
        BOOST_TEST((seen[k] > 800 && seen[k] < 1200), "value " << k << " drawn " << seen[k] << " times of 4000");
    BOOST_TEST(g.uniform(0) == 0u);
    (void)g.uniform(std::numeric_limits<std::uint64_t>::max()); // the whole range: no n = bound + 1 overflow
}

BOOST_AUTO_TEST_CASE(exact_exponential_delays_then_give_up)
{
    backoff b(params(6, 100ms, 2.0, 10s));
    BOOST_TEST(b.attempts() == 1u);
    BOOST_TEST(!b.exhausted());
    std::vector<nanoseconds> want = {100ms, 200ms, 400ms, 800ms, 1600ms};
    std::vector<nanoseconds> got;
    for (std::size_t k = 0; k < want.size(); ++k)
    {
        auto d = b.next();
        BOOST_TEST_REQUIRE(d.retries());
        got.push_back(d.delay);
        BOOST_TEST(b.attempts() == k + 2);
    }
    BOOST_TEST(got == want, boost::test_tools::per_element());
    BOOST_TEST(b.exhausted());
    BOOST_TEST(b.next() == backoff_decision::give_up());
    BOOST_TEST(b.attempts() == 6u, "the attempts that ran");
    BOOST_TEST(b.next() == backoff_decision::give_up(), "it keeps giving up");
    BOOST_TEST(b.attempts() == 6u);
}

BOOST_AUTO_TEST_CASE(non_integer_multiplier_follows_the_formula)
{
    // initial * multiplier^(k-1), in whole nanoseconds.
    backoff b(params(std::nullopt, 100ms, 1.5, 10s));
    BOOST_TEST(delays(b, 5) == ns({100'000'000, 150'000'000, 225'000'000, 337'500'000, 506'250'000}),
               boost::test_tools::per_element());
    // Tiny delays still grow: floor(1.5^(k-1)) ns, not stuck at 1.
    backoff tiny(params(std::nullopt, 1ns, 1.5, 1s));
    BOOST_TEST(delays(tiny, 8) == ns({1, 1, 2, 3, 5, 7, 11, 17}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(each_delay_is_capped)
{
    backoff b(params(std::nullopt, 1s, 3.0, 5s));
    BOOST_TEST(delays(b, 5) == std::vector<nanoseconds>({1s, 3s, 5s, 5s, 5s}), boost::test_tools::per_element());
    // An initial delay above the cap is the cap.
    backoff over(params(std::nullopt, 1min, 2.0, 2s));
    BOOST_TEST(delays(over, 3) == std::vector<nanoseconds>({2s, 2s, 2s}), boost::test_tools::per_element());
    // A multiplier of 1: the same delay every time; a zero cap: no delay at all.
    backoff flat(params(std::nullopt, 250ms, 1.0, 10s));
    BOOST_TEST(delays(flat, 4) == std::vector<nanoseconds>(4, 250ms), boost::test_tools::per_element());
    backoff none(params(std::nullopt, 250ms, 2.0, 0ns));
    BOOST_TEST(delays(none, 3) == std::vector<nanoseconds>(3, 0ns), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(huge_multipliers_and_attempt_counts_saturate_at_the_cap)
{
    struct variant
    {
        nanoseconds initial, cap;
        double multiplier;
    };
    const variant variants[] = {
        {1ns, max_ns, 1e300},      // inf after two steps
        {max_ns / 2, max_ns, 2.0}, // one step from the int64 limit
        {max_ns, max_ns, std::numeric_limits<double>::max()},
        {1ms, 1h, 1.0001}, // creeps up over many attempts (e^20 after 200000)
        {1s, 24h, 10.0},
    };
    constexpr int steps = 200000;
    for (const auto& v : variants)
    {
        backoff b(params(std::nullopt, v.initial, v.multiplier, v.cap));
        nanoseconds prev = 0ns;
        int refused = 0, shrank = 0, above_cap = 0;
        for (int k = 0; k < steps; ++k)
        {
            auto d = b.next();
            refused += !d.retries();
            shrank += d.delay < prev;
            above_cap += d.delay > v.cap;
            prev = d.delay;
        }
        BOOST_TEST(refused == 0);
        BOOST_TEST(shrank == 0, "delays never shrink");
        BOOST_TEST(above_cap == 0);
        BOOST_TEST(prev == v.cap, "multiplier " << v.multiplier << ": ends at the cap");
        BOOST_TEST(b.attempts() == static_cast<std::size_t>(steps) + 1);
    }
    // 0 * anything stays 0, even with a multiplier whose powers overflow.
    backoff zero(params(std::nullopt, 0ns, 1e300, 10s));
    BOOST_TEST(delays(zero, 10) == std::vector<nanoseconds>(10, 0ns), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_attempt_gives_up_at_once)
{
    backoff b(params(1, 100ms, 2.0, 10s));
    BOOST_TEST(b.exhausted());
    BOOST_TEST(b.next() == backoff_decision::give_up());
    BOOST_TEST(b.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(seeded_jitter_is_reproducible_and_within_bounds)
{
    auto jittered = [](std::uint64_t seed) {
        backoff b(params(std::nullopt, 100ms, 2.0, 3s, true, seed));
        return delays(b, 12);
    };
    backoff plain(params(std::nullopt, 100ms, 2.0, 3s));
    const auto bounds = delays(plain, 12);
    const auto a = jittered(42);
    BOOST_TEST(a == jittered(42), boost::test_tools::per_element());
    const auto other = jittered(43);
    BOOST_TEST(a != other, "another seed, another sequence");
    for (std::size_t k = 0; k < a.size(); ++k)
    {
        BOOST_TEST(a[k] >= 0ns);
        BOOST_TEST(a[k] <= bounds[k], "delay " << k + 1 << " above its un-jittered value");
        BOOST_TEST(other[k] <= bounds[k]);
    }
    BOOST_TEST(a != bounds, "jitter changes the delays");

    // Full jitter: uniform over [0, D], so over many draws of one D the
    // values spread over the whole range, averaging D/2.
    backoff flat(params(std::nullopt, 1000ns, 1.0, 1s, true, 5));
    const auto many = delays(flat, 10000);
    long long sum = 0, lo = 1000, hi = 0;
    for (auto d : many)
    {
        BOOST_TEST_REQUIRE((d >= 0ns && d <= 1000ns));
        sum += d.count();
        lo = std::min<long long>(lo, d.count());
        hi = std::max<long long>(hi, d.count());
    }
    BOOST_TEST(lo < 10);
    BOOST_TEST(hi > 990);
    const double mean = static_cast<double>(sum) / static_cast<double>(many.size());
    BOOST_TEST((mean > 480 && mean < 520), "mean " << mean);

    // The extremes: D = 0 draws 0; D = the largest duration does not overflow.
    backoff zero(params(std::nullopt, 0ns, 2.0, 1s, true, 9));
    BOOST_TEST(delays(zero, 3) == std::vector<nanoseconds>(3, 0ns), boost::test_tools::per_element());
    backoff top(params(std::nullopt, max_ns, 2.0, max_ns, true, 9));
    for (auto d : delays(top, 100))
        BOOST_TEST_REQUIRE(d >= 0ns);
}

BOOST_AUTO_TEST_CASE(reset_grants_the_attempts_and_delays_again)
{
    backoff b(params(3, 100ms, 2.0, 10s));
    BOOST_TEST(delays(b, 2) == std::vector<nanoseconds>({100ms, 200ms}), boost::test_tools::per_element());
    BOOST_TEST(b.next() == backoff_decision::give_up());
    b.reset();
    BOOST_TEST(b.attempts() == 1u);
    BOOST_TEST(!b.exhausted());
    BOOST_TEST(delays(b, 2) == std::vector<nanoseconds>({100ms, 200ms}), boost::test_tools::per_element());
    BOOST_TEST(b.next() == backoff_decision::give_up());
    BOOST_TEST(b.attempts() == 3u);

    // Mid-way too: the delays restart from initial_delay.
    backoff c(params(std::nullopt, 1s, 3.0, 1h));
    (void)delays(c, 4);
    c.reset();
    BOOST_TEST(delays(c, 2) == std::vector<nanoseconds>({1s, 3s}), boost::test_tools::per_element());

    // With jitter the stream goes on (no replay), and the whole sequence is
    // still a function of the seed and the calls.
    auto run = [] {
        backoff j(params(std::nullopt, 1s, 2.0, 1h, true, 77));
        auto before = delays(j, 3);
        j.reset();
        auto after = delays(j, 3);
        return std::make_pair(before, after);
    };
    const auto [before, after] = run();
    BOOST_TEST(before != after, "a reset machine does not replay its jitter");
    BOOST_TEST((run() == std::make_pair(before, after)));
    for (std::size_t k = 0; k < 3; ++k)
        BOOST_TEST(after[k] <= nanoseconds(1s) * (1 << k));
}

BOOST_AUTO_TEST_CASE(problems_name_the_field)
{
    BOOST_TEST(backoff_problem(params(3, 100ms, 2.0, 10s)) == nullptr);
    BOOST_TEST(backoff_problem(params(std::nullopt, 0ns, 1.0, 0ns)) == nullptr, "unlimited, no delay: valid");

    struct bad
    {
        backoff_params p;
        std::string field;
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const bad cases[] = {
        {params(0, 100ms, 2.0, 10s), "max_attempts"}, {params(3, -1ns, 2.0, 10s), "initial_delay"},
        {params(3, 100ms, 0.999, 10s), "multiplier"}, {params(3, 100ms, 0.0, 10s), "multiplier"},
        {params(3, 100ms, -2.0, 10s), "multiplier"},  {params(3, 100ms, nan, 10s), "multiplier"},
        {params(3, 100ms, inf, 10s), "multiplier"},   {params(3, 100ms, 2.0, -1ns), "max_delay"},
    };
    for (const auto& c : cases)
    {
        const char* problem = backoff_problem(c.p);
        BOOST_TEST_REQUIRE(problem != nullptr, c.field << " accepted");
        BOOST_TEST(std::string(problem).find(c.field) != std::string::npos, problem);
    }
}

BOOST_AUTO_TEST_CASE(a_retry_policy_is_validated_into_an_error)
{
    pk::retry_policy ok;
    BOOST_TEST(!validate_retry_policy(ok));

    pk::retry_policy zero;
    zero.max_attempts = 0;
    auto e = validate_retry_policy(zero);
    BOOST_TEST(e.code() == pk::errc::invalid_argument);
    BOOST_TEST(e.diag().step == "validate command");
    BOOST_TEST(e.diag().detail.find("retry policy") != std::string::npos, e.diag().detail);
    BOOST_TEST(e.diag().detail.find("max_attempts") != std::string::npos, e.diag().detail);
    BOOST_TEST(e.diag().program.empty());

    pk::retry_policy slow;
    slow.multiplier = 0.5;
    BOOST_TEST(validate_retry_policy(slow).diag().detail.find("multiplier") != std::string::npos);
    pk::retry_policy cap;
    cap.max_delay = -1s;
    BOOST_TEST(validate_retry_policy(cap).diag().detail.find("max_delay") != std::string::npos);
    pk::retry_policy neg;
    neg.initial_delay = -5ms;
    BOOST_TEST(validate_retry_policy(neg).diag().detail.find("initial_delay") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(params_of_a_policy)
{
    pk::retry_policy p;
    p.max_attempts = 7;
    p.initial_delay = 3ms;
    p.multiplier = 1.25;
    p.max_delay = 4s;
    p.full_jitter = true;
    auto a = backoff_params_of(p, 99);
    BOOST_TEST(a.max_attempts.value_or(0) == 7u);
    BOOST_TEST(backoff_params_of(pk::retry_policy{}, 0).max_attempts.has_value(),
               "a policy always bounds the attempts");
    BOOST_TEST((a.initial_delay == 3ms && a.max_delay == 4s && a.multiplier == 1.25 && a.full_jitter));
    BOOST_TEST(a.seed == 99u, "no seed in the policy: the fallback");
    p.seed = 5;
    BOOST_TEST(backoff_params_of(p, 99).seed == 5u, "the policy's seed wins");
}

// ------------------------------------------------------------ fanout_schedule

BOOST_AUTO_TEST_CASE(fanout_starts_in_input_order_on_at_most_concurrency_lanes)
{
    boost::processkit::detail::fanout_schedule s(5, 2);
    BOOST_TEST(s.lanes() == 2u);
    auto a = s.next(), b = s.next();
    BOOST_TEST_REQUIRE((a && b));
    BOOST_TEST(a->index == 0u);
    BOOST_TEST(b->index == 1u);
    BOOST_TEST(a->lane != b->lane);
    BOOST_TEST(!s.next().has_value()); // both lanes busy
    BOOST_TEST(s.in_flight() == 2u);
    s.finished(b->lane);
    auto c = s.next();
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST(c->index == 2u);
    BOOST_TEST(c->lane == b->lane); // the freed lane
    BOOST_TEST(!s.next().has_value());
    s.finished(a->lane);
    s.finished(c->lane);
    auto d = s.next(), e = s.next();
    BOOST_TEST_REQUIRE((d && e));
    BOOST_TEST(d->index == 3u);
    BOOST_TEST(e->index == 4u);
    BOOST_TEST(!s.next().has_value()); // every entry started
    BOOST_TEST(!s.over());
    s.finished(d->lane);
    s.finished(e->lane);
    BOOST_TEST(s.over());
}

BOOST_AUTO_TEST_CASE(fanout_stop_ends_the_starts_and_names_the_first_never_started)
{
    boost::processkit::detail::fanout_schedule s(10, 3);
    BOOST_TEST(!s.started_any());
    auto a = s.next(), b = s.next();
    BOOST_TEST_REQUIRE((a && b));
    BOOST_TEST(s.started_any());
    BOOST_TEST(s.stop() == 2u);
    BOOST_TEST(s.stopped());
    BOOST_TEST(!s.next().has_value()); // a free lane, but stopped
    BOOST_TEST(!s.over());             // two still in flight
    s.finished(a->lane);
    s.finished(b->lane);
    BOOST_TEST(s.over());
}

BOOST_AUTO_TEST_CASE(fanout_of_nothing_or_fewer_than_the_lanes)
{
    boost::processkit::detail::fanout_schedule empty(0, 4);
    BOOST_TEST(empty.lanes() == 0u);
    BOOST_TEST(empty.over());
    BOOST_TEST(!empty.next().has_value());
    boost::processkit::detail::fanout_schedule few(2, 16);
    BOOST_TEST(few.lanes() == 2u);
}
