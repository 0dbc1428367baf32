// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/running_process.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#  include <emmintrin.h>
#endif

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

/// A FIFO of lines bounded by an output_buffer_policy: `max_lines` bounds the
/// number of queued lines, `max_bytes` the sum of their sizes (terminators
/// are not stored, so not counted). Each line carries the sequence number it
/// was stored with, so that two queues can be merged in arrival order.
///
/// @details The text lives in segments: buffers of up to `max_capacity`
/// bytes (more only for a single longer line), each with the spans
/// (offset, size) of its lines. New text is written in place at the end of
/// the last segment (the tail) and split there: a line costs a terminator
/// search and a span, no allocation of its own. The unterminated rest (the
/// partial line) stays at the end of the tail; when the tail is full it
/// moves to a fresh one. `take_batch()` hands a whole segment over to a
/// `line_batch` without copying; the buffer comes back for reuse when the
/// last copy of the batch dies. Nothing is allocated before the first text
/// arrives; the first tail is small (4 KiB) and tails grow while reads keep
/// filling them.
///
/// Two ways in: the writer API (`prepare`/`commit`, then `accept` the
/// checked bytes and `split`), used by live streams, and `push`, which
/// stores one given line (not to be mixed with a pending partial line).
class line_queue
{
public:
    static constexpr std::size_t min_capacity = 4 * 1024;
    static constexpr std::size_t max_capacity = line_stream::max_batch_bytes;

    /// The observer for `split` and `finish` that ignores lines (selects the fastest split).
    struct ignore_lines
    {
        void operator()(std::string_view) const noexcept {}
    };

    explicit line_queue(output_buffer_policy p, line_terminator t = line_terminator::newline)
        : policy_(p), bounded_(p.max_lines || p.max_bytes), cr_mode_(t == line_terminator::carriage_return)
    {
    }
    line_queue(const line_queue&) = delete;
    line_queue& operator=(const line_queue&) = delete;

    // ---- writer API ------------------------------------------------------

    /// Room for new text at the end of the tail (allocated on first use):
    /// at least `min_room` bytes, and at least a quarter of a tail.
    std::pair<char*, std::size_t> prepare(std::size_t min_room = 0)
    {
        std::size_t want = std::max(min_room, hint_ / 4);
        if (segs_.empty())
            open_tail(std::max(hint_, want), nullptr);
        else if (segment& t = segs_.back(); t.cap - t.size < want || oversized(t, want))
            make_room(want);
        segment& t = segs_.back();
        offered_ = t.cap - t.size;
        return {t.buf.get() + t.size, offered_};
    }

    /// `n` bytes were written at prepare()'s pointer: raw input, not yet
    /// checked (see `unchecked`). A read that filled all the room offered
    /// makes later tails bigger.
    void commit(std::size_t n) noexcept
    {
        segs_.back().size += n;
        if (n == offered_ && hint_ < max_capacity)
            hint_ *= 2;
    }

    /// The committed bytes not yet accepted as text.
    std::string_view unchecked() const noexcept
    {
        if (segs_.empty())
            return {};
        const segment& t = segs_.back();
        return std::string_view(t.buf.get() + ready_, t.size - ready_);
    }
    /// The first `n` unchecked bytes are text, ready to be split.
    void accept(std::size_t n) noexcept { ready_ += n; }
    /// Forgets the unchecked bytes (the caller converted them elsewhere).
    void discard_unchecked() noexcept
    {
        if (!segs_.empty())
            segs_.back().size = ready_;
    }
    /// Appends text (already checked) after the accepted text. Precondition:
    /// nothing unchecked.
    void append_text(std::string_view text)
    {
        if (text.empty())
            return;
        auto [p, room] = prepare(text.size());
        (void)room;
        std::memcpy(p, text.data(), text.size());
        segs_.back().size += text.size();
        ready_ += text.size();
    }

    /// The sequence number given to the lines the next `split` stores.
    void set_seq(std::uint64_t seq) noexcept { seq_ = seq; }

