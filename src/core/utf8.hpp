// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_UTF8_HPP
#define BOOST_PROCESSKIT_SRC_CORE_UTF8_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#  include <emmintrin.h>
#endif

namespace boost {
namespace processkit {
namespace detail {

/// Length of the valid UTF-8 sequence at `p` (1-4), or 0 if it is invalid
/// (overlong forms, surrogates and code points above U+10FFFF included).
inline std::size_t utf8_sequence(const unsigned char* p, std::size_t left) noexcept
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
    {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    }
    else if (c >= 0xF0 && c <= 0xF4)
    {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    else
        return 0;
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/// "", or "utf8" ignoring case, '-' and '_': the encodings that mean UTF-8.
inline bool is_utf8_name(const std::string& name) noexcept
{
    constexpr std::string_view utf8 = "utf8";
    std::size_t k = 0;
    for (char c : name)
    {
        if (c == '-' || c == '_')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (k == utf8.size() || c != utf8[k])
            return false;
        ++k;
    }
    return name.empty() || k == utf8.size();
}

/// Whether the `left` (< 4) bytes at `p`, on which `utf8_sequence` failed,
/// are the start of a valid sequence cut short. Padding them with either
/// continuation byte extreme completes any such prefix (the second byte's
/// range always contains 0x80 or 0xBF), so the rules stay in `utf8_sequence`.
inline bool utf8_incomplete(const unsigned char* p, std::size_t left) noexcept
{
    if (left >= 4)
        return false;
    for (unsigned char fill : {static_cast<unsigned char>(0x80), static_cast<unsigned char>(0xBF)})
    {
        unsigned char buf[4] = {fill, fill, fill, fill};
        std::memcpy(buf, p, left);
        if (utf8_sequence(buf, 4) != 0)
            return true;
    }
    return false;
}

/// The length of the longest valid UTF-8 prefix of [data, data + n), and
/// whether an invalid sequence follows it (else: nothing, or a sequence cut
/// short by the end). ASCII runs go 64 bytes (SSE2) or 8 bytes at a time.
inline std::size_t valid_utf8_prefix(const char* data, std::size_t n, bool& invalid) noexcept
{
    auto* p = reinterpret_cast<const unsigned char*>(data);
    std::size_t i = 0;
    invalid = false;
    while (i < n)
    {
#if defined(__SSE2__)
        while (i + 64 <= n)
        {
            auto* q = reinterpret_cast<const __m128i*>(p + i);
            __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(q), _mm_loadu_si128(q + 1)),
                                       _mm_or_si128(_mm_loadu_si128(q + 2), _mm_loadu_si128(q + 3)));
            if (_mm_movemask_epi8(any) != 0)
                break;
            i += 64;
        }
#endif
        std::uint64_t w;
        while (i + 8 <= n && (std::memcpy(&w, p + i, 8), (w & 0x8080808080808080ull) == 0))
            i += 8;
        while (i < n && p[i] < 0x80)
            ++i;
        if (i == n)
            break;
        std::size_t len = utf8_sequence(p + i, n - i);
        if (len == 0)
        {
            invalid = !utf8_incomplete(p + i, n - i);
            return i;
        }
        i += len;
    }
    return n;
}

/// Appends [data, data + n) to `out` with every invalid sequence replaced by
/// U+FFFD (one per byte that starts no valid sequence). A sequence cut short
/// by the end is invalid too when `final`; otherwise it is left unconsumed
/// for the next call. Returns the bytes consumed.
inline std::size_t append_sanitized_utf8(std::string& out, const char* data, std::size_t n, bool final)
{
    std::size_t i = 0;
    for (;;)
    {
        bool invalid = false;
        std::size_t len = valid_utf8_prefix(data + i, n - i, invalid);
        out.append(data + i, len);
        i += len;
        if (i == n || (!invalid && !final))
            return i;
        out += "\xEF\xBF\xBD";
        ++i;
    }
}

/// Replaces every invalid UTF-8 sequence in `s` with U+FFFD, in place when
/// the text is already valid (the common case costs one scan).
inline void sanitize_utf8(std::string& s)
{
    bool invalid = false;
    std::size_t i = valid_utf8_prefix(s.data(), s.size(), invalid);
    if (i == s.size())
        return;
    std::string out(s, 0, i);
    append_sanitized_utf8(out, s.data() + i, s.size() - i, true);
    s = std::move(out);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_UTF8_HPP
