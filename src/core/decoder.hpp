// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_DECODER_HPP
#define BOOST_PROCESSKIT_SRC_CORE_DECODER_HPP

#include <boost/processkit/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace boost {
namespace processkit {
namespace detail {

/// Converts a child's output, chunk by chunk, from its encoding to UTF-8,
/// without any I/O. Invalid input never fails: it is replaced by U+FFFD.
///
/// A multi-byte sequence split across chunks is kept pending until the next
/// chunk completes it, so the output does not depend on how the input was
/// chunked (except for glibc's UTF-7 converter on invalid input). The output
/// is always valid UTF-8.
class decoder
{
public:
    /// "" or any spelling of UTF-8 ("UTF-8", "utf8", "utf_8", case-insensitive):
    /// validation only, with the semantics of `sanitize_utf8` applied to the
    /// whole stream. Otherwise an iconv conversion from `encoding` to UTF-8;
    /// an unknown encoding is `errc::invalid_argument` with the diagnostics
    /// detail "unknown encoding <name>".
    static result<decoder> create(const std::string& encoding);

    decoder(decoder&& other) noexcept;
    decoder& operator=(decoder&& other) noexcept;
    decoder(const decoder&) = delete;
    decoder& operator=(const decoder&) = delete;
    /// Closes the iconv handle.
    ~decoder();

    /// Converts a chunk to UTF-8, appending to `out`. Invalid input bytes
    /// become U+FFFD (one per invalid byte, then resync); an incomplete
    /// sequence at the end of the chunk is kept for the next call.
    void feed(std::string_view chunk, std::string& out);

    /// End of input: a pending incomplete sequence becomes U+FFFD (one per
    /// byte for UTF-8, as `sanitize_utf8` does; one for the whole sequence
    /// with iconv). The decoder is then back in its initial state.
    void finish(std::string& out);

private:
    explicit decoder(void* cd) noexcept : cd_(cd) {}

    /// feed() but for the final check of iconv's output: completes the
    /// pending sequence, then converts the rest of the chunk.
    void feed_pending(std::string_view chunk, std::string& out);

    /// Converts from the start of [p, p + n) into `out` and returns how many
    /// bytes were consumed; the rest is an incomplete sequence.
    std::size_t convert(const char* p, std::size_t n, std::string& out);
    std::size_t convert_iconv(const char* p, std::size_t n, std::string& out);

    void* cd_ = nullptr;  ///< the iconv_t handle; null: UTF-8 validation only
    std::string pending_; ///< an incomplete sequence awaiting the next chunk
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_DECODER_HPP
