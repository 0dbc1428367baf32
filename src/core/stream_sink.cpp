// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "stream_sink.hpp"
#include "utf8.hpp"

namespace boost {
namespace processkit {
namespace detail {
namespace {

const line_handler& tee_of(const command& cmd, int which) { return which == 0 ? cmd.stdout_tee() : cmd.stderr_tee(); }

const std::string& encoding_of(const command& cmd, int which)
{
    return which == 0 ? cmd.stdout_encoding_value() : cmd.stderr_encoding_value();
}

// What sees every line before it is stored: the tee and the probes.
struct line_observer
{
    const line_handler& tee;
    const text_hook& hook;
    void operator()(std::string_view line) const
    {
        if (tee)
            tee(line);
        if (hook.line)
            hook.line(hook.ctx, line);
    }
};

} // namespace

result<std::unique_ptr<stream_sink>> stream_sink::create(const command& cmd, int which, product p)
{
    // Every encoding is checked, also one whose decoder is not needed (a
    // capture without a tee keeps raw bytes): before anything is spawned.
    auto dec = decoder::create(encoding_of(cmd, which));
    if (!dec)
        return dec.error();
    std::optional<decoder> kept;
    if (p == product::lines || tee_of(cmd, which))
        kept.emplace(std::move(dec).value());
    return std::make_unique<stream_sink>(cmd, which, p, std::move(kept));
}

stream_sink::stream_sink(const command& cmd, int which, product p, std::optional<decoder> dec)
    : tee_(tee_of(cmd, which)), product_(p), dec_(std::move(dec))
{
    const auto& policy = cmd.buffer_policy();
    if (p == product::lines)
    {
        queue_ = std::make_unique<line_queue>(policy, cmd.line_end_value());
        in_place_ = is_utf8_name(encoding_of(cmd, which));
        return;
    }
    if (policy.max_bytes || policy.max_lines)
        bounded_ = std::make_unique<byte_capture>(policy);
    if (tee_)
        tee_split_ = std::make_unique<line_splitter>(cmd.line_end_value());
}

std::pair<char*, std::size_t> stream_sink::prepare()
{
    if (product_ == product::lines)
        return queue_->prepare();
    if (!chunk_)
        chunk_.reset(new char[read_chunk]); // uninitialised: only what a read fills is touched
    return {chunk_.get(), read_chunk};
}

void stream_sink::commit(std::size_t n, const text_hook& hook, std::uint64_t seq)
{
    seen_ += n;
    if (product_ == product::lines)
        commit_lines(n, hook, seq);
    else
        commit_bytes(std::string_view(chunk_.get(), n));
}

// A chunk of a capture: tee its lines (as text), keep its bytes.
void stream_sink::commit_bytes(std::string_view data)
{
    if (tee_split_)
    {
        decoded_.clear();
        dec_->feed(data, decoded_);
        tee_split_->feed(decoded_, tee_);
    }
    if (!bounded_)
        unbounded_.append(data);
    else if (!bounded_->append(data))
        limit_hit_ = true;
}

void stream_sink::commit_lines(std::size_t n, const text_hook& hook, std::uint64_t seq)
{
    queue_->commit(n);
    check_text();
    queue_->set_seq(seq);
    split(hook);
}

// Converts the unchecked bytes through the decoder and appends the result.
void stream_sink::decode_unchecked()
{
    auto raw = queue_->unchecked();
    if (raw.empty())
        return;
    decoded_.clear();
    dec_->feed(raw, decoded_);
    queue_->discard_unchecked();
    queue_->append_text(decoded_);
}

// Turns the bytes just read into text: in place while they are valid UTF-8
// (a sequence cut short waits for the next read), else through the decoder.
void stream_sink::check_text()
{
    if (in_place_)
    {
        auto raw = queue_->unchecked();
        bool invalid = false;
        queue_->accept(valid_utf8_prefix(raw.data(), raw.size(), invalid));
        if (!invalid)
            return;
        in_place_ = false; // replaces the invalid bytes from here on
    }
    decode_unchecked();
}

// Calls fn(observer) with the cheapest observer that does the job.
template <class Fn>
void stream_sink::with_observer(const text_hook& hook, Fn fn)
{
    if (tee_ || hook.line)
        fn(line_observer{tee_, hook});
    else
        fn(line_queue::ignore_lines{});
}

void stream_sink::split(const text_hook& hook)
{
    with_observer(hook, [&](auto obs) { queue_->split(obs); });
    if (queue_->refused())
        limit_hit_ = true;
    if (hook.partial && !queue_->partial().empty())
        hook.partial(hook.ctx, queue_->partial());
}

void stream_sink::finish(const text_hook& hook, std::uint64_t seq)
{
    if (product_ == product::bytes)
    {
        if (!tee_split_)
            return;
        decoded_.clear();
        dec_->finish(decoded_);
        tee_split_->feed(decoded_, tee_);
        tee_split_->finish(tee_);
        return;
    }
    if (in_place_ && !queue_->unchecked().empty())
        in_place_ = false; // a sequence cut short by the end: the decoder replaces it
    if (!in_place_)
    {
        decode_unchecked();
        decoded_.clear();
        dec_->finish(decoded_);
        queue_->append_text(decoded_);
    }
    queue_->set_seq(seq);
    split(hook);
    with_observer(hook, [&](auto obs) { queue_->finish(obs); });
    if (queue_->refused())
        limit_hit_ = true;
}

std::string stream_sink::take_bytes() { return bounded_ ? bounded_->take() : unbounded_.take(); }

bool stream_sink::truncated() const noexcept
{
    if (product_ == product::lines)
        return queue_->truncated();
    return bounded_ && bounded_->truncated();
}

} // namespace detail
} // namespace processkit
} // namespace boost
