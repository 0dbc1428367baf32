// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP

#include "line_scan.hpp"
#include "segment_pool.hpp"

#include <boost/processkit/command.hpp>
#include <boost/processkit/running_process.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

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
///
/// The storage (segments, their spans, the pool of spare buffers, the batch
/// storage) is in segment_pool.hpp, the terminator rules in line_scan.hpp.
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
        : policy_(p), bounded_(p.max_lines || p.max_bytes), scanner_(t)
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
    /// The rules are line_scanner's (line_scan.hpp). newline mode: '\n' ends
    /// a line and one '\r' right before it is dropped. carriage_return mode:
    /// '\r', '\n' and "\r\n" each end one line ("\r\n" counts once, also
    /// across reads).
    template <class F>
    void split(F&& observe)
    {
        if (segs_.empty())
            return;
        constexpr bool ignored = std::is_same_v<std::decay_t<F>, ignore_lines>;
        if (ignored && !scanner_.cr_mode() && !bounded_ && !discard_)
            split_fast();
        else
            split_scanned(observe);
    }

    /// At the end of the text: the unterminated rest, if non-empty, becomes a
    /// line (a lone pending '\r' in newline mode is kept as content).
    /// Precondition: nothing unchecked.
    template <class F>
    void finish(F&& observe)
    {
        scanner_.reset();
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
        add(off, line.size());
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
                n.carry_from(t, pb_);
                st->seg = std::move(t);
                segs_.back() = std::move(n);
                shift(pb_);
            }
        }
        count_ -= st->seg.live();
        bytes_ -= st->seg.bytes;
        return line_store::make_batch(std::move(st));
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
    using segment = line_store::segment;
    using segment_pool = line_store::segment_pool;
    using batch_storage = line_store::batch_storage;
    static_assert(segment_pool::max_kept == max_capacity);

    /// The fast path of `split`: newline mode, no observer, no limit (see
    /// scan_newlines); the lines found are stored as they are.
    void split_fast()
    {
        segment& t = segs_.back();
        const std::size_t n0 = t.lines.size();
        const newline_scan r = scan_newlines(t.buf.get(), pb_, scan_, ready_, t.lines);
        if (std::size_t n = t.lines.size() - n0; n != 0)
        {
            t.mark_run(n0, seq_);
            t.bytes += r.bytes;
            count_ += n;
            bytes_ += r.bytes;
        }
        pb_ = r.line;
        scan_ = ready_;
    }

    /// `split` in general: each line the scanner finds is observed, then
    /// stored within the policy.
    template <class F>
    void split_scanned(F& observe)
    {
        const char* const base = segs_.back().buf.get();
        std::size_t ls = pb_;
        const std::size_t p = scanner_.resume(base, scan_, ready_);
        if (p != scan_)
            ls = p; // skipped the '\n' of a "\r\n"
        pb_ = scanner_.each_line(base, ls, p, ready_, [&](std::size_t line, std::size_t stop, std::size_t next) {
            pb_ = scan_ = next; // consistent even if `observe` throws
            observe(std::string_view(base + line, stop - line));
            store(line, stop - line);
        });
        scan_ = ready_;
    }

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
            n.carry_from(*old, pb_);
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
            // Mostly dropped lines: move the queued lines and the partial
            // line down over the dead bytes between them.
            shift(pb_ - t.compact(pb_));
            if (t.cap - t.size >= want)
                return;
        }
        open_tail(std::max({hint_, need, 2 * carry}), &t);
    }

    /// Whether a line of `n` bytes can join the queue as it is.
    bool fits(std::size_t n) const noexcept
    {
        return (!policy_.max_lines || count_ < *policy_.max_lines) &&
               (!policy_.max_bytes || n <= *policy_.max_bytes - bytes_);
    }

    /// Queues the tail's line [off, off + len).
    void add(std::size_t off, std::size_t len)
    {
        segs_.back().add(off, len, seq_);
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
        add(off, len);
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
        add(off, len);
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
        const std::size_t len = f.drop_first();
        --count_;
        bytes_ -= len;
        if (f.live() != 0)
            return;
        if (segs_.size() > 1)
        {
            pool_->give(std::move(f));
            segs_.pop_front();
        }
        else
            f.clear_lines(); // the tail: its text stays (the partial line)
    }

    output_buffer_policy policy_;
    bool bounded_;
    line_scanner scanner_; ///< the terminator rules, and carriage_return mode's pending "\r\n"
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
    std::uint64_t seq_ = 0;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_LINE_QUEUE_HPP
