// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// What the fuzz targets (test/fuzz) found, one test case each, reduced to the
// smallest input that shows it: the target, the invariant it broke and the
// input it broke it with are named above every case. No spawning.

#define BOOST_TEST_MODULE fuzz_regressions
#include "../../src/core/line_queue.hpp"
#include "../../src/core/utf8.hpp"
#include "pk_test.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pk = boost::processkit;
using pk::overflow_mode;
using pk::detail::line_queue;

namespace {

bool valid_utf8(std::string_view s)
{
    bool invalid = false;
    return pk::detail::valid_utf8_prefix(s.data(), s.size(), invalid) == s.size();
}

/// Writes `text` through the live streams' path (prepare, commit, accept, split).
void write(line_queue& q, std::string_view text)
{
    auto [p, room] = q.prepare(text.size());
    BOOST_TEST_REQUIRE(room >= text.size());
    std::memcpy(p, text.data(), text.size());
    q.commit(text.size());
    q.accept(text.size());
    q.split(line_queue::ignore_lines{});
}

} // namespace

// fuzz_text, "every line a live stream hands out is valid UTF-8": a line
// longer than max_bytes under drop_oldest is kept as its last max_bytes
// bytes, and those began inside a UTF-8 sequence. Found as 62 bytes 0xFF
// (62 U+FFFD once sanitized, 186 bytes) with max_bytes 26: the line kept
// began with the last two bytes of a U+FFFD (bf bd ef bf bd ...).
// doc/runner.md: "the live line streams deliver UTF-8 text".
BOOST_AUTO_TEST_CASE(a_line_cut_to_max_bytes_is_still_utf8)
{
    const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"; // three U+20AC, 9 bytes
    for (std::size_t max_bytes = 1; max_bytes < euros.size(); ++max_bytes)
    {
        BOOST_TEST_CONTEXT("max_bytes " << max_bytes)
        {
            // Through split (a live stream) ...
            line_queue q(pk_test::buffer_policy(std::nullopt, max_bytes, overflow_mode::drop_oldest));
            write(q, euros + "\n");
            BOOST_TEST_REQUIRE(q.size() == 1u);
            BOOST_TEST(q.truncated());
            const std::string kept = q.pop();
            BOOST_TEST(valid_utf8(kept));
            BOOST_TEST(kept.size() <= max_bytes);
            BOOST_TEST(euros.compare(euros.size() - kept.size(), kept.size(), kept) == 0, "the line's newest bytes");

            // ... and through push.
            line_queue p(pk_test::buffer_policy(std::nullopt, max_bytes, overflow_mode::drop_oldest));
            BOOST_TEST(p.push(euros));
            BOOST_TEST_REQUIRE(p.size() == 1u);
            const std::string pushed = p.pop();
            BOOST_TEST(valid_utf8(pushed));
            BOOST_TEST(pushed.size() <= max_bytes);
        }
    }
}
