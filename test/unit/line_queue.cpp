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

// ---------------------------------------------------------------------------
// The terminator rules (line_scan.hpp), shared by line_splitter and
// line_queue: every short text over {'a', '\r', '\n'}, cut at every place
// (two and three pieces, and byte by byte), against a whole-text statement
// of the rules written here.

namespace {

using pk::detail::line_end;
using pk::detail::line_scanner;

// The lines of `s` as a whole; `rest` gets the unterminated rest (what
// partial() shows before finish).
lines_t rules(line_terminator t, std::string_view s, std::string& rest)
{
    lines_t out;
    std::string cur;
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        const char c = s[i];
        if (t == line_terminator::newline && c == '\n')
        {
            if (!cur.empty() && cur.back() == '\r')
                cur.pop_back(); // one '\r' right before the '\n'
            out.push_back(cur);
            cur.clear();
        }
        else if (t == line_terminator::carriage_return && (c == '\r' || c == '\n'))
        {
            out.push_back(cur);
            cur.clear();
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n')
                ++i; // "\r\n" ends one line
        }
        else
            cur += c;
    }
    rest = cur;
    if (!cur.empty())
        out.push_back(cur); // at the end: a lone '\r' in newline mode is content
    return out;
}

// The ways to cut a text of n bytes: cut points, in order.
std::vector<std::vector<std::size_t>> cuttings(std::size_t n)
{
    std::vector<std::vector<std::size_t>> all{{}};
    for (std::size_t i = 1; i < n; ++i)
    {
        all.push_back({i});
        for (std::size_t j = i + 1; j < n; ++j)
            all.push_back({i, j});
    }
    std::vector<std::size_t> each;
    for (std::size_t i = 1; i < n; ++i)
        each.push_back(i);
    all.push_back(each);
    return all;
}

std::vector<std::string_view> pieces(std::string_view s, const std::vector<std::size_t>& cuts)
{
    std::vector<std::string_view> out;
    std::size_t at = 0;
    for (std::size_t c : cuts)
    {
        out.push_back(s.substr(at, c - at));
        at = c;
    }
    out.push_back(s.substr(at));
    return out;
}

// What line_splitter, line_queue's general split (observed) and, in newline
// mode, its fast path (not observed: the lines are read back) make of the
// pieces; "" when they agree with `rules`, else what differs.
std::string check_pieces(line_terminator t, std::string_view text, const std::vector<std::string_view>& ps)
{
    std::string rest;
    const lines_t expected = rules(t, text, rest);
    lines_t got;
    auto emit = [&](std::string_view l) { got.emplace_back(l); };
    line_splitter s(t);
    for (auto p : ps)
        s.feed(p, emit);
    if (s.partial() != rest)
        return "line_splitter partial";
    s.finish(emit);
    if (got != expected)
        return "line_splitter lines";
    for (bool observed : {true, false})
    {
        if (!observed && t == line_terminator::carriage_return)
            continue;
        line_queue q(unbounded, t);
        got.clear();
        for (auto p : ps)
        {
            q.append_text(p);
            if (observed)
                q.split(emit);
            else
                q.split(line_queue::ignore_lines{});
        }
        if (q.partial() != rest)
            return observed ? "line_queue partial (observed)" : "line_queue partial (fast path)";
        if (observed)
            q.finish(emit);
        else
            q.finish(line_queue::ignore_lines{});
        lines_t queued;
        while (!q.empty())
            queued.push_back(q.pop());
        if ((observed && got != expected) || queued != expected)
            return observed ? "line_queue lines (observed)" : "line_queue lines (fast path)";
    }
    return "";
}

