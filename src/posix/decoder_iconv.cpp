// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include "../core/decoder.hpp"
#  include "../core/utf8.hpp"

#  include <algorithm>
#  include <cerrno>
#  include <iconv.h>
#  include <type_traits>
#  include <utility>

namespace boost {
namespace processkit {
namespace detail {
namespace {

static_assert(std::is_same_v<iconv_t, void*>, "decoder stores the iconv handle as void*");

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

/// No real encoding has an incomplete sequence this long: iconv reporting one
/// is treated as an invalid byte, so the pending tail stays bounded.
constexpr std::size_t max_pending = 16;

/// Output room beyond which a converter that produces nothing is given up on.
constexpr std::size_t max_room = 1 << 20;

iconv_t handle(void* cd) noexcept { return static_cast<iconv_t>(cd); }

/// Replaces invalid UTF-8 in `out` from `from` on. iconv emits whole
/// characters, but some converters (e.g. glibc's UTF-7 after invalid input)
/// can emit surrogates; the output must be valid UTF-8 regardless.
void sanitize_from(std::string& out, std::size_t from)
{
    bool invalid = false;
    std::size_t i = from + valid_utf8_prefix(out.data() + from, out.size() - from, invalid);
    if (i == out.size())
        return;
    std::string rest(out, i);
    out.resize(i);
    append_sanitized_utf8(out, rest.data(), rest.size(), true);
}

} // namespace

result<decoder> decoder::create(const std::string& encoding)
{
    if (is_utf8_name(encoding))
        return decoder(nullptr);
    iconv_t cd = ::iconv_open("UTF-8", encoding.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
    {
        int e = errno;
        diagnostics d;
        d.step = "iconv_open";
        if (e == EINVAL)
        {
            d.detail = "unknown encoding " + encoding;
            return error(errc::invalid_argument, std::move(d));
        }
        d.detail = "encoding " + encoding;
        return error(error_code(e, boost::system::system_category()), std::move(d));
    }
    return decoder(cd);
}

decoder::decoder(decoder&& other) noexcept : cd_(std::exchange(other.cd_, nullptr)), pending_(std::move(other.pending_))
{
    other.pending_.clear();
}

decoder& decoder::operator=(decoder&& other) noexcept
{
    if (this != &other)
    {
        if (cd_)
            ::iconv_close(handle(cd_));
        cd_ = std::exchange(other.cd_, nullptr);
        pending_ = std::move(other.pending_);
        other.pending_.clear();
    }
    return *this;
}

decoder::~decoder()
{
    if (cd_)
        ::iconv_close(handle(cd_));
}

void decoder::feed(std::string_view chunk, std::string& out)
{
    if (!cd_)
    {
        feed_pending(chunk, out);
        return;
    }
    std::size_t from = out.size();
    feed_pending(chunk, out);
    sanitize_from(out, from);
}

void decoder::feed_pending(std::string_view chunk, std::string& out)
{
    if (!pending_.empty())
    {
        // Complete the pending sequence with the chunk's first bytes only, so
        // a chunk is never copied as a whole.
        std::size_t old = pending_.size();
        std::size_t take = std::min(chunk.size(), max_pending);
        pending_.append(chunk.data(), take);
        std::size_t used = convert(pending_.data(), pending_.size(), out);
        if (used < old)
        {
            // Still incomplete: normally only when the whole chunk was taken
            // (a tail longer than max_pending is never kept pending).
            pending_.erase(0, used);
            if (take == chunk.size())
                return;
            pending_.append(chunk.data() + take, chunk.size() - take);
            used = convert(pending_.data(), pending_.size(), out);
            pending_.erase(0, used);
            return;
        }
        pending_.clear();
        chunk.remove_prefix(used - old);
    }
    std::size_t used = convert(chunk.data(), chunk.size(), out);
    pending_.assign(chunk.data() + used, chunk.size() - used);
}

void decoder::finish(std::string& out)
{
    if (!cd_)
    {
        // sanitize_utf8 replaces every byte of a truncated sequence.
        for (std::size_t i = 0; i < pending_.size(); ++i)
            out += replacement;
        pending_.clear();
        return;
    }
    if (!pending_.empty())
    {
        out += replacement;
        pending_.clear();
    }
    // Flush the shift state (if any), then reset to the initial state.
    char buf[64];
    char* outp = buf;
    std::size_t outleft = sizeof buf;
    std::size_t from = out.size();
    if (::iconv(handle(cd_), nullptr, nullptr, &outp, &outleft) != static_cast<std::size_t>(-1))
        out.append(buf, static_cast<std::size_t>(outp - buf));
    ::iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);
    sanitize_from(out, from);
}

std::size_t decoder::convert(const char* p, std::size_t n, std::string& out)
{
    return cd_ ? convert_iconv(p, n, out) : append_sanitized_utf8(out, p, n, false);
}

std::size_t decoder::convert_iconv(const char* p, std::size_t n, std::string& out)
{
    char* in = const_cast<char*>(p); // iconv's signature; the input is not written
    std::size_t inleft = n;
    std::size_t min_room = 64;
    while (inleft > 0)
    {
        std::size_t base = out.size();
        std::size_t room = std::max(inleft + inleft / 2, min_room);
        out.resize(base + room);
        char* outp = out.data() + base;
        std::size_t outleft = room;
        char* const in_before = in;
        std::size_t r = ::iconv(handle(cd_), &in, &inleft, &outp, &outleft);
        int e = errno;
        out.resize(base + (room - outleft));
        bool progress = in != in_before;
        if (r != static_cast<std::size_t>(-1))
        {
            if (progress)
                continue; // normally everything was converted (inleft is 0)
        }
        else if (e == E2BIG)
        {
            if (progress)
                continue;
            if (min_room < max_room)
            {
                min_room *= 2; // not even one character fitted
                continue;
            }
        }
        else if (e == EINVAL && inleft <= max_pending)
            break; // an incomplete sequence: keep it for the next chunk
        // EILSEQ, or a converter making no progress: replace one byte and resync.
        out += replacement;
        ++in;
        --inleft;
    }
    return n - inleft;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
