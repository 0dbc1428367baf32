// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_STREAM_SINK_HPP
#define BOOST_PROCESSKIT_SRC_CORE_STREAM_SINK_HPP

#include <boost/processkit/command.hpp>

#include "byte_capture.hpp"
#include "decoder.hpp"
#include "growing_string.hpp"
#include "line_queue.hpp"
#include "line_splitter.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

/// What looks at a live stream's text besides its tee: the readiness probes.
/// Called for every complete line, then once with the unterminated rest.
struct text_hook
{
    void* ctx = nullptr;
    void (*line)(void* ctx, std::string_view line) = nullptr;
    void (*partial)(void* ctx, std::string_view rest) = nullptr;
};

/// Everything that happens to the output of one stream of a child, sans-io:
/// the ops read into prepare()'s room and commit(); the sink does the rest.
///
/// - **text**: the bytes checked as UTF-8 (the default encoding: in place,
///   invalid bytes replaced with U+FFFD from the first one on) or decoded
///   from the stream's encoding. Only what needs text pays for it: a capture
///   without a tee keeps raw bytes.
/// - **tee**: the command's line handler sees every line of that text.
/// - **store**, one of two products: `bytes` for run-to-completion capture
///   (the output itself, bounded by the buffer policy in bytes and lines:
///   byte_capture, or unbounded: growing_string), `lines` for a live stream
///   (a line_queue bounded by the same policy, text split in place).
/// - **limit**: an error-mode bound that refused data (limit_hit()).
/// - **probes** (`lines` only): a text_hook sees every line and the rest.
class stream_sink
{
public:
    enum class product
    {
        bytes,
        lines,
    };

    /// The sink of stream `which` (0 stdout, 1 stderr) of `cmd`. Fails,
    /// before anything is spawned, on an unknown encoding.
    static result<std::unique_ptr<stream_sink>> create(const command& cmd, int which, product p);

    stream_sink(const command& cmd, int which, product p, std::optional<decoder> dec);
    stream_sink(const stream_sink&) = delete;
    stream_sink& operator=(const stream_sink&) = delete;

    // ---- writer ----------------------------------------------------------

    /// Where the next read lands, and how much room there is.
    std::pair<char*, std::size_t> prepare();
    /// `n` bytes landed at prepare()'s pointer. `seq` orders the lines of
    /// this read against the other stream's (live's merged event stream).
    void commit(std::size_t n, const text_hook& hook = {}, std::uint64_t seq = 0);
    /// The stream ended: the rest of the text becomes the last line (its
    /// `seq`, as for commit()).
    void finish(const text_hook& hook = {}, std::uint64_t seq = 0);

    /// An error-mode limit refused data: the run ends with output_limit.
    bool limit_hit() const noexcept { return limit_hit_; }
    /// Bytes committed so far.
    std::uint64_t seen() const noexcept { return seen_; }

    // ---- products --------------------------------------------------------

    /// `bytes`: the kept output; the sink is empty afterwards.
    std::string take_bytes();
    /// Something was dropped or refused under the buffer policy.
    bool truncated() const noexcept;
    /// `lines`: the queue the live stream hands out.
    line_queue& lines() noexcept { return *queue_; }
    const line_queue& lines() const noexcept { return *queue_; }
    /// `lines`: frees what holds no line (after the end).
    void release_unused() { queue_->release_unused(); }

private:
    static constexpr std::size_t read_chunk = 64 * 1024;

    void commit_bytes(std::string_view data);
    void commit_lines(std::size_t n, const text_hook& hook, std::uint64_t seq);
    void check_text();
    void decode_unchecked();
    void split(const text_hook& hook);
    template <class Fn>
    void with_observer(const text_hook& hook, Fn fn);

    const line_handler& tee_;
    const product product_;
    // text: `in_place` while the default encoding finds valid UTF-8 (live
    // only); else through `dec_` (another encoding, invalid UTF-8, a tee).
    std::optional<decoder> dec_;
    bool in_place_ = false;
    std::string decoded_;
    // bytes (the rarely used parts on the heap: a sink is one per stream of
    // every run, idle or not)
    std::unique_ptr<char[]> chunk_; ///< the read buffer, allocated on the first byte
    std::unique_ptr<byte_capture> bounded_;
    growing_string unbounded_;
    std::unique_ptr<line_splitter> tee_split_;
    // lines
    std::unique_ptr<line_queue> queue_;
    std::uint64_t seen_ = 0;
    bool limit_hit_ = false;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_STREAM_SINK_HPP