std::string printable(std::string_view s)
{
    std::string out;
    for (char c : s)
        out += c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(terminator_rules_hold_for_every_short_text_and_cut)
{
    const char alphabet[] = {'a', '\r', '\n'};
    std::size_t checked = 0;
    for (std::size_t n = 1; n <= 6; ++n)
    {
        const auto cuts = cuttings(n);
        std::size_t count = 1;
        for (std::size_t i = 0; i < n; ++i)
            count *= 3;
        for (std::size_t k = 0; k < count; ++k)
        {
            std::string text;
            for (std::size_t i = 0, v = k; i < n; ++i, v /= 3)
                text += alphabet[v % 3];
            for (auto t : {line_terminator::newline, line_terminator::carriage_return})
                for (const auto& c : cuts)
                {
                    std::string problem = check_pieces(t, text, pieces(text, c));
                    ++checked;
                    if (!problem.empty())
                    {
                        std::string where;
                        for (std::size_t x : c)
                            where += " " + std::to_string(x);
                        BOOST_ERROR(problem << ": \"" << printable(text) << "\" cut at{" << where << " }, "
                                            << (t == line_terminator::newline ? "newline" : "carriage_return"));
                        return;
                    }
                }
        }
    }
    BOOST_TEST(checked > 20000u);
}

BOOST_AUTO_TEST_CASE(crlf_split_across_pieces)
{
    // newline mode: the carried "\r" is dropped when "\n" opens the next piece.
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
    {
        const std::vector<std::string_view> ps = {"one\r", "\ntwo\r", "\r\n", "\nthree"};
        BOOST_TEST(check_pieces(t, "one\r\ntwo\r\r\n\nthree", ps) == "");
    }
    lines_t out;
    auto emit = [&](std::string_view l) { out.emplace_back(l); };
    line_splitter nl(line_terminator::newline);
    nl.feed("x\r", emit);
    nl.feed("\n", emit);
    nl.feed("\r", emit);
    BOOST_TEST(nl.partial() == "\r");
    nl.finish(emit); // a lone '\r' at the end is content
    BOOST_TEST(out == (lines_t{"x", "\r"}));

    line_queue q(unbounded, line_terminator::carriage_return);
    out.clear();
    q.append_text("50%\r");
    q.split(emit);
    BOOST_TEST(q.partial() == "");
    q.append_text(""); // an empty read keeps the pending "\r\n"
    q.split(emit);
    q.append_text("\n60%\r");
    q.split(emit);
    q.append_text("\n");
    q.split(emit);
    q.finish(emit);
    BOOST_TEST(out == (lines_t{"50%", "60%"}));
    BOOST_TEST(q.size() == 2u);
}

BOOST_AUTO_TEST_CASE(line_scanner_on_its_own)
{
    line_end le{};
    // newline mode: the '\r' before '\n' is dropped, from the line's start on.
    line_scanner nl(line_terminator::newline);
    const std::string_view a = "ab\r\ncd";
    BOOST_TEST_REQUIRE(nl.find(a.data(), 0, 0, a.size(), le));
    BOOST_TEST(le.stop == 2u);
    BOOST_TEST(le.next == 4u);
    BOOST_TEST(!le.drop_carried_cr);
    BOOST_TEST(!nl.find(a.data(), 4, 4, a.size(), le));
    // [line, from) already scanned: the '\r' at from - 1 still belongs to the line.
    BOOST_TEST_REQUIRE(nl.find(a.data(), 0, 3, a.size(), le));
    BOOST_TEST(le.stop == 2u);
    // A '\n' opening the text, after carried text ending with '\r'.
    const std::string_view b = "\nx";
    BOOST_TEST_REQUIRE(nl.find(b.data(), 0, 0, b.size(), le, true));
    BOOST_TEST(le.stop == 0u);
    BOOST_TEST(le.drop_carried_cr);
    BOOST_TEST_REQUIRE(nl.find(b.data(), 0, 0, b.size(), le, false));
    BOOST_TEST(!le.drop_carried_cr);
    // newline mode never skips a '\n' opening a piece.
    BOOST_TEST(nl.resume(b.data(), 0, b.size()) == 0u);

    // carriage_return mode: a '\r' ending a piece ends its line, and the
    // '\n' opening the next piece is skipped -- once.
    line_scanner cr(line_terminator::carriage_return);
    const std::string_view c = "p\rq\r\nr\n\r";
    std::vector<std::pair<std::size_t, std::size_t>> ends;
    std::size_t rest =
        cr.each_line(c.data(), 0, 0, c.size(), [&](std::size_t line, std::size_t stop, std::size_t next) {
            ends.emplace_back(line, stop);
            BOOST_TEST(next > stop);
        });
    BOOST_TEST(rest == c.size());
    BOOST_TEST((ends == std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}, {2, 3}, {5, 6}, {7, 7}}));
    const std::string_view d = "\n\ns";
    BOOST_TEST(cr.resume(d.data(), 0, 0) == 0u); // an empty piece keeps the pending '\n'
    BOOST_TEST(cr.resume(d.data(), 0, d.size()) == 1u);
    BOOST_TEST(cr.resume(d.data(), 1, d.size()) == 1u); // only once
    // The final '\r' again; then the end of the stream forgets it.
    BOOST_TEST_REQUIRE(cr.find(c.data(), 7, 7, c.size(), le));
    cr.reset();
    BOOST_TEST(cr.resume(d.data(), 0, d.size()) == 0u);
}
