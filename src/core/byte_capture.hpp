// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_BYTE_CAPTURE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_BYTE_CAPTURE_HPP

#include <boost/processkit/command.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace boost {
namespace processkit {
namespace detail {

/// Captured bytes of one stream bounded by the same policy, for
/// run-to-completion capture: max_bytes applies to bytes; max_lines counts
/// '\n'-terminated lines (a trailing partial line counts as one).
///
/// drop_newest keeps the first bytes/lines and ignores the rest; drop_oldest
/// keeps the last ones (amortized O(1) per byte: the dead prefix is compacted
/// away only once it exceeds the live size); error mode: append() returns
/// false once a limit would be exceeded (the bytes up to the limit are kept,
/// nothing beyond it).
class byte_capture
{
public:
    explicit byte_capture(output_buffer_policy p) : policy_(p), unbounded_(!p.max_lines && !p.max_bytes) {}

    /// Appends a chunk within the policy. Returns false only in error mode:
    /// from the call that first exceeds a limit on (every later call too).
    bool append(std::string_view chunk)
    {
        if (unbounded_)
        {
            buf_.append(chunk);
            return true;
        }
        if (policy_.mode == overflow_mode::drop_oldest)
        {
            append_ring(chunk);
            return true;
        }
        return append_prefix(chunk);
    }

    /// The kept bytes; the capture is empty afterwards (truncated() stays).
    std::string take()
    {
        std::string out = head_ == 0 ? std::move(buf_) : buf_.substr(head_);
        buf_.clear();
        head_ = 0;
        newlines_ = 0;
        return out;
    }

    /// The kept bytes, without taking them.
    std::string_view view() const noexcept { return std::string_view(buf_).substr(head_); }

    /// Whether any byte was dropped (or refused in error mode) so far.
    bool truncated() const noexcept { return truncated_; }

    /// No limit set: the caller may use its fast path.
    bool unbounded() const noexcept { return unbounded_; }

private:
    static std::size_t count_newlines(const char* p, const char* end) noexcept
    {
        std::size_t n = 0;
        while (p != end)
        {
            auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if (!nl)
                break;
            ++n;
            p = nl + 1;
        }
        return n;
    }

    std::size_t live() const noexcept { return buf_.size() - head_; }

    /// drop_newest and error: keep the longest prefix of the chunk allowed.
    bool append_prefix(std::string_view chunk)
    {
        if (stopped_)
            return policy_.mode != overflow_mode::error;
        std::size_t keep = chunk.size();
        if (policy_.max_bytes)
            keep = std::min(keep, *policy_.max_bytes - buf_.size());
        if (policy_.max_lines)
        {
            // Bytes after the max_lines-th '\n' would open one line too many.
            std::size_t lines = newlines_;
            const char* p = chunk.data();
            const char* const end = p + keep;
            if (lines >= *policy_.max_lines)
                keep = 0;
            while (keep != 0 && p != end)
            {
                auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
                if (!nl)
                    break;
                p = nl + 1;
                if (++lines == *policy_.max_lines)
                {
                    keep = static_cast<std::size_t>(p - chunk.data());
                    break;
                }
            }
            newlines_ = lines;
        }
        buf_.append(chunk.data(), keep);
        if (keep == chunk.size())
            return true;
        stopped_ = true;
        truncated_ = true;
        return policy_.mode != overflow_mode::error;
    }

    /// drop_oldest: append, then advance the live start past what is too old.
    void append_ring(std::string_view chunk)
    {
        if (policy_.max_bytes && chunk.size() >= *policy_.max_bytes)
        {
            // The chunk alone fills the limit: everything before it goes.
            if (live() != 0 || chunk.size() > *policy_.max_bytes)
                truncated_ = true;
            chunk.remove_prefix(chunk.size() - *policy_.max_bytes);
            buf_.clear();
            head_ = 0;
            newlines_ = 0;
        }
        buf_.append(chunk);
        if (policy_.max_lines)
        {
            newlines_ += count_newlines(chunk.data(), chunk.data() + chunk.size());
            std::size_t lines = newlines_ + (live() != 0 && buf_.back() != '\n' ? 1 : 0);
            if (lines > *policy_.max_lines)
            {
                truncated_ = true;
                for (std::size_t drop = lines - *policy_.max_lines; drop != 0; --drop)
                {
                    const char* p = buf_.data() + head_;
                    auto* nl = static_cast<const char*>(std::memchr(p, '\n', live()));
                    if (!nl)
                    {
                        head_ = buf_.size(); // the partial line (max_lines is 0)
                        break;
                    }
                    head_ = static_cast<std::size_t>(nl + 1 - buf_.data());
                    --newlines_;
                }
            }
        }
        if (policy_.max_bytes && live() > *policy_.max_bytes)
        {
            truncated_ = true;
            std::size_t start = buf_.size() - *policy_.max_bytes;
            if (policy_.max_lines)
                newlines_ -= count_newlines(buf_.data() + head_, buf_.data() + start);
            head_ = start;
        }
        if (head_ == buf_.size())
        {
            buf_.clear();
            head_ = 0;
        }
        else if (head_ > live())
        {
            buf_.erase(0, head_);
            head_ = 0;
        }
    }

    output_buffer_policy policy_;
    bool unbounded_;
    bool truncated_ = false;
    bool stopped_ = false; ///< drop_newest / error: a limit was reached
    std::string buf_;
    std::size_t head_ = 0;     ///< drop_oldest: start of the live bytes in buf_
    std::size_t newlines_ = 0; ///< '\n' in the live bytes (tracked with max_lines)
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_BYTE_CAPTURE_HPP
