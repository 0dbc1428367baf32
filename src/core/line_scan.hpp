// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_LINE_SCAN_HPP
#define BOOST_PROCESSKIT_SRC_CORE_LINE_SCAN_HPP

#include <boost/processkit/command.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#  include <emmintrin.h>
#endif

namespace boost {
namespace processkit {
namespace detail {

/// newline mode: where the content of the line [line, nl) of `text` ends,
/// `nl` being the offset of its '\n': one '\r' right before the '\n' is
/// dropped.
inline std::size_t newline_content_end(const char* text, std::size_t line, std::size_t nl) noexcept
{
    return (nl != line && text[nl - 1] == '\r') ? nl - 1 : nl;
}

/// The end of a line, as `line_scanner::find` reports it (offsets into the
/// text scanned).
struct line_end
{
    std::size_t stop;     ///< the line's content ends here: at its terminator, or at a '\r' dropped before a '\n'
    std::size_t next;     ///< right after the terminator: where the next line starts
    bool drop_carried_cr; ///< the dropped '\r' is the last byte of the text carried before the line's start
};

/// The line terminator rules, in one place: line_splitter and line_queue
/// both split with them.
///
/// - newline mode: '\n' ends a line and one '\r' right before it is dropped
///   (also when that '\r' ended the previous piece of text). Any other '\r'
///   is content, a lone '\r' at the end of the stream too.
/// - carriage_return mode: '\r', '\n' and "\r\n" each end one line. "\r\n"
///   counts once, also when the '\r' ends one piece of text and the '\n'
///   opens the next: a '\r' at the end of a piece ends its line at once, and
///   the scanner remembers to skip a '\n' opening the next piece (`resume`).
///
/// The text of a stream comes in pieces (the chunks of line_splitter, the
/// reads of line_queue), scanned in order: `resume` at the start of each,
/// then `find` or `each_line`; `reset` at the end of the stream. Positions
/// are offsets into the piece's `text`. The scanner holds no text: a line
/// that began in an earlier piece is the caller's to keep (line_queue keeps
/// it in place, in front of the new text; line_splitter copies it aside, and
/// tells `find` whether it ends with '\r').
///
/// line_queue::split has a fast path of its own for newline mode, with the
/// same rules: `scan_newlines` below.
class line_scanner
{
public:
    explicit line_scanner(line_terminator t) noexcept : cr_mode_(t == line_terminator::carriage_return) {}

    bool cr_mode() const noexcept { return cr_mode_; }

    /// At `p`, the start of a new piece [p, end) of `text`: returns where its
    /// first line starts (after a '\n' completing a "\r\n" whose '\r' ended
    /// the previous piece). An empty piece changes nothing.
    std::size_t resume(const char* text, std::size_t p, std::size_t end) noexcept
    {
        if (skip_lf_ && p != end)
        {
            skip_lf_ = false;
            if (text[p] == '\n')
                ++p;
        }
        return p;
    }

    /// Finds the first terminator in [from, end), ending the line that starts
    /// at `line` (`line <= from`; [line, from) holds no terminator). Returns
    /// false when there is none: the line goes on in the next piece.
    /// `carried_cr`: the line began in an earlier piece, kept elsewhere by
    /// the caller, and that text ends with '\r' (newline mode: then a '\n' at
    /// `line` drops it, and `out.drop_carried_cr` says so).
    bool find(const char* text, std::size_t line, std::size_t from, std::size_t end, line_end& out,
              bool carried_cr = false) noexcept
    {
        return cr_mode_ ? find_cr(text, from, end, out) : find_nl(text, line, from, end, carried_cr, out);
    }

    /// Calls `on_line(line, stop, next)` for every line that ends in
    /// [from, end), the first one starting at `line` (as for `find`): its
    /// content is [line, stop) and the next line starts at `next`. Returns
    /// where the unterminated rest starts.
    template <class F>
    std::size_t each_line(const char* text, std::size_t line, std::size_t from, std::size_t end, F&& on_line)
    {
        line_end le;
        if (cr_mode_)
            for (; find_cr(text, from, end, le); line = from = le.next)
                on_line(line, le.stop, le.next);
        else
            for (; find_nl(text, line, from, end, false, le); line = from = le.next)
                on_line(line, le.stop, le.next);
        return line;
    }

