// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Line splitting, decoding to UTF-8 and bounded output buffers: no spawning.

#define BOOST_TEST_MODULE lines
#include "../../src/core/decoder.hpp"
#include "../../src/core/line_splitter.hpp"
#include "../../src/core/byte_capture.hpp"
#include "../../src/core/line_queue.hpp"
#include "../../src/core/growing_string.hpp"
#include "../../src/core/utf8.hpp"
#include "pk_test.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pk = boost::processkit;
using pk::line_terminator;
using pk::output_buffer_policy;
using pk::overflow_mode;
using pk::detail::byte_capture;
using pk::detail::decoder;
using pk::detail::line_queue;
using pk::detail::line_splitter;

namespace {

using lines_t = std::vector<std::string>;

lines_t split(line_terminator t, const std::vector<std::string_view>& chunks, bool finish = true)
{
    line_splitter s(t);
    lines_t out;
    auto emit = [&](std::string_view line) { out.emplace_back(line); };
    for (auto c : chunks)
        s.feed(c, emit);
    if (finish)
        s.finish(emit);
    return out;
}

lines_t split_one(line_terminator t, std::string_view text) { return split(t, std::vector<std::string_view>{text}); }

const std::string_view sample = "alpha\nbeta\r\n\r\ngamma\r\r\n\rdelta\n\n\r\nx\ry\r";

bool valid_utf8(const std::string& s)
{
    auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();)
    {
        std::size_t n = pk::detail::utf8_sequence(p + i, s.size() - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

decoder make_decoder(const std::string& encoding)
{
    auto r = decoder::create(encoding);
    BOOST_TEST_REQUIRE(r.has_value(), "cannot create a decoder for " << encoding);
    return std::move(r).value();
}

/// Decodes `input` fed in the given chunk sizes (the last one repeats).
std::string decode(const std::string& encoding, std::string_view input, std::vector<std::size_t> sizes = {})
{
    decoder d = make_decoder(encoding);
    std::string out;
    std::size_t k = 0;
    while (!input.empty())
    {
        std::size_t n = sizes.empty() ? input.size() : sizes[std::min(k++, sizes.size() - 1)];
        n = std::min(n, input.size());
        d.feed(input.substr(0, n), out);
        input.remove_prefix(n);
    }
    d.finish(out);
    return out;
}

lines_t drain(line_queue& q)
{
    lines_t out;
    while (!q.empty())
        out.push_back(q.pop());
    return out;
}

} // namespace

// ---------------------------------------------------------------------------
// line_splitter

BOOST_AUTO_TEST_CASE(newline_mode_one_chunk)
{
    lines_t expected = {"alpha", "beta", "", "gamma\r", "\rdelta", "", "", "x\ry\r"};
    BOOST_TEST(split_one(line_terminator::newline, sample) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(carriage_return_mode_one_chunk)
{
    lines_t expected = {"alpha", "beta", "", "gamma", "", "", "delta", "", "", "x", "y"};
    BOOST_TEST(split_one(line_terminator::carriage_return, sample) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_chunk_boundary_gives_the_same_lines)
{
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
    {
        const lines_t whole = split_one(t, sample);
        for (std::size_t i = 0; i <= sample.size(); ++i)
        {
            BOOST_TEST_CONTEXT("mode " << int(t) << " split at " << i)
            {
                BOOST_TEST(split(t, {sample.substr(0, i), sample.substr(i)}) == whole);
            }
            for (std::size_t j = i; j <= sample.size(); ++j)
            {
                BOOST_TEST_CONTEXT("mode " << int(t) << " split at " << i << " and " << j)
                {
                    // empty chunks in between change nothing either
                    auto mid = sample.substr(i, j - i);
                    BOOST_TEST(split(t, {sample.substr(0, i), "", mid, sample.substr(j), ""}) == whole);
                }
            }
        }
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < sample.size(); ++i)
            bytes.push_back(sample.substr(i, 1));
        BOOST_TEST(split(t, bytes) == whole);
    }
}

BOOST_AUTO_TEST_CASE(crlf_in_newline_mode)
{
    auto nl = line_terminator::newline;
    BOOST_TEST(split_one(nl, "a\r\nb\r\n") == (lines_t{"a", "b"}));
    BOOST_TEST(split(nl, {"a\r", "\nb\r", "\n"}) == (lines_t{"a", "b"}));
    BOOST_TEST(split_one(nl, "a\r\r\n") == (lines_t{"a\r"})); // only one '\r' is dropped
    BOOST_TEST(split(nl, {"a\r", "\r", "\n"}) == (lines_t{"a\r"}));
    BOOST_TEST(split_one(nl, "a\rb\n") == (lines_t{"a\rb"})); // a '\r' inside is content
    BOOST_TEST(split(nl, {"\r", "\n", "\r\n"}) == (lines_t{"", ""}));
}

BOOST_AUTO_TEST_CASE(crlf_in_carriage_return_mode)
{
    auto cr = line_terminator::carriage_return;
    BOOST_TEST(split_one(cr, "a\r\nb\rc\nd") == (lines_t{"a", "b", "c", "d"}));
    BOOST_TEST(split(cr, {"a\r", "\nb"}) == (lines_t{"a", "b"}));     // "\r\n" counts once
    BOOST_TEST(split(cr, {"a\r", "", "\nb"}) == (lines_t{"a", "b"})); // also after an empty chunk
    BOOST_TEST(split(cr, {"a\r", "\r\n"}) == (lines_t{"a", ""}));
    BOOST_TEST(split_one(cr, "a\n\rb") == (lines_t{"a", "", "b"})); // "\n\r" is two
    BOOST_TEST(split_one(cr, "10%\r50%\r100%\n") == (lines_t{"10%", "50%", "100%"}));
    BOOST_TEST(split(cr, {"\r", "\n", "\r", "\n"}) == (lines_t{"", ""}));
}

BOOST_AUTO_TEST_CASE(empty_lines)
{
    BOOST_TEST(split_one(line_terminator::newline, "\n\n\n") == (lines_t{"", "", ""}));
    BOOST_TEST(split_one(line_terminator::carriage_return, "\r\r\n\n") == (lines_t{"", "", ""}));
    BOOST_TEST(split_one(line_terminator::newline, "").empty());
    BOOST_TEST(split(line_terminator::newline, std::vector<std::string_view>{"", ""}).empty());
}

BOOST_AUTO_TEST_CASE(finish_emits_the_unterminated_rest)
{
    auto nl = line_terminator::newline;
    BOOST_TEST(split_one(nl, "a\nrest") == (lines_t{"a", "rest"}));
    BOOST_TEST(split(nl, std::vector<std::string_view>{"a\nrest"}, false) == (lines_t{"a"}));
    BOOST_TEST(split_one(nl, "a\n") == (lines_t{"a"})); // nothing after a terminator
    BOOST_TEST(split_one(nl, "\r") == (lines_t{"\r"})); // a lone pending '\r' is content
    BOOST_TEST(split(nl, {"x", "\r"}) == (lines_t{"x\r"}));
    BOOST_TEST(split_one(line_terminator::carriage_return, "a\r") == (lines_t{"a"}));

    // After finish() the splitter starts a new stream.
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
    {
        line_splitter s(t);
        lines_t out;
        auto emit = [&](std::string_view line) { out.emplace_back(line); };
        s.feed("one\r", emit);
        s.finish(emit);
        s.finish(emit); // twice: nothing more
        BOOST_TEST(s.partial().empty());
        s.feed("\ntwo\n", emit);
        lines_t expected = t == line_terminator::newline ? lines_t{"one\r", "", "two"} : lines_t{"one", "", "two"};
        BOOST_TEST(out == expected, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(partial_shows_the_unterminated_data)
{
    line_splitter s(line_terminator::newline);
    lines_t out;
    auto emit = [&](std::string_view line) { out.emplace_back(line); };
    BOOST_TEST(s.partial().empty());
    s.feed("banner\npassword: ", emit);
    BOOST_TEST(out == lines_t{"banner"});
    BOOST_TEST(s.partial() == "password: ");
    s.feed("x", emit);
    BOOST_TEST(s.partial() == "password: x");
    s.feed("\r", emit);
    BOOST_TEST(s.partial() == "password: x\r"); // may still be a CRLF
    s.feed("\nnext", emit);
    BOOST_TEST(out == (lines_t{"banner", "password: x"}));
    BOOST_TEST(s.partial() == "next");

    line_splitter c(line_terminator::carriage_return);
    out.clear();
    c.feed("50%\r", emit);
    BOOST_TEST(out == lines_t{"50%"});
    BOOST_TEST(c.partial().empty());
    c.feed("\n60", emit);
    BOOST_TEST(out == lines_t{"50%"});
    BOOST_TEST(c.partial() == "60");
}

BOOST_AUTO_TEST_CASE(lines_inside_a_chunk_are_not_copied)
{
    for (auto t : {line_terminator::newline, line_terminator::carriage_return})
    {
        line_splitter s(t);
        std::string chunk = "head\nbody\r\nlast";
        std::vector<std::string_view> views;
        s.feed("carried", [&](std::string_view) { BOOST_FAIL("no line yet"); });
        s.feed(chunk, [&](std::string_view line) { views.push_back(line); });
        BOOST_TEST_REQUIRE(views.size() == 2u);
        // The first line continues the carried data: a copy. The second lies
        // wholly inside the chunk: a view into it.
        BOOST_TEST(!(views[0].data() >= chunk.data() && views[0].data() < chunk.data() + chunk.size()));
        BOOST_TEST(views[1].data() == chunk.data() + 5);
        BOOST_TEST(views[1].size() == 4u);
        BOOST_TEST(s.partial() == "last");
    }
}

BOOST_AUTO_TEST_CASE(a_long_line_across_many_chunks)
{
    std::string text(100000, 'x');
    text += "\nend";
    std::vector<std::string_view> chunks;
    for (std::size_t i = 0; i < text.size(); i += 7)
        chunks.push_back(std::string_view(text).substr(i, 7));
    lines_t out = split(line_terminator::newline, chunks);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0] == std::string(100000, 'x'));
    BOOST_TEST(out[1] == "end");
}

BOOST_AUTO_TEST_CASE(a_throwing_callback_does_not_repeat_a_line)
{
    line_splitter s(line_terminator::newline);
    int calls = 0;
    s.feed("ab", [](std::string_view) {});
    auto throwing = [&](std::string_view) {
        ++calls;
        throw 1;
    };
    BOOST_CHECK_THROW(s.feed("c\n", throwing), int);
    lines_t out;
    s.feed("d\n", [&](std::string_view line) { out.emplace_back(line); });
    BOOST_TEST(calls == 1);
    BOOST_TEST(out == lines_t{"d"});
}

BOOST_AUTO_TEST_CASE(ten_million_short_lines)
{
    constexpr std::size_t total = 10'000'000;
    constexpr std::size_t chunk_size = 64 * 1024;
    line_splitter s(line_terminator::newline);
    std::size_t count = 0, bytes = 0;
    std::string last;
    auto emit = [&](std::string_view line) {
        ++count;
        bytes += line.size();
        last.assign(line);
    };
    std::string buf;
    std::size_t expected_bytes = 0;
    char num[24];
    for (std::size_t i = 0; i < total; ++i)
    {
        auto r = std::to_chars(num, num + sizeof num, i);
        buf += 'l';
        buf.append(num, r.ptr);
        buf += '\n';
        expected_bytes += 1 + static_cast<std::size_t>(r.ptr - num);
        if (buf.size() >= chunk_size)
        {
            s.feed(std::string_view(buf).substr(0, chunk_size), emit);
            buf.erase(0, chunk_size);
        }
    }
    s.feed(buf, emit);
    s.finish(emit);
    BOOST_TEST(count == total);
    BOOST_TEST(bytes == expected_bytes);
    BOOST_TEST(last == "l9999999");
}

// ---------------------------------------------------------------------------
// decoder

BOOST_AUTO_TEST_CASE(latin1_to_utf8)
{
    BOOST_TEST(decode("ISO-8859-1", "caf\xe9") == "caf\xc3\xa9");
    BOOST_TEST(decode("iso-8859-1", "caf\xe9", {1}) == "caf\xc3\xa9");
    // E2BIG: output grows beyond the first guess (3 bytes per input byte).
    std::string euros(100000, '\x80');
    std::string expected;
    for (int i = 0; i < 100000; ++i)
        expected += "\xE2\x82\xAC";
    BOOST_TEST(decode("CP1252", euros) == expected);
}

BOOST_AUTO_TEST_CASE(utf16le_split_at_every_byte_boundary)
{
    // "h\u00e9\u20ac\U0001F600!" in UTF-16LE: the emoji is a surrogate pair.
    const std::string in("h\0\xe9\0\xac\x20\x3d\xd8\x00\xde!\0", 12);
    const std::string expected = "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!";
    BOOST_TEST(decode("UTF-16LE", in) == expected);
    for (std::size_t i = 0; i <= in.size(); ++i)
        for (std::size_t j = 1; j <= 5; ++j)
            BOOST_TEST(decode("UTF-16LE", in, {i, j}) == expected, "chunks " << i << " then " << j);

    // A dangling odd byte at the end is one U+FFFD.
    BOOST_TEST(decode("UTF-16LE", std::string("A\0B", 3)) == "A" + pk_test::fffd);
    // ... and so is a high surrogate without its pair.
    BOOST_TEST(decode("UTF-16LE", std::string("A\0\x3d\xd8", 4), {3, 1}) == "A" + pk_test::fffd);
}

BOOST_AUTO_TEST_CASE(japanese_encodings_with_invalid_bytes)
{
    const std::string nihon = "\xe6\x97\xa5\xe6\x9c\xac"; // U+65E5 U+672C
    BOOST_TEST(decode("SHIFT_JIS", "\x93\xfa\x96\x7b") == nihon);
    BOOST_TEST(decode("SHIFT_JIS", "a\x80"
                                   "b\x93\xfa\x96\x7b") == "a" + pk_test::fffd + "b" + nihon);
    BOOST_TEST(decode("SHIFT_JIS", "\x93\xfa\x96\x7b", {1}) == nihon);
    BOOST_TEST(decode("EUC-JP", "a\xff\xc6\xfc\xcb\xdc") == "a" + pk_test::fffd + nihon);
    for (std::size_t i = 0; i <= 6; ++i)
        BOOST_TEST(decode("EUC-JP", "a\xff\xc6\xfc\xcb\xdc", {i, 1}) == "a" + pk_test::fffd + nihon, "split at " << i);
    // A truncated two-byte character at EOF.
    BOOST_TEST(decode("EUC-JP", "\xc6\xfc\xcb") == "\xe6\x97\xa5" + pk_test::fffd);
    // A stateful encoding keeps its shift state across chunks.
    const std::string jis = "\x1b$BF|K\\\x1b(B!";
    for (std::size_t i = 0; i <= jis.size(); ++i)
        BOOST_TEST(decode("ISO-2022-JP", jis, {i, 1}) == nihon + "!", "split at " << i);
}

BOOST_AUTO_TEST_CASE(utf8_validation)
{
    const std::string emoji = "\xf0\x9f\x98\x80";
    for (std::string name : {"", "UTF-8", "utf8", "Utf-8", "UTF_8"})
    {
        BOOST_TEST_CONTEXT("encoding \"" << name << "\"")
        {
            decoder d = make_decoder(name);
            std::string out;
            for (char c : emoji)
            {
                BOOST_TEST(out.empty());
                d.feed(std::string_view(&c, 1), out);
            }
            BOOST_TEST(out == emoji);
            d.finish(out);
            BOOST_TEST(out == emoji);
            BOOST_TEST(decode(name, "\xff") == pk_test::fffd);
            BOOST_TEST(decode(name, "a\xffz") == "a" + pk_test::fffd + "z");
        }
    }
    // A truncated sequence: replaced per byte, exactly as sanitize_utf8 does.
    BOOST_TEST(decode("UTF-8", "ok\xe2\x82") == "ok" + pk_test::fffd + pk_test::fffd);
    BOOST_TEST(decode("UTF-8",
                      "\xe2\x82"
                      "A",
                      {1}) == pk_test::fffd + pk_test::fffd + "A");
    // Surrogates and overlong forms are invalid.
    BOOST_TEST(decode("UTF-8", "\xed\xa0\x80", {1}) == pk_test::fffd + pk_test::fffd + pk_test::fffd);
    BOOST_TEST(decode("UTF-8", "\xc0\xaf", {1}) == pk_test::fffd + pk_test::fffd);
}

BOOST_AUTO_TEST_CASE(utf8_chunked_equals_sanitize_utf8_of_the_whole)
{
    std::mt19937 rng(42);
    const std::string pieces[] = {"a",    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff",
                                  "\x80", "\xe2",     "\xf0\x9f",     "\xed\xa0\x80",     "\xc0",
                                  "\n"};
    for (int round = 0; round < 300; ++round)
    {
        std::string in;
        for (int k = 0, n = static_cast<int>(rng() % 40); k < n; ++k)
            in += pieces[rng() % std::size(pieces)];
        std::string expected = in;
        pk::detail::sanitize_utf8(expected);
        for (std::size_t size : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(5), in.size() + 1})
            BOOST_TEST(decode("UTF-8", in, {size}) == expected);
    }
}

BOOST_AUTO_TEST_CASE(any_input_gives_valid_utf8_independent_of_chunking)
{
    std::mt19937 rng(7);
    for (std::string name :
         {"UTF-8", "UTF-16LE", "UTF-16", "UTF-32BE", "SHIFT_JIS", "EUC-JP", "ISO-2022-JP", "GB18030", "ISO-8859-1"})
    {
        for (int round = 0; round < 50; ++round)
        {
            std::string in(rng() % 200, '\0');
            for (auto& c : in)
                c = static_cast<char>(rng() % 4 == 0 ? rng() % 0x80 : rng());
            std::string whole = decode(name, in);
            BOOST_TEST(valid_utf8(whole), name);
            std::size_t a = 1 + rng() % 7, b = 1 + rng() % 3;
            BOOST_TEST(decode(name, in, {a, b}) == whole, name << " chunks " << a << ", " << b);
        }
    }
}

BOOST_AUTO_TEST_CASE(converter_output_is_checked_too)
{
    // glibc's UTF-7 emits surrogates for this garbage: they become U+FFFD.
    const std::string in = "ZA9\x80Z-\xff+Z09/\x80\x80\x80+\xff"
                           "9+a.\xff/0/z\x80/A+\x80"
                           "A\xff\x80"
                           "AA.0";
    BOOST_TEST(valid_utf8(decode("UTF-7", in)));
    std::mt19937 rng(9);
    for (int round = 0; round < 200; ++round)
    {
        std::string garbage(rng() % 64, '\0');
        for (auto& c : garbage)
            c = "+-AZaz09/.\x80 \xff"[rng() % 14];
        BOOST_TEST(valid_utf8(decode("UTF-7", garbage, {1 + rng() % 5})));
    }
}

BOOST_AUTO_TEST_CASE(unknown_encoding)
{
    auto r = decoder::create("NO-SUCH-ENCODING-42");
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == pk::make_error_code(pk::errc::invalid_argument));
    BOOST_TEST(r.error().diag().detail == "unknown encoding NO-SUCH-ENCODING-42");
}

BOOST_AUTO_TEST_CASE(decoder_moves)
{
    decoder a = make_decoder("UTF-16LE");
    std::string out;
    a.feed(std::string_view("A\0B", 3), out);
    decoder b(std::move(a));
    b.feed(std::string_view("\0", 1), out);
    BOOST_TEST(out == "AB");
    decoder c = make_decoder("UTF-8");
    c = std::move(b);
    c.feed(std::string_view("\xe9\0", 2), out);
    c.finish(out);
    BOOST_TEST(out == "AB\xc3\xa9");
}

// ---------------------------------------------------------------------------
// line_queue

BOOST_AUTO_TEST_CASE(queue_unbounded)
{
    line_queue q(output_buffer_policy{});
    for (int i = 0; i < 1000; ++i)
        BOOST_TEST(q.push(std::to_string(i)));
    BOOST_TEST(q.size() == 1000u);
    BOOST_TEST(q.pop() == "0");
    BOOST_TEST(q.size() == 999u);
    BOOST_TEST(!q.truncated());
}

BOOST_AUTO_TEST_CASE(queue_drop_oldest)
{
    line_queue q(pk_test::buffer_policy(3, std::nullopt, overflow_mode::drop_oldest));
    for (std::string s : {"a", "b", "c"})
        BOOST_TEST(q.push(s));
    BOOST_TEST(!q.truncated());
    BOOST_TEST(q.push("d"));
    BOOST_TEST(q.truncated());
    BOOST_TEST(drain(q) == (lines_t{"b", "c", "d"}));

    line_queue b(pk_test::buffer_policy(std::nullopt, 6, overflow_mode::drop_oldest));
    BOOST_TEST(b.push("aa"));
    BOOST_TEST(b.push("bb"));
    BOOST_TEST(b.push("cc"));
    BOOST_TEST(b.bytes() == 6u);
    BOOST_TEST(!b.truncated());
    BOOST_TEST(b.push("ddd")); // drops "aa" and "bb"
    BOOST_TEST(b.truncated());
    BOOST_TEST(b.bytes() == 5u);
    BOOST_TEST(drain(b) == (lines_t{"cc", "ddd"}));
    BOOST_TEST(b.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(queue_drop_oldest_keeps_a_long_line_alone)
{
    line_queue q(pk_test::buffer_policy(10, 4, overflow_mode::drop_oldest));
    BOOST_TEST(q.push("ab"));
    BOOST_TEST(q.push("0123456789"));
    BOOST_TEST(q.truncated());
    BOOST_TEST(q.size() == 1u);
    BOOST_TEST(q.bytes() == 4u);
    BOOST_TEST(q.pop() == "6789");
    BOOST_TEST(q.push("")); // empty lines count as lines, not bytes
    BOOST_TEST(q.push("xyzw"));
    BOOST_TEST(drain(q) == (lines_t{"", "xyzw"}));
}

BOOST_AUTO_TEST_CASE(queue_drop_newest)
{
    line_queue q(pk_test::buffer_policy(2, 5, overflow_mode::drop_newest));
    BOOST_TEST(q.push("ab"));
    BOOST_TEST(q.push("cd"));
    BOOST_TEST(!q.truncated());
    BOOST_TEST(q.push("e")); // over max_lines: discarded
    BOOST_TEST(q.truncated());
    BOOST_TEST(q.size() == 2u);
    BOOST_TEST(q.pop() == "ab");
    BOOST_TEST(q.push("efgh")); // 2 + 4 > 5 bytes: discarded
    BOOST_TEST(q.push("efg"));  // fits again once the reader made room
    BOOST_TEST(drain(q) == (lines_t{"cd", "efg"}));
    BOOST_TEST(q.push("toolong")); // longer than max_bytes: discarded, even alone
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(queue_error_mode)
{
    line_queue q(pk_test::buffer_policy(2, 4, overflow_mode::error));
    BOOST_TEST(q.push("ab"));
    BOOST_TEST(q.push("cd"));
    BOOST_TEST(!q.truncated());
    BOOST_TEST(!q.push("e")); // stores nothing
    BOOST_TEST(q.truncated());
    BOOST_TEST(q.size() == 2u);
    BOOST_TEST(q.bytes() == 4u);
    BOOST_TEST(drain(q) == (lines_t{"ab", "cd"}));
    BOOST_TEST(!q.push("abcde"));
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(queue_zero_limits)
{
    line_queue none(pk_test::buffer_policy(0, std::nullopt, overflow_mode::drop_oldest));
    BOOST_TEST(none.push("a"));
    BOOST_TEST(none.empty());
    BOOST_TEST(none.truncated());

    line_queue zero_bytes(pk_test::buffer_policy(std::nullopt, 0, overflow_mode::drop_newest));
    BOOST_TEST(zero_bytes.push(""));
    BOOST_TEST(!zero_bytes.truncated());
    BOOST_TEST(zero_bytes.push("a"));
    BOOST_TEST(zero_bytes.truncated());
    BOOST_TEST(drain(zero_bytes) == lines_t{""});
}

// ---------------------------------------------------------------------------
// byte_capture

BOOST_AUTO_TEST_CASE(capture_unbounded)
{
    byte_capture c(output_buffer_policy{});
    BOOST_TEST(c.unbounded());
    BOOST_TEST(c.append("abc"));
    BOOST_TEST(c.append("def\n"));
    BOOST_TEST(c.take() == "abcdef\n");
    BOOST_TEST(!c.truncated());
    BOOST_TEST(!byte_capture(pk_test::buffer_policy(1, std::nullopt, overflow_mode::error)).unbounded());
}

BOOST_AUTO_TEST_CASE(capture_drop_newest)
{
    byte_capture b(pk_test::buffer_policy(std::nullopt, 5, overflow_mode::drop_newest));
    BOOST_TEST(!b.unbounded());
    BOOST_TEST(b.append("abc"));
    BOOST_TEST(!b.truncated());
    BOOST_TEST(b.append("defg"));
    BOOST_TEST(b.append("h"));
    BOOST_TEST(b.truncated());
    BOOST_TEST(b.take() == "abcde");

    byte_capture l(pk_test::buffer_policy(2, std::nullopt, overflow_mode::drop_newest));
    BOOST_TEST(l.append("one\ntw"));
    BOOST_TEST(l.append("o"));
    BOOST_TEST(!l.truncated()); // "tw" + "o" is the second (partial) line
    BOOST_TEST(l.append("\nthree\n"));
    BOOST_TEST(l.truncated());
    BOOST_TEST(l.append("four\n"));
    BOOST_TEST(l.take() == "one\ntwo\n");

    byte_capture exact(pk_test::buffer_policy(2, std::nullopt, overflow_mode::drop_newest));
    BOOST_TEST(exact.append("a\nb"));
    BOOST_TEST(!exact.truncated()); // a trailing partial line counts as one: two lines
    BOOST_TEST(exact.append("\nc"));
    BOOST_TEST(exact.truncated());
    BOOST_TEST(exact.take() == "a\nb\n");
}

BOOST_AUTO_TEST_CASE(capture_drop_oldest)
{
    byte_capture b(pk_test::buffer_policy(std::nullopt, 5, overflow_mode::drop_oldest));
    BOOST_TEST(b.append("abc"));
    BOOST_TEST(b.append("de"));
    BOOST_TEST(!b.truncated());
    BOOST_TEST(b.append("fg"));
    BOOST_TEST(b.truncated());
    BOOST_TEST(b.view() == "cdefg");
    BOOST_TEST(b.append("0123456789")); // larger than the limit on its own
    BOOST_TEST(b.take() == "56789");

    byte_capture l(pk_test::buffer_policy(2, std::nullopt, overflow_mode::drop_oldest));
    BOOST_TEST(l.append("one\ntwo\n"));
    BOOST_TEST(!l.truncated());
    BOOST_TEST(l.append("thr"));
    BOOST_TEST(l.truncated());
    BOOST_TEST(l.view() == "two\nthr");
    BOOST_TEST(l.append("ee\nfour\nfive"));
    BOOST_TEST(l.take() == "four\nfive");

    byte_capture both(pk_test::buffer_policy(3, 8, overflow_mode::drop_oldest));
    BOOST_TEST(both.append("a\nb\nc\nd\n"));
    BOOST_TEST(both.view() == "b\nc\nd\n");
    BOOST_TEST(both.append("eeeeee")); // 4 lines: "b\n" goes; then 10 bytes: "c\n" goes
    BOOST_TEST(both.view() == "d\neeeeee");
    BOOST_TEST(both.append("\nf\n")); // 3 lines but 11 bytes: the kept text starts mid-line
    BOOST_TEST(both.view() == "eeeee\nf\n");
}

BOOST_AUTO_TEST_CASE(capture_drop_oldest_matches_a_reference)
{
    // Against the obvious O(n^2) model: the longest suffix within both limits.
    using limit = std::optional<std::size_t>;
    auto reference = [](const std::string& all, limit lines, limit bytes) {
        std::size_t start = 0;
        auto count = [&](std::size_t s) {
            std::string_view rest = std::string_view(all).substr(s);
            auto n = static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n'));
            return n + (!rest.empty() && rest.back() != '\n' ? 1 : 0);
        };
        while (lines && count(start) > *lines)
        {
            auto nl = all.find('\n', start);
            start = nl == std::string::npos ? all.size() : nl + 1;
        }
        if (bytes && all.size() - start > *bytes)
            start = all.size() - *bytes;
        return all.substr(start);
    };
    std::mt19937 rng(3);
    for (int round = 0; round < 500; ++round)
    {
        std::optional<std::size_t> lines, bytes;
        if (rng() % 3 != 0)
            lines = rng() % 5;
        if (rng() % 3 != 0 || !lines)
            bytes = rng() % 30;
        byte_capture c(pk_test::buffer_policy(lines, bytes, overflow_mode::drop_oldest));
        std::string all;
        for (int k = 0, n = static_cast<int>(rng() % 12); k < n; ++k)
        {
            std::string chunk(rng() % 15, 'x');
            for (auto& ch : chunk)
                ch = rng() % 4 == 0 ? '\n' : static_cast<char>('a' + rng() % 26);
            all += chunk;
            BOOST_TEST(c.append(chunk));
            std::string expected = reference(all, lines, bytes);
            BOOST_TEST(c.view() == expected);
            BOOST_TEST(c.truncated() == (expected.size() != all.size()));
        }
    }
}

BOOST_AUTO_TEST_CASE(capture_drop_newest_and_error_match_a_reference)
{
    // The model: the longest prefix within both limits.
    using limit = std::optional<std::size_t>;
    auto reference = [](const std::string& all, limit lines, limit bytes) {
        std::size_t end = all.size();
        if (bytes)
            end = std::min(end, *bytes);
        if (lines)
        {
            std::size_t pos = 0;
            for (std::size_t n = 0; n < *lines && pos < all.size(); ++n)
            {
                auto nl = all.find('\n', pos);
                pos = nl == std::string::npos ? all.size() : nl + 1;
            }
            end = std::min(end, pos);
        }
        return all.substr(0, end);
    };
    std::mt19937 rng(5);
    for (auto mode : {overflow_mode::drop_newest, overflow_mode::error})
    {
        for (int round = 0; round < 500; ++round)
        {
            limit lines, bytes;
            if (rng() % 3 != 0)
                lines = rng() % 5;
            if (rng() % 3 != 0 || !lines)
                bytes = rng() % 30;
            byte_capture c(pk_test::buffer_policy(lines, bytes, mode));
            std::string all;
            for (int k = 0, n = static_cast<int>(rng() % 12); k < n; ++k)
            {
                std::string chunk(rng() % 15, 'x');
                for (auto& ch : chunk)
                    ch = rng() % 4 == 0 ? '\n' : static_cast<char>('a' + rng() % 26);
                all += chunk;
                bool ok = c.append(chunk);
                std::string expected = reference(all, lines, bytes);
                bool over = expected.size() != all.size();
                BOOST_TEST(ok == (mode == overflow_mode::drop_newest || !over));
                BOOST_TEST(c.view() == expected);
                BOOST_TEST(c.truncated() == over);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(capture_error_mode)
{
    byte_capture b(pk_test::buffer_policy(std::nullopt, 5, overflow_mode::error));
    BOOST_TEST(b.append("abc"));
    BOOST_TEST(b.append("de")); // exactly at the limit
    BOOST_TEST(!b.truncated());
    BOOST_TEST(b.append(""));
    BOOST_TEST(!b.append("f"));
    BOOST_TEST(b.truncated());
    BOOST_TEST(!b.append("g")); // stays failed
    BOOST_TEST(b.take() == "abcde");

    byte_capture l(pk_test::buffer_policy(1, std::nullopt, overflow_mode::error));
    BOOST_TEST(l.append("only"));
    BOOST_TEST(l.append(" line\n"));
    BOOST_TEST(!l.append("x"));
    BOOST_TEST(l.take() == "only line\n");

    byte_capture partial(pk_test::buffer_policy(std::nullopt, 4, overflow_mode::error));
    BOOST_TEST(!partial.append("abcdef")); // nothing beyond the limit is kept
    BOOST_TEST(partial.take() == "abcd");
}

BOOST_AUTO_TEST_CASE(growing_string_keeps_every_byte_across_growth)
{
    // Odd chunk sizes across the 4 MiB point where huge-page advice and
    // populating ahead begin: every byte must land in order.
    pk::detail::growing_string g;
    std::string expect;
    std::mt19937 rng(7);
    std::size_t total = 0;
    for (std::size_t chunk = 1; total < (std::size_t(13) << 20); chunk = chunk * 3 % 200003 + 1)
    {
        std::string piece(chunk, '\0');
        for (auto& c : piece)
            c = static_cast<char>(rng());
        g.append(piece);
        expect += piece;
        total += chunk;
    }
    std::string got = g.take();
    BOOST_TEST(got.size() == expect.size());
    BOOST_TEST((got == expect));
    BOOST_TEST(g.take().empty());
}