    /// Splits the accepted text into lines: calls `observe(std::string_view)`
    /// for every complete line (terminator stripped), then stores it within
    /// the policy. Over an error-mode limit, the line is refused, `refused()`
    /// becomes true and nothing more is stored (lines are still observed).
    ///
    /// newline mode: '\n' ends a line and one '\r' right before it is dropped.
    /// carriage_return mode: '\r', '\n' and "\r\n" each end one line ("\r\n"
    /// counts once, also across reads).
    template <class F>
    void split(F&& observe)
    {
        if (segs_.empty())
            return;
        segment& t = segs_.back();
        const char* const base = t.buf.get();
        std::size_t p = scan_, ls = pb_;
        const std::size_t end = ready_;
        constexpr bool ignored = std::is_same_v<std::decay_t<F>, ignore_lines>;
        if (ignored && !cr_mode_ && !bounded_ && !discard_)
        {
            // The hot path: a span per line, found 64 bytes at a time.
            const std::size_t n0 = t.lines.size();
            std::size_t added = 0;
#if defined(__SSE2__)
            while (end - p >= 64)
            {
                std::uint64_t m = newline_mask(base + p);
                if (m != 0)
                {
                    line_span* out = t.lines.room(64);
                    do
                    {
                        std::size_t e = p + static_cast<std::size_t>(__builtin_ctzll(m));
                        m &= m - 1;
                        std::size_t ce = (e != ls && base[e - 1] == '\r') ? e - 1 : e;
                        *out++ = line_span{ls, ce - ls};
                        added += ce - ls;
                        ls = e + 1;
                    } while (m != 0);
                    t.lines.grow_to(out);
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
                std::size_t ce = (e != ls && base[e - 1] == '\r') ? e - 1 : e;
                t.lines.push_back(line_span{ls, ce - ls});
                added += ce - ls;
                ls = p = e + 1;
            }
            std::size_t n = t.lines.size() - n0;
            if (n != 0)
            {
                if (t.runs.empty() || t.runs.back().seq != seq_)
                    t.runs.push_back(seq_run{n0, seq_});
                t.bytes += added;
                count_ += n;
                bytes_ += added;
            }
            pb_ = ls;
            scan_ = end;
            return;
        }
        auto emit = [&](std::size_t off, std::size_t len) {
            observe(std::string_view(base + off, len));
            store(off, len);
        };
        if (!cr_mode_)
        {
            for (;;)
            {
                auto* nl = static_cast<const char*>(std::memchr(base + p, '\n', end - p));
                if (!nl)
                {
                    p = end;
                    break;
                }
                std::size_t e = static_cast<std::size_t>(nl - base);
                std::size_t ce = (e != ls && base[e - 1] == '\r') ? e - 1 : e;
                std::size_t line = ls;
                ls = p = e + 1;
                pb_ = scan_ = ls; // consistent even if `observe` throws
                emit(line, ce - line);
            }
        }
        else
        {
            if (skip_lf_ && p != end)
            {
                skip_lf_ = false;
                if (base[p] == '\n')
                    ls = ++p;
            }
            while (p != end)
            {
                std::size_t e = p;
                while (e != end && base[e] != '\n' && base[e] != '\r')
                    ++e;
                if (e == end)
                {
                    p = end;
                    break;
                }
                std::size_t next = e + 1;
                if (base[e] == '\r')
                {
                    if (next == end)
                        skip_lf_ = true; // a '\n' opening the next text belongs to this '\r'
                    else if (base[next] == '\n')
                        ++next;
                }
                std::size_t line = ls;
                ls = p = next;
                pb_ = scan_ = ls;
                emit(line, e - line);
            }
        }
        pb_ = ls;
        scan_ = p;
    }

    /// At the end of the text: the unterminated rest, if non-empty, becomes a
    /// line (a lone pending '\r' in newline mode is kept as content).
    /// Precondition: nothing unchecked.
    template <class F>
    void finish(F&& observe)
    {
        skip_lf_ = false;
        if (segs_.empty() || ready_ == pb_)
            return;
        const char* base = segs_.back().buf.get();
        std::size_t off = pb_, len = ready_ - pb_;
        pb_ = scan_ = ready_;
        observe(std::string_view(base + off, len));
        store(off, len);
    }

    /// The unterminated text received so far (for prompts such as
    /// "password: "). In newline mode a '\r' that may still be followed by
    /// '\n' is part of it.
    std::string_view partial() const noexcept
    {
        if (segs_.empty())
            return {};
        return std::string_view(segs_.back().buf.get() + pb_, ready_ - pb_);
    }

    /// An error-mode limit refused a line during `split` or `finish`.
    bool refused() const noexcept { return refused_; }

    /// Frees what holds no line (after the end of the text).
    void release_unused()
    {
        if (!segs_.empty() && segs_.back().live() == 0 && segs_.back().size == pb_)
        {
            pool_->give(std::move(segs_.back()));
            segs_.pop_back();
            pb_ = scan_ = ready_ = 0;
        }
        if (segs_.empty())
            pool_->clear();
    }

    // ---- lines -----------------------------------------------------------

    /// Adds a line. Over a limit: drop_oldest pops from the front until within
    /// bounds (a single line longer than max_bytes is kept alone, truncated to
    /// its last max_bytes bytes); drop_newest discards the new line; error
    /// mode returns false and stores nothing. Sets truncated() whenever
    /// anything was dropped or refused. Precondition: no partial line.
    bool push(std::string_view line, std::uint64_t seq = 0)
    {
        auto [p, room] = prepare(line.size());
        (void)room;
        if (!line.empty())
            std::memcpy(p, line.data(), line.size());
        segment& t = segs_.back();
        std::size_t off = t.size;
        t.size += line.size();
        pb_ = scan_ = ready_ = t.size;
        seq_ = seq;
        if (bounded_ && !fits(line.size()))
            return store_over_limit(off, line.size());
        add(t, off, line.size());
        return true;
    }

    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }
    /// The sum of the queued lines' sizes.
    std::size_t bytes() const noexcept { return bytes_; }