    /// At the end of the stream: the next piece starts a new stream.
    void reset() noexcept { skip_lf_ = false; }

private:
    static bool find_nl(const char* text, std::size_t line, std::size_t from, std::size_t end, bool carried_cr,
                        line_end& out) noexcept
    {
        auto* nl = static_cast<const char*>(std::memchr(text + from, '\n', end - from));
        if (!nl)
            return false;
        const auto e = static_cast<std::size_t>(nl - text);
        out.stop = newline_content_end(text, line, e);
        out.next = e + 1;
        out.drop_carried_cr = e == line && carried_cr;
        return true;
    }

    bool find_cr(const char* text, std::size_t p, std::size_t end, line_end& out) noexcept
    {
        while (p != end && text[p] != '\n' && text[p] != '\r')
            ++p;
        if (p == end)
            return false;
        out.stop = p;
        out.next = p + 1;
        out.drop_carried_cr = false;
        if (text[p] == '\r')
        {
            if (out.next == end)
                skip_lf_ = true; // a '\n' opening the next piece belongs to this '\r'
            else if (text[out.next] == '\n')
                ++out.next;
        }
        return true;
    }

    bool cr_mode_;
    bool skip_lf_ = false; ///< carriage_return mode: the last piece ended with '\r'
};

// ---------------------------------------------------------------------------
// newline mode's fast path

#if defined(__SSE2__)
/// Bit i is set when p[i] is '\n', for i in [0, 64).
inline std::uint64_t newline_mask(const char* p) noexcept
{
    const __m128i nl = _mm_set1_epi8('\n');
    auto* q = reinterpret_cast<const __m128i*>(p);
    auto m0 = static_cast<std::uint64_t>(
        static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(q), nl))));
    auto m1 = static_cast<std::uint64_t>(
        static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(q + 1), nl))));
    auto m2 = static_cast<std::uint64_t>(
        static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(q + 2), nl))));
    auto m3 = static_cast<std::uint64_t>(
        static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(q + 3), nl))));
    return m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
}
#endif

/// What `scan_newlines` found.
struct newline_scan
{
    std::size_t line;  ///< where the unterminated rest starts
    std::size_t bytes; ///< the sum of the sizes of the lines found
};

/// The fast path of newline mode, for line_queue::split when nothing
/// observes the lines and no limit applies: line_scanner's newline rules
/// (`newline_content_end`), applied to all of [from, end) at once. '\n' is
/// found 64 bytes at a time (SSE2), then with memchr. A measured hot path
/// (bench scenario 5, 10M lines): keep it lean.
///
/// Positions are offsets into `base`; the current line starts at `line`
/// (`line <= from`; [line, from) holds no '\n'). Each line found is appended
/// to `out` as a span {offset, size}; `out` is a line_store::span_array
/// (`room(k)` hands out room for k spans, `grow_to` takes what was written).
template <class Spans>
newline_scan scan_newlines(const char* base, std::size_t line, std::size_t from, std::size_t end, Spans& out)
{
    std::size_t p = from, ls = line, added = 0;
#if defined(__SSE2__)
    while (end - p >= 64)
    {
        std::uint64_t m = newline_mask(base + p);
        if (m != 0)
        {
            auto* o = out.room(64);
            do
            {
                std::size_t e = p + static_cast<std::size_t>(__builtin_ctzll(m));
                m &= m - 1;
                std::size_t ce = newline_content_end(base, ls, e);
                *o++ = {ls, ce - ls};
                added += ce - ls;
                ls = e + 1;
            } while (m != 0);
            out.grow_to(o);
        }
        p += 64;
    }
#endif
    for (;;)
    {
        auto* nl = static_cast<const char*>(std::memchr(base + p, '\n', end - p));
        if (!nl)
            break;
        std::size_t e = static_cast<std::size_t>(nl - base);
        std::size_t ce = newline_content_end(base, ls, e);
        out.push_back({ls, ce - ls});
        added += ce - ls;
        ls = p = e + 1;
    }
    return {ls, added};
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_LINE_SCAN_HPP
