// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// libFuzzer target: the text pipeline a child's output goes through. Bytes
// are checked as UTF-8 (utf8.hpp) or converted (decoder), split into lines
// (line_splitter, and line_queue's in-place split as the live streams' sink uses
// it) and queued within an output_buffer_policy. Every result is compared
// with a plain reference written here, not merely run:
//
// - utf8_sequence, valid_utf8_prefix, sanitize_utf8 and append_sanitized_utf8
//   agree with a code-point reference decoder; sanitized text is valid UTF-8;
// - the decoder's output is valid UTF-8 and does not depend on how the input
//   was chunked (the header's one exception: glibc's UTF-7 on invalid input);
//   for UTF-8 it is exactly sanitize_utf8 of the whole input;
// - line_splitter gives the reference lines, whatever the chunking;
// - line_queue, fed through stream_sink as src/ops/live_streams.cpp feeds it (read into prepare(),
//   accept the valid UTF-8 prefix, else decode; split; at EOF decode the
//   rest and finish), observes the reference lines, hands out what a plain
//   model of the policy holds (consumed at random by pop and take_batch),
//   and every line it hands out is valid UTF-8.
//
// Input layout (FuzzedDataProvider): the knobs -- mode, encoding, chunk
// lengths, policy, a seed for the consumption choices, a repeat count -- from
// the end, the text from the front. Build and run: see test/fuzz/README.md.

#define PK_FUZZ_TARGET "fuzz_text"
#include "fuzz_check.hpp"

#include "../../src/core/decoder.hpp"
#include "../../src/core/line_splitter.hpp"
#include "../../src/core/line_queue.hpp"
#include "../../src/core/stream_sink.hpp"
#include "../../src/core/utf8.hpp"
#include "policy_model.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pk = boost::processkit;
using pk::line_terminator;
using pk::output_buffer_policy;
using pk::overflow_mode;
using pk::detail::decoder;
using pk::detail::line_queue;
using pk::detail::line_splitter;
using lines_t = std::vector<std::string>;

namespace {

// ---------------------------------------------------------------------------
// Reference UTF-8, by code points (RFC 3629), independent of utf8.hpp.

/// The length of the valid sequence at p (1-4), or 0.
std::size_t ref_sequence(const unsigned char* p, std::size_t left)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0)
        n = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
        n = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (std::size_t i = 1; i < n; ++i)
    {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/// Whether [p, p + left) is a valid sequence cut short (some completion is valid).
bool ref_incomplete(const unsigned char* p, std::size_t left)
{
    if (left == 0 || left >= 4)
        return false;
    unsigned char buf[4];
    std::memcpy(buf, p, left);
    // Only the second byte has a range narrower than 80..BF: try each value there.
    for (unsigned second = 0x80; second <= 0xBF; ++second)
    {
        for (std::size_t i = left; i < 4; ++i)
            buf[i] = i == 1 ? static_cast<unsigned char>(second) : 0x80;
        std::size_t n = ref_sequence(buf, 4);
        if (n > left)
            return true;
        if (left > 1)
            break; // the second byte is given: nothing else to try
    }
    return false;
}

bool ref_valid(std::string_view s)
{
    auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();)
    {
        std::size_t n = ref_sequence(p + i, s.size() - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/// One U+FFFD per byte that starts no valid sequence.
std::string ref_sanitize(std::string_view s)
{
    auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::string out;
    for (std::size_t i = 0; i < s.size();)
    {
        std::size_t n = ref_sequence(p + i, s.size() - i);
        if (n == 0)
        {
            out += "\xEF\xBF\xBD";
            ++i;
        }
        else
        {
            out.append(s.data() + i, n);
            i += n;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------
// Reference line splitting.

lines_t ref_split(line_terminator t, std::string_view s)
{
    lines_t out;
    std::string cur;
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        char c = s[i];
        if (t == line_terminator::newline)
        {
            if (c == '\n')
            {
                if (!cur.empty() && cur.back() == '\r')
                    cur.pop_back();
                out.push_back(std::move(cur));
                cur.clear();
            }
            else
                cur += c;
        }
        else if (c == '\n' || c == '\r')
        {
            out.push_back(std::move(cur));
            cur.clear();
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
        }
        else
            cur += c;
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

// ---------------------------------------------------------------------------
// Chunking

struct chunker
{
    std::vector<std::size_t> sizes; // cycled; never empty

    std::vector<std::string_view> split(std::string_view s) const
    {
        std::vector<std::string_view> out;
        std::size_t k = 0;
        while (!s.empty())
        {
            std::size_t n = std::min(sizes[k++ % sizes.size()], s.size());
            out.push_back(s.substr(0, n));
            s.remove_prefix(n);
        }
        return out;
    }
};

// ---------------------------------------------------------------------------
// The UTF-8 functions against the reference.

void check_utf8(std::string_view text, const chunker& ch)
{
    auto* p = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < text.size(); ++i)
        FUZZ_CHECK(pk::detail::utf8_sequence(p + i, text.size() - i) == ref_sequence(p + i, text.size() - i),
                   std::string(text.substr(i, 4)));

    std::size_t ref_prefix = 0;
    while (ref_prefix < text.size())
    {
        std::size_t n = ref_sequence(p + ref_prefix, text.size() - ref_prefix);
        if (n == 0)
            break;
        ref_prefix += n;
    }
    bool invalid = true;
    std::size_t prefix = pk::detail::valid_utf8_prefix(text.data(), text.size(), invalid);
    FUZZ_CHECK(prefix == ref_prefix, std::string(text));
    bool ref_invalid = ref_prefix < text.size() && !ref_incomplete(p + ref_prefix, text.size() - ref_prefix);
    FUZZ_CHECK(invalid == ref_invalid, std::string(text.substr(ref_prefix)));

    const std::string expected = ref_sanitize(text);
    FUZZ_CHECK(ref_valid(expected));
    std::string s(text);
    pk::detail::sanitize_utf8(s);
    FUZZ_CHECK(s == expected, std::string(text));

    // Chunked, carrying what each call leaves unconsumed, final at the end.
    std::string out, carry;
    for (auto c : ch.split(text))
    {
        carry.append(c);
        std::size_t used = pk::detail::append_sanitized_utf8(out, carry.data(), carry.size(), false);
        FUZZ_CHECK(used <= carry.size());
        carry.erase(0, used);
        FUZZ_CHECK(carry.size() < 4, carry); // only a sequence cut short stays
    }
    std::size_t used = pk::detail::append_sanitized_utf8(out, carry.data(), carry.size(), true);
    FUZZ_CHECK(used == carry.size());
    FUZZ_CHECK(out == expected, std::string(text));
}

// ---------------------------------------------------------------------------
// The decoder

// UTF-7 last: its output may depend on the chunking (decoder.hpp says so).
constexpr const char* encodings[] = {"UTF-8",    "",          "utf_8",  "ISO-8859-1", "CP1252", "UTF-16LE",    "UTF-16",
                                     "UTF-32BE", "SHIFT_JIS", "EUC-JP", "GB18030",    "BIG5",   "ISO-2022-JP", "UTF-7"};
constexpr std::size_t n_encodings = sizeof encodings / sizeof encodings[0];

bool chunking_independent(const char* enc) { return std::strcmp(enc, "UTF-7") != 0; }

decoder make_decoder(const char* enc)
{
    auto r = decoder::create(enc);
    if (!r)
        pk_fuzz::fail(PK_FUZZ_TARGET, "decoder::create failed", enc);
    return std::move(r).value();
}

/// Decodes `chunks`; after `move_at` chunks the decoder is moved (state and all).
std::string decode(const char* enc, const std::vector<std::string_view>& chunks, std::size_t move_at)
{
    std::optional<decoder> d(make_decoder(enc));
    std::string out;
    for (std::size_t i = 0; i < chunks.size(); ++i)
    {
        if (i == move_at)
        {
            decoder moved(std::move(*d));
            d.reset();
            d.emplace(make_decoder("UTF-16LE"));
            *d = std::move(moved);
        }
        d->feed(chunks[i], out);
    }
    d->finish(out);
    // The decoder is back in its initial state: a second stream decodes alike.
    return out;
}

std::string check_decoder(const char* enc, std::string_view text, const chunker& ch, std::size_t move_at)
{
    const std::string whole = decode(enc, {text}, move_at == 0 ? 0 : 1);
    FUZZ_CHECK(ref_valid(whole), whole);
    const std::string chunked = decode(enc, ch.split(text), move_at);
    FUZZ_CHECK(ref_valid(chunked), chunked);
    if (chunking_independent(enc))
        FUZZ_CHECK(chunked == whole, std::string(enc) + ": " + std::string(text));
    if (pk::detail::is_utf8_name(enc))
        FUZZ_CHECK(whole == ref_sanitize(text), std::string(text));

    // finish() resets: the same decoder decodes a second stream the same way.
    decoder d = make_decoder(enc);
    std::string first, second;
    d.feed(text, first);
    d.finish(first);
    d.feed(text, second);
    d.finish(second);
    FUZZ_CHECK(first == whole && second == whole, std::string(enc));
    return whole;
}

// ---------------------------------------------------------------------------
// line_splitter

void check_splitter(line_terminator t, std::string_view text, const chunker& ch)
{
    const lines_t expected = ref_split(t, text);
    // partial(): what follows the last terminator (in newline mode a '\r'
    // that may still be followed by '\n' is part of it).
    std::size_t last = text.find_last_of(t == line_terminator::newline ? std::string_view("\n") : "\r\n");
    const std::string_view expected_partial = last == std::string_view::npos ? text : text.substr(last + 1);
    for (bool chunked : {false, true})
    {
        line_splitter s(t);
        lines_t got;
        auto emit = [&](std::string_view l) { got.emplace_back(l); };
        if (chunked)
            for (auto c : ch.split(text))
                s.feed(c, emit);
        else
            s.feed(text, emit);
        FUZZ_CHECK(s.partial() == expected_partial, std::string(text));
        s.finish(emit);
        FUZZ_CHECK(got == expected, std::string(text));
        FUZZ_CHECK(s.partial().empty());
    }
}

// ---------------------------------------------------------------------------
// line_queue as the live streams use it, against the plain model of the
// policy (test/common/policy_model.hpp).

using model = pk_test::policy_model;

struct queue_knobs
{
    output_buffer_policy policy;
    std::uint32_t script; ///< seeds the consumption and observation choices
};

void check_queue(const queue_knobs& knobs, const char* enc, line_terminator t, std::string_view text, const chunker& ch,
                 const std::string& decoded_whole)
{
    const output_buffer_policy policy = knobs.policy;
    const bool bounded = policy.max_lines || policy.max_bytes;
    std::uint32_t rng = knobs.script | 1;
    auto next = [&] {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        return rng;
    };

    // One output stream of a live process: its sink, fed as
    // src/ops/live_streams.cpp feeds it.
    auto cmd = pk::command("fuzz").stdout_encoding(enc).line_end(t).output_buffer(policy);
    auto made = pk::detail::stream_sink::create(cmd, 0, pk::detail::stream_sink::product::lines);
    if (!made)
        pk_fuzz::fail(PK_FUZZ_TARGET, "stream_sink::create failed", enc);
    pk::detail::stream_sink& sink = *made.value();
    line_queue& queue = sink.lines();
    model m{policy, {}, 0, false, false};
    lines_t observed, consumed, expected_consumed;
    std::vector<std::pair<pk::line_batch, lines_t>> kept;
    bool observed_all = true;
    // Bounded: the model follows the observer (consumption interleaves with
    // the drops, so it must see each line when the queue does). Unbounded:
    // the fast path (no observer) is taken at random, and the model gets the
    // reference lines at the end.
    auto observe = [&](std::string_view l) {
        observed.emplace_back(l);
        if (bounded)
            m.push(std::string(l));
    };
    // The probes' hook sees every line (the observed path); without it the
    // sink takes the fast path.
    std::function<void(std::string_view)> observer = observe;
    auto on_line = [](void* ctx, std::string_view l) {
        (*static_cast<std::function<void(std::string_view)>*>(ctx))(l);
    };
    auto hook = [&]() -> pk::detail::text_hook {
        if (bounded || next() % 2)
            return pk::detail::text_hook{&observer, on_line, nullptr};
        observed_all = false;
        return {};
    };
    auto consume = [&](bool batch) {
        if (bounded)
        {
            FUZZ_CHECK(queue.size() == m.lines.size());
            FUZZ_CHECK(queue.bytes() == m.bytes);
        }
        if (queue.empty())
            return;
        if (!batch)
        {
            consumed.push_back(queue.pop());
            if (bounded)
                expected_consumed.push_back(m.pop());
            return;
        }
        pk::line_batch b = queue.take_batch();
        FUZZ_CHECK(!b.empty());
        lines_t copy(b.begin(), b.end());
        FUZZ_CHECK(copy.size() == b.size());
        std::size_t bytes = 0;
        for (auto& l : copy)
        {
            bytes += l.size();
            consumed.push_back(l);
            if (bounded)
                expected_consumed.push_back(m.pop());
        }
        FUZZ_CHECK(bytes == b.bytes());
        if (kept.size() < 4)
            kept.emplace_back(std::move(b), std::move(copy));
    };

    std::uint64_t seq = 0;
    for (auto c : ch.split(text))
    {
        // read(): into the room prepare() offers, in pieces if it is smaller.
        while (!c.empty())
        {
            auto [p, room] = sink.prepare();
            FUZZ_CHECK(room > 0);
            std::size_t k = std::min(room, c.size());
            std::memcpy(p, c.data(), k);
            sink.commit(k, hook(), seq++);
            c.remove_prefix(k);
        }
        std::uint32_t r = next() % 8;
        if (r < 2)
            consume(false);
        else if (r < 4)
            consume(true);
    }
    sink.finish(hook(), seq++);
    FUZZ_CHECK(queue.unchecked().empty());
    sink.release_unused();
    while (!queue.empty())
        consume(next() % 2);

    const lines_t expected = ref_split(t, decoded_whole);
    const bool exact = chunking_independent(enc); // else: only valid UTF-8 lines
    if (exact && observed_all)
        FUZZ_CHECK(observed == expected, std::string(text));
    if (!bounded)
    {
        if (exact)
            FUZZ_CHECK(consumed == expected, std::string(text));
        FUZZ_CHECK(!queue.truncated() && !queue.refused());
    }
    else
    {
        FUZZ_CHECK(m.lines.empty());
        FUZZ_CHECK(consumed == expected_consumed, std::string(text));
        FUZZ_CHECK(queue.truncated() == m.truncated);
        FUZZ_CHECK(queue.refused() == (policy.mode == overflow_mode::error && m.truncated));
    }
    // The live streams deliver UTF-8 text (doc/runner.md, "Encodings").
    for (const auto& l : consumed)
        FUZZ_CHECK(ref_valid(l), l);
    for (auto& [b, copy] : kept)
        FUZZ_CHECK(lines_t(b.begin(), b.end()) == copy);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // FuzzedDataProvider takes integers from the end of the input and bytes
    // from the front: the knobs first, then the rest is the text.
    FuzzedDataProvider fdp(data, size);
    const std::uint8_t config = fdp.ConsumeIntegral<std::uint8_t>();
    const line_terminator t = (config & 1) ? line_terminator::carriage_return : line_terminator::newline;
    const char* enc = encodings[(config >> 1) % n_encodings];
    const std::size_t move_at = fdp.ConsumeIntegralInRange<std::size_t>(0, 8);
    chunker ch;
    for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(1, 8); i < n; ++i)
        ch.sizes.push_back(fdp.ConsumeIntegralInRange<std::size_t>(1, 700));
    queue_knobs knobs;
    const std::uint8_t pol = fdp.ConsumeIntegral<std::uint8_t>();
    if (pol & 1)
        knobs.policy.max_lines = fdp.ConsumeIntegralInRange<std::size_t>(0, 40);
    if (pol & 2)
        knobs.policy.max_bytes = fdp.ConsumeIntegralInRange<std::size_t>(0, 600);
    knobs.policy.mode = static_cast<overflow_mode>((pol >> 2) % 3);
    knobs.script = fdp.ConsumeIntegral<std::uint32_t>();
    // The text, repeated: streams longer than one input cross the queue's
    // segments (4 KiB and up) without the fuzzer having to grow its inputs.
    const std::size_t repeat = std::size_t(1) << fdp.ConsumeIntegralInRange(0, 5);
    const std::string unit = fdp.ConsumeRemainingBytesAsString();
    std::string text;
    text.reserve(unit.size() * repeat);
    for (std::size_t i = 0; i < repeat; ++i)
        text += unit;

    check_utf8(text, ch);
    const std::string decoded = check_decoder(enc, text, ch, move_at);
    check_splitter(t, text, ch);
    check_splitter(t, decoded, ch);
    check_queue(knobs, enc, t, text, ch, decoded);
    return 0;
}
