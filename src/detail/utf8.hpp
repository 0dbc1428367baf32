// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_UTF8_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_UTF8_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

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

/// Replaces every invalid UTF-8 sequence in `s` with U+FFFD, in place when
/// the text is already valid (the common case costs one scan).
inline void sanitize_utf8(std::string& s)
{
    auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0, size = s.size();
    while (i < size)
    {
        // ASCII runs, eight bytes at a time.
        std::uint64_t word;
        while (i + 8 <= size && (std::memcpy(&word, p + i, 8), (word & 0x8080808080808080ull) == 0))
            i += 8;
        if (i == size)
            break;
        std::size_t n = utf8_sequence(p + i, size - i);
        if (n == 0)
            break;
        i += n;
    }
    if (i == size)
        return;
    std::string out(s, 0, i);
    while (i < size)
    {
        std::size_t n = utf8_sequence(p + i, size - i);
        if (n == 0)
        {
            out += "\xEF\xBF\xBD";
            ++i;
        }
        else
        {
            out.append(s, i, n);
            i += n;
        }
    }
    s = std::move(out);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_DETAIL_UTF8_HPP