    /// Removes and returns the oldest line. Precondition: !empty().
    std::string pop()
    {
        segment& f = segs_.front();
        const line_span sp = f.lines[f.head];
        std::string line(f.buf.get() + sp.offset, sp.size);
        drop_front();
        return line;
    }

    /// Removes the oldest lines, at most one segment of them, and returns
    /// them as a batch sharing their buffer. Precondition: !empty().
    line_batch take_batch()
    {
        auto st = std::make_shared<batch_storage>();
        st->pool = pool_;
        if (segs_.size() > 1)
        {
            st->seg = std::move(segs_.front());
            segs_.pop_front();
        }
        else
        {
            segment& t = segs_.back();
            std::size_t carry = t.size - pb_;
            if (carry == 0)
            {
                st->seg = std::move(t);
                segs_.pop_back();
                pb_ = scan_ = ready_ = 0;
            }
            else
            {
                // The partial line (and unchecked bytes) move to a new tail.
                segment n = pool_->get(std::max(hint_, carry + hint_ / 4));
                std::memcpy(n.buf.get(), t.buf.get() + pb_, carry);
                n.size = carry;
                st->seg = std::move(t);
                segs_.back() = std::move(n);
                shift(pb_);
            }
        }
        segment& s = st->seg;
        count_ -= s.live();
        bytes_ -= s.bytes;
        const char* text = s.buf.get();
        const line_span* lines = s.lines.data() + s.head;
        std::size_t n = s.live(), b = s.bytes;
        return line_batch_access::make(text, lines, n, b, std::move(st));
    }

    /// The sequence number of the oldest line. Precondition: !empty().
    std::uint64_t front_seq() const noexcept
    {
        const segment& f = segs_.front();
        return f.runs[f.run_head].seq;
    }

    /// Visits the queued lines, oldest first, without removing them.
    template <class F>
    void for_each(F&& f) const
    {
        for (const segment& s : segs_)
            for (std::size_t i = s.head; i < s.lines.size(); ++i)
                f(std::string_view(s.buf.get() + s.lines[i].offset, s.lines[i].size));
    }

    /// Whether any line was dropped (or refused in error mode) so far. May be
    /// read from any thread.
    bool truncated() const noexcept { return truncated_.load(std::memory_order_relaxed); }

private:
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
    };

    /// Spare buffers, shared with the batches given out: a batch's buffer
    /// comes back here when the batch dies (on any thread), so that a busy
    /// stream keeps reusing warm memory instead of faulting in fresh pages.
    class segment_pool
    {
    public:
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
            if (!s.buf || s.cap > max_capacity)
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

#if defined(__SSE2__)
    /// Bit i is set when p[i] is '\n', for i in [0, 64).
    static std::uint64_t newline_mask(const char* p) noexcept
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

    void shift(std::size_t d) noexcept
    {
        pb_ -= d;
        scan_ -= d;
        ready_ -= d;
    }

    /// Opens a tail of `cap` bytes holding `carry` (the old tail's text from
    /// pb_ on); the old tail is kept if it still holds lines.
    void open_tail(std::size_t cap, segment* old)
    {
        segment n = pool_->get(cap);
        if (old)
        {
            std::size_t carry = old->size - pb_;
            std::memcpy(n.buf.get(), old->buf.get() + pb_, carry);
            n.size = carry;
            shift(pb_);
            if (old->live() == 0)
            {
                pool_->give(std::move(*old));
                segs_.pop_back();
            }
        }
        segs_.push_back(std::move(n));
    }

    /// A tail enlarged for a long line, once that line is complete: it takes
    /// no more lines (batches stay bounded) and goes as soon as it is consumed.
    bool oversized(const segment& t, std::size_t want) const noexcept
    {
        return t.cap > max_capacity && t.size - pb_ + want <= max_capacity;
    }

    /// Makes `want` bytes of room at the end of the tail.
    void make_room(std::size_t want)
    {
        segment& t = segs_.back();
        const std::size_t carry = t.size - pb_;
        const std::size_t need = carry + want;
        if (oversized(t, want))
        {
            open_tail(std::max(hint_, need), &t);
            return;
        }
        if (t.live() == 0 && t.cap >= need && t.cap >= hint_)
        {
            // Nothing queued here: move the partial line to the front.
            std::memmove(t.buf.get(), t.buf.get() + pb_, carry);
            t.size = carry;
            t.clear_lines();
            shift(pb_);
            return;
        }
        if (bounded_ && t.live() != 0 && 2 * t.bytes < pb_)
        {
            // Mostly dropped lines: compact in place.
            compact(t);
            if (t.cap - t.size >= want)
                return;
        }
        open_tail(std::max({hint_, need, 2 * carry}), &t);
    }

    /// Moves the tail's queued lines and its partial line down over the dead
    /// bytes between them.
    void compact(segment& t)
    {
        char* b = t.buf.get();
        std::size_t w = 0;
        span_array lines;
        lines.reserve(t.live());
        for (std::size_t i = t.head; i < t.lines.size(); ++i)
        {
            line_span sp = t.lines[i];
            std::memmove(b + w, b + sp.offset, sp.size);
            lines.push_back(line_span{w, sp.size});
            w += sp.size;
        }
        std::vector<seq_run> runs;
        for (std::size_t r = t.run_head; r < t.runs.size(); ++r)
            runs.push_back(seq_run{t.runs[r].first > t.head ? t.runs[r].first - t.head : 0, t.runs[r].seq});
        const std::size_t carry = t.size - pb_;
        std::memmove(b + w, b + pb_, carry);
        shift(pb_ - w);
        t.size = w + carry;
        t.lines.swap(lines);
        t.head = 0;
        t.runs.swap(runs);
        t.run_head = 0;
    }

    /// Whether a line of `n` bytes can join the queue as it is.
    bool fits(std::size_t n) const noexcept
    {
        return (!policy_.max_lines || count_ < *policy_.max_lines) &&
               (!policy_.max_bytes || n <= *policy_.max_bytes - bytes_);
    }

    void add(segment& t, std::size_t off, std::size_t len)
    {
        if (t.runs.empty() || t.runs.back().seq != seq_)
            t.runs.push_back(seq_run{t.lines.size(), seq_});
        t.lines.push_back(line_span{off, len});
        t.bytes += len;
        ++count_;
        bytes_ += len;
    }

    /// Stores the tail's line [off, off + len) within the policy.
    void store(std::size_t off, std::size_t len)
    {
        if (discard_)
            return;
        if (bounded_ && !fits(len))
        {
            if (!store_over_limit(off, len))
            {
                refused_ = true;
                discard_ = true; // keep draining, keep nothing
            }
            return;
        }
        add(segs_.back(), off, len);
    }

    bool store_over_limit(std::size_t off, std::size_t len)
    {
        truncated_.store(true, std::memory_order_relaxed);
        if (policy_.mode == overflow_mode::error)
            return false;
        if (policy_.mode == overflow_mode::drop_newest)
            return true;
        if (policy_.max_lines && *policy_.max_lines == 0)
        {
            clear_all(); // nothing can be kept (and nothing was)
            return true;
        }
        if (policy_.max_bytes && len > *policy_.max_bytes)
        {
            // Kept alone, its newest bytes only -- from the first whole
            // character on, so the line stays valid UTF-8.
            off += len - *policy_.max_bytes;
            len = *policy_.max_bytes;
            const char* text = segs_.back().buf.get();
            while (len != 0 && (static_cast<unsigned char>(text[off]) & 0xC0) == 0x80)
                ++off, --len;
            clear_all();
        }
        while (count_ != 0 && !fits(len))
            drop_front();
        add(segs_.back(), off, len);
        return true;
    }

    void clear_all()
    {
        while (segs_.size() > 1)
        {
            pool_->give(std::move(segs_.front()));
            segs_.pop_front();
        }
        if (!segs_.empty())
            segs_.back().clear_lines();
        count_ = 0;
        bytes_ = 0;
    }

    /// Removes the oldest line. Precondition: !empty().
    void drop_front()
    {
        segment& f = segs_.front();
        const std::size_t len = f.lines[f.head].size;
        ++f.head;
        f.bytes -= len;
        --count_;
        bytes_ -= len;
        if (f.head == f.lines.size())
        {
            if (segs_.size() > 1)
            {
                pool_->give(std::move(f));
                segs_.pop_front();
            }
            else
                f.clear_lines(); // the tail: its text stays (the partial line)
            return;
        }
        while (f.run_head + 1 < f.runs.size() && f.runs[f.run_head + 1].first <= f.head)
            ++f.run_head;
    }

    output_buffer_policy policy_;
    bool bounded_;
    bool cr_mode_;
    std::atomic<bool> truncated_{false};
    bool discard_ = false; ///< error mode: a limit was hit, nothing more is kept
    bool refused_ = false;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
    std::deque<segment> segs_;
    std::shared_ptr<segment_pool> pool_ = std::make_shared<segment_pool>();
    std::size_t hint_ = min_capacity; ///< capacity of the next tail
    std::size_t offered_ = 0;         ///< room offered by the last prepare()
    // Positions in the tail: [pb_, ready_) is the partial line ([pb_, scan_)
    // holds no terminator), [ready_, size) the unchecked bytes.
    std::size_t pb_ = 0;
    std::size_t scan_ = 0;
    std::size_t ready_ = 0;
    bool skip_lf_ = false; ///< carriage_return mode: the text so far ended with '\r'
    std::uint64_t seq_ = 0;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP
