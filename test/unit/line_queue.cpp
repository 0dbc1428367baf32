// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// line_queue's in-place writer API (prepare / commit / accept / split /
// finish) and its batches, checked against the reference line_splitter and a
// plain model of the output policy: random text, random chunking, random
// consumption. No spawning.

#define BOOST_TEST_MODULE line_queue
#include "../../src/core/line_splitter.hpp"
#include "../../src/core/line_queue.hpp"
#include "pk_test.hpp"
#include "policy_model.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pk = boost::processkit;
namespace bdata = boost::unit_test::data;
using pk::line_terminator;
using pk::output_buffer_policy;
using pk::overflow_mode;
using pk::detail::line_queue;
using pk::detail::line_splitter;

namespace {

using lines_t = std::vector<std::string>;

using model = pk_test::policy_model;

// Random text: short and long lines, '\n', '\r', "\r\n", empty lines.
std::string random_text(std::mt19937& rng, std::size_t n)
{
    std::string s;
    std::uniform_int_distribution<int> pick(0, 99);
    while (s.size() < n)
    {
        int k = pick(rng);
        if (k < 6)
            s += '\n';
        else if (k < 8)
            s += '\r';
        else if (k < 10)
            s += "\r\n";
        else if (k < 11)
            s.append(static_cast<std::size_t>(pick(rng)) * 50, 'L'); // up to ~5 KB without a terminator
        else
            s += static_cast<char>('a' + k % 26);
    }
    return s;
}

struct run_result
{
    lines_t consumed;     ///< what pop/take_batch handed out, in order
    lines_t observed;     ///< what split/finish showed the observer
    lines_t expected_obs; ///< what line_splitter emits for the same text
    lines_t expected;     ///< what the model hands out for the same consumption
    std::string problem;
};

// Feeds `text` in random chunks through the writer API, consuming at random
// (pop or take_batch) in between, and replays the same through
// line_splitter + the model.
run_result run(std::uint32_t seed, line_terminator t, output_buffer_policy policy, std::size_t size)
{
    std::mt19937 rng(seed);
    const std::string text = random_text(rng, size);
    line_queue q(policy, t);
    line_splitter ref(t);
    model m{policy, {}, 0, false, false};
    run_result r;
    std::vector<std::pair<pk::line_batch, lines_t>> kept;
    auto observe = [&](std::string_view l) { r.observed.emplace_back(l); };
    auto ref_emit = [&](std::string_view l) {
        r.expected_obs.emplace_back(l);
        m.push(std::string(l));
    };
    auto consume = [&](int how) {
        if (q.size() != m.lines.size() && r.problem.empty())
            r.problem = "size " + std::to_string(q.size()) + " vs model " + std::to_string(m.lines.size());
        if (q.bytes() != m.bytes && r.problem.empty())
            r.problem = "bytes " + std::to_string(q.bytes()) + " vs model " + std::to_string(m.bytes);
        if (q.empty())
            return;
        if (how == 0)
        {
            r.consumed.push_back(q.pop());
            r.expected.push_back(m.pop());
            return;
        }
        pk::line_batch b = q.take_batch();
        if (b.empty() && r.problem.empty())
            r.problem = "empty batch from a non-empty queue";
        lines_t copy(b.begin(), b.end());
        for (auto& l : copy)
        {
            r.consumed.push_back(l);
            r.expected.push_back(m.pop());
        }
        if (kept.size() < 8)
            kept.emplace_back(std::move(b), std::move(copy));
    };
    std::uniform_int_distribution<int> chunk_size(1, 3000), coin(0, 9);
    std::size_t at = 0;
    while (at < text.size())
    {
        std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(chunk_size(rng)), text.size() - at);
        // Write the chunk through prepare/commit, in pieces if the room is smaller.
        std::size_t left = n;
        while (left != 0)
        {
            auto [p, room] = q.prepare();
            std::size_t k = std::min(room, left);
            std::memcpy(p, text.data() + at + (n - left), k);
            q.commit(k);
            left -= k;
        }
        q.accept(q.unchecked().size());
        q.set_seq(at);
        if (coin(rng) < 5)
            q.split(observe);
        else
            q.split(line_queue::ignore_lines{});
        ref.feed(std::string_view(text).substr(at, n), ref_emit);
        at += n;
        if (q.partial() != ref.partial() && r.problem.empty())
            r.problem = "partial differs after " + std::to_string(at) + " bytes";
        int c = coin(rng);
        if (c < 3)
            consume(0);
        else if (c < 6)
            consume(1);
    }
    q.finish(observe);
    ref.finish(ref_emit);
    while (!q.empty())
        consume(coin(rng) < 5 ? 0 : 1);
    if (!m.lines.empty() && r.problem.empty())
        r.problem = "the model holds " + std::to_string(m.lines.size()) + " more lines";
    if (q.truncated() != m.truncated && r.problem.empty())
        r.problem = "truncated() differs from the model";
    if (q.refused() != (policy.mode == overflow_mode::error && m.truncated) && r.problem.empty())
        r.problem = "refused() differs from the model";
    for (auto& [b, copy] : kept)
        if (lines_t(b.begin(), b.end()) != copy && r.problem.empty())
            r.problem = "a kept batch changed";
    return r;
}

const output_buffer_policy unbounded{};

} // namespace

BOOST_DATA_TEST_CASE(split_in_place_matches_line_splitter, bdata::xrange(12), seed)
{
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
    {
        auto r = run(static_cast<std::uint32_t>(seed) * 7919u + 1u, t, unbounded, 200000);
        BOOST_TEST(r.problem == "");
        BOOST_TEST(r.expected_obs.size() > 200u);
        // Unbounded: every line comes out, in order, as the reference splits it.
        BOOST_TEST((r.consumed == r.expected_obs),
                   "consumed lines match line_splitter (" << r.consumed.size() << " lines)");
        BOOST_TEST((r.consumed == r.expected));
    }
}

BOOST_DATA_TEST_CASE(policies_match_the_model, bdata::xrange(6), seed)
{
    const output_buffer_policy policies[] = {
        pk_test::buffer_policy(7, std::nullopt, overflow_mode::drop_oldest),
        pk_test::buffer_policy(std::nullopt, 300, overflow_mode::drop_oldest),
        pk_test::buffer_policy(20, 500, overflow_mode::drop_newest),
        pk_test::buffer_policy(std::nullopt, 100, overflow_mode::drop_newest),
        pk_test::buffer_policy(50, std::nullopt, overflow_mode::error),
        pk_test::buffer_policy(0, std::nullopt, overflow_mode::drop_oldest),
    };
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
        for (const auto& p : policies)
        {
            auto r = run(static_cast<std::uint32_t>(seed) * 104729u + 3u, t, p, 60000);
            BOOST_TEST(r.problem == "");
            BOOST_TEST((r.observed.size() <= r.expected_obs.size()));
            BOOST_TEST((r.consumed == r.expected),
                       "consumed " << r.consumed.size() << " lines, the model " << r.expected.size());
        }
}

BOOST_AUTO_TEST_CASE(observer_sees_every_line)
{
    // Observed only in some splits (the others take the fast path), so
    // compare the observed lines with a run that observes all.
    line_queue q(unbounded, line_terminator::newline);
    lines_t seen;
    std::string text;
    for (int i = 0; i < 5000; ++i)
        text += "line" + std::to_string(i) + (i % 3 ? "\n" : "\r\n");
    std::size_t at = 0;
    while (at < text.size())
    {
        std::size_t n = std::min<std::size_t>(777, text.size() - at);
        auto [p, room] = q.prepare(n);
        BOOST_TEST_REQUIRE(room >= n);
        std::memcpy(p, text.data() + at, n);
        q.commit(n);
        q.accept(n);
        q.split([&](std::string_view l) { seen.emplace_back(l); });
        at += n;
    }
    q.finish([&](std::string_view l) { seen.emplace_back(l); });
    BOOST_TEST_REQUIRE(seen.size() == 5000u);
    for (int i = 0; i < 5000; ++i)
        BOOST_TEST(seen[static_cast<std::size_t>(i)] == "line" + std::to_string(i));
    BOOST_TEST(q.size() == 5000u);
}

BOOST_AUTO_TEST_CASE(sequence_numbers_follow_the_lines)
{
    line_queue q(unbounded, line_terminator::newline);
    auto write = [&](std::string_view s, std::uint64_t seq) {
        auto [p, room] = q.prepare(s.size());
        std::memcpy(p, s.data(), s.size());
        q.commit(s.size());
        q.accept(s.size());
        q.set_seq(seq);
        q.split(line_queue::ignore_lines{});
    };
    write("a\nb\npart", 10);
    write("ial\nc\n", 11);
    write("d\n", 12);
    BOOST_TEST(q.front_seq() == 10u);
    BOOST_TEST(q.pop() == "a");
    BOOST_TEST(q.front_seq() == 10u);
    BOOST_TEST(q.pop() == "b");
    BOOST_TEST(q.front_seq() == 11u); // "partial" was completed by the second write
    BOOST_TEST(q.pop() == "partial");
    BOOST_TEST(q.front_seq() == 11u);
    auto b = q.take_batch();
    BOOST_TEST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[0] == "c");
    BOOST_TEST(b[1] == "d");
    BOOST_TEST(q.empty());
}
