// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_SEGMENT_POOL_HPP
#define BOOST_PROCESSKIT_SRC_CORE_SEGMENT_POOL_HPP

#include <boost/processkit/running_process.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// Gives the library access to `line_batch`'s internals.
struct line_batch_access
{
    static line_batch make(const char* text, const line_span* lines, std::size_t n, std::size_t bytes,
                           std::shared_ptr<const void> keep) noexcept
    {
        line_batch b;
        b.text_ = text;
        b.lines_ = lines;
        b.size_ = n;
        b.bytes_ = bytes;
        b.keep_ = std::move(keep);
        return b;
    }
};

/// The storage of `line_queue` (line_queue.hpp): text segments, their line
/// spans, and the pool their buffers return to.
namespace line_store {

/// Lines stored with the same sequence number, from `first` on.
struct seq_run
{
    std::size_t first; ///< index of the run's first line in `lines`
    std::uint64_t seq;
};

/// A growable array of spans: a vector that can hand out room to fill
/// without initializing it (the split loop writes spans through a
/// pointer, checking room once per block of text, not once per line).
class span_array
{
public:
    std::size_t size() const noexcept { return size_; }
    const line_span* data() const noexcept { return data_.get(); }
    line_span& operator[](std::size_t i) noexcept { return data_[i]; }
    const line_span& operator[](std::size_t i) const noexcept { return data_[i]; }
    void clear() noexcept { size_ = 0; }
    void reserve(std::size_t n)
    {
        if (n <= cap_)
            return;
        std::unique_ptr<line_span[]> d(new line_span[n]); // not initialized
        if (size_ != 0)
            std::memcpy(d.get(), data_.get(), size_ * sizeof(line_span));
        data_ = std::move(d);
        cap_ = n;
    }
    /// Room for `k` more spans at end().
    line_span* room(std::size_t k)
    {
        if (cap_ - size_ < k)
            reserve(std::max({cap_ * 2, size_ + k, std::size_t(256)}));
        return data_.get() + size_;
    }
    /// `end` is room()'s pointer advanced past the spans written.
    void grow_to(const line_span* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }
    void push_back(line_span sp)
    {
        *room(1) = sp;
        ++size_;
    }
    void swap(span_array& o) noexcept
    {
        data_.swap(o.data_);
        std::swap(size_, o.size_);
        std::swap(cap_, o.cap_);
    }

private:
    std::unique_ptr<line_span[]> data_;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

/// A text buffer and the lines stored in it.
struct segment
{
    std::unique_ptr<char[]> buf;
    std::size_t cap = 0;
    std::size_t size = 0; ///< bytes of text written
    span_array lines;     ///< lines[head..] are queued
    std::size_t head = 0;
    std::size_t bytes = 0;     ///< sum of the queued lines' sizes
    std::vector<seq_run> runs; ///< runs[run_head] holds lines[head]
    std::size_t run_head = 0;

    std::size_t live() const noexcept { return lines.size() - head; }
    void clear_lines() noexcept
    {
        lines.clear();
        head = 0;
        bytes = 0;
        runs.clear();
        run_head = 0;
    }

    /// The lines from index `first` on carry sequence number `seq`.
    void mark_run(std::size_t first, std::uint64_t seq)
    {
        if (runs.empty() || runs.back().seq != seq)
            runs.push_back(seq_run{first, seq});
    }
    /// Stores the line [off, off + len) of the text.
    void add(std::size_t off, std::size_t len, std::uint64_t seq)
    {
        mark_run(lines.size(), seq);
        lines.push_back(line_span{off, len});
        bytes += len;
    }
    /// Removes the oldest line and returns its size (once none is left, the
    /// caller recycles or clears the segment). Precondition: live() != 0.
    std::size_t drop_first() noexcept
    {
        const std::size_t len = lines[head].size;
        ++head;
        bytes -= len;
        if (head != lines.size())
            while (run_head + 1 < runs.size() && runs[run_head + 1].first <= head)
                ++run_head;
        return len;
    }

