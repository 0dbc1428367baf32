// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP
#define BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP

#include <boost/processkit/command.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace boost {
namespace processkit {
namespace detail {

/// Splits a byte stream into lines, without any I/O: chunks go in, complete
/// lines come out through a callback.
///
/// A line lying wholly inside a chunk is passed as a view into that chunk
/// (no copy); only the unterminated rest of a chunk is carried over in an
/// internal buffer. The views passed to the callback are valid only during
/// the call.
class line_splitter
{
public:
    explicit line_splitter(line_terminator t) noexcept : cr_mode_(t == line_terminator::carriage_return) {}

    /// Feeds a chunk; calls emit(std::string_view line) for every complete
    /// line, terminator stripped.
    ///
    /// newline mode: '\n' ends a line and one '\r' right before it is dropped
    /// (also when "\r" and "\n" arrive in different chunks).
    /// carriage_return mode: '\r', '\n' and "\r\n" each end one line ("\r\n"
    /// counts once, also across chunk boundaries).
    template <class F>
    void feed(std::string_view chunk, F&& emit)
    {
        if (cr_mode_)
            feed_cr(chunk, emit);
        else
            feed_nl(chunk, emit);
    }

    /// At EOF: emits the unterminated rest if non-empty (a lone pending '\r'
    /// in newline mode is kept as content). The splitter is then empty and
    /// may be reused for another stream.
    template <class F>
    void finish(F&& emit)
    {
        skip_lf_ = false;
        if (buf_.empty())
            return;
        clear_on_exit guard{buf_};
        emit(std::string_view(buf_));
    }

    /// The unterminated data received so far (for prompts such as
    /// "password: "). In newline mode a '\r' that may still be followed by
    /// '\n' is part of it.
    std::string_view partial() const noexcept { return buf_; }

private:
    /// Empties the carry-over buffer once its line was emitted, even when the
    /// callback throws (the line must not be emitted twice).
    struct clear_on_exit
    {
        std::string& s;
        ~clear_on_exit() { s.clear(); }
    };

    template <class F>
    void emit_carried(const char* p, std::size_t n, bool strip_cr, F& emit)
    {
        buf_.append(p, n);
        if (strip_cr && !buf_.empty() && buf_.back() == '\r')
            buf_.pop_back();
        clear_on_exit guard{buf_};
        emit(std::string_view(buf_));
    }

    template <class F>
    void feed_nl(std::string_view chunk, F& emit)
    {
        const char* p = chunk.data();
        const char* const end = p + chunk.size();
        if (p == end)
            return;
        if (!buf_.empty())
        {
            auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if (!nl)
            {
                buf_.append(p, end);
                return;
            }
            const char* next = nl + 1;
            emit_carried(p, static_cast<std::size_t>(nl - p), true, emit);
            p = next;
        }
        while (p != end)
        {
            auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if (!nl)
            {
                buf_.assign(p, end);
                return;
            }
            const char* e = (nl != p && nl[-1] == '\r') ? nl - 1 : nl;
            const char* line = p;
            p = nl + 1;
            emit(std::string_view(line, static_cast<std::size_t>(e - line)));
        }
    }

    static const char* find_terminator(const char* p, const char* end) noexcept
    {
        while (p != end && *p != '\n' && *p != '\r')
            ++p;
        return p;
    }

    template <class F>
    void feed_cr(std::string_view chunk, F& emit)
    {
        const char* p = chunk.data();
        const char* const end = p + chunk.size();
        if (p == end)
            return;
        if (skip_lf_)
        {
            skip_lf_ = false;
            if (*p == '\n')
                ++p;
        }
        while (p != end)
        {
            const char* t = find_terminator(p, end);
            if (t == end)
            {
                buf_.append(p, end);
                return;
            }
            const char* line = p;
            p = t + 1;
            if (*t == '\r')
            {
                if (p == end)
                    skip_lf_ = true; // a '\n' opening the next chunk belongs to this '\r'
                else if (*p == '\n')
                    ++p;
            }
            if (buf_.empty())
                emit(std::string_view(line, static_cast<std::size_t>(t - line)));
            else
                emit_carried(line, static_cast<std::size_t>(t - line), false, emit);
        }
    }

    std::string buf_; ///< the unterminated rest carried to the next chunk
    bool cr_mode_;
    bool skip_lf_ = false; ///< carriage_return mode: the last chunk ended with '\r'
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP
