// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP
#define BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP

#include "line_scan.hpp"

#include <boost/processkit/command.hpp>

#include <cstddef>
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
    explicit line_splitter(line_terminator t) noexcept : scan_(t) {}

    /// Feeds a chunk; calls emit(std::string_view line) for every complete
    /// line, terminator stripped, with the rules of `line_scanner`
    /// (line_scan.hpp):
    ///
    /// newline mode: '\n' ends a line and one '\r' right before it is dropped
    /// (also when "\r" and "\n" arrive in different chunks).
    /// carriage_return mode: '\r', '\n' and "\r\n" each end one line ("\r\n"
    /// counts once, also across chunk boundaries).
    template <class F>
    void feed(std::string_view chunk, F&& emit)
    {
        const char* const text = chunk.data();
        const std::size_t end = chunk.size();
        std::size_t p = scan_.resume(text, 0, end);
        if (p == end)
            return;
        if (!buf_.empty())
        {
            // The first line continues the carried data.
            line_end le;
            if (!scan_.find(text, p, p, end, le, buf_.back() == '\r'))
            {
                buf_.append(text + p, end - p);
                return;
            }
            buf_.append(text + p, le.stop - p);
            if (le.drop_carried_cr)
                buf_.pop_back();
            p = le.next;
            clear_on_exit guard{buf_};
            emit(std::string_view(buf_));
        }
        p = scan_.each_line(text, p, p, end, [&](std::size_t line, std::size_t stop, std::size_t) {
            emit(std::string_view(text + line, stop - line));
        });
        if (p != end)
            buf_.assign(text + p, end - p);
    }

    /// At EOF: emits the unterminated rest if non-empty (a lone pending '\r'
    /// in newline mode is kept as content). The splitter is then empty and
    /// may be reused for another stream.
    template <class F>
    void finish(F&& emit)
    {
        scan_.reset();
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

    std::string buf_; ///< the unterminated rest carried to the next chunk
    line_scanner scan_;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_LINE_SPLITTER_HPP