    /// Copies the text of `old` from `from` on into this empty segment.
    void carry_from(const segment& old, std::size_t from) noexcept
    {
        size = old.size - from;
        std::memcpy(buf.get(), old.buf.get() + from, size);
    }

    /// Moves the queued lines and the text from `from` on (the partial line)
    /// down over the dead bytes between them; returns where the text from
    /// `from` now begins.
    std::size_t compact(std::size_t from)
    {
        char* b = buf.get();
        std::size_t w = 0;
        span_array moved;
        moved.reserve(live());
        for (std::size_t i = head; i < lines.size(); ++i)
        {
            line_span sp = lines[i];
            std::memmove(b + w, b + sp.offset, sp.size);
            moved.push_back(line_span{w, sp.size});
            w += sp.size;
        }
        std::vector<seq_run> moved_runs;
        for (std::size_t r = run_head; r < runs.size(); ++r)
            moved_runs.push_back(seq_run{runs[r].first > head ? runs[r].first - head : 0, runs[r].seq});
        const std::size_t carry = size - from;
        std::memmove(b + w, b + from, carry);
        size = w + carry;
        lines.swap(moved);
        head = 0;
        runs.swap(moved_runs);
        run_head = 0;
        return w;
    }
};

/// Spare buffers, shared with the batches given out: a batch's buffer
/// comes back here when the batch dies (on any thread), so that a busy
/// stream keeps reusing warm memory instead of faulting in fresh pages.
class segment_pool
{
public:
    /// Buffers larger than this (tails enlarged for one long line) are not kept.
    static constexpr std::size_t max_kept = line_stream::max_batch_bytes;

    segment get(std::size_t cap)
    {
        {
            std::lock_guard<std::mutex> lock(mu_);
            // Spares too small for this request are stale (tails only grow).
            std::erase_if(spare_, [cap](const segment& s) { return s.cap < cap; });
            if (!spare_.empty())
            {
                segment s = std::move(spare_.back());
                spare_.pop_back();
                return s;
            }
        }
        segment s;
        s.buf.reset(new char[cap]); // not zero-filled: only written bytes are ever read
        s.cap = cap;
        s.lines.reserve(cap / 8);
        return s;
    }
    void give(segment&& s)
    {
        if (!s.buf || s.cap > max_kept)
            return;
        s.size = 0;
        s.clear_lines();
        std::lock_guard<std::mutex> lock(mu_);
        if (spare_.size() < max_spares)
        {
            spare_.push_back(std::move(s));
            return;
        }
        auto smallest = std::min_element(spare_.begin(), spare_.end(),
                                         [](const segment& a, const segment& b) { return a.cap < b.cap; });
        if (smallest->cap < s.cap)
            *smallest = std::move(s);
    }
    void clear()
    {
        std::vector<segment> gone;
        std::lock_guard<std::mutex> lock(mu_);
        gone.swap(spare_);
    }

private:
    static constexpr std::size_t max_spares = 2;
    std::mutex mu_;
    std::vector<segment> spare_;
};

/// What a `line_batch` keeps alive: its segment, given back to the pool
/// when the last copy of the batch dies.
struct batch_storage
{
    segment seg;
    std::shared_ptr<segment_pool> pool;
    batch_storage() = default;
    batch_storage(const batch_storage&) = delete;
    batch_storage& operator=(const batch_storage&) = delete;
    ~batch_storage()
    {
        if (pool)
            pool->give(std::move(seg));
    }
};

/// A batch of the queued lines of `st`'s segment, sharing its buffer.
inline line_batch make_batch(std::shared_ptr<batch_storage> st) noexcept
{
    const segment& s = st->seg;
    const char* text = s.buf.get();
    const line_span* lines = s.lines.data() + s.head;
    std::size_t n = s.live(), b = s.bytes;
    return line_batch_access::make(text, lines, n, b, std::move(st));
}

} // namespace line_store
} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_SEGMENT_POOL_HPP
