// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_DETAIL_STRING_GROWTH_HPP
#define BOOST_PROCESSKIT_SRC_DETAIL_STRING_GROWTH_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/mman.h>

namespace boost {
namespace processkit {
namespace detail {

/// Appends to a string that may grow to gigabytes (captured output).
///
/// @details Capacity doubles, so each byte is copied O(1) times. The cost
/// that dominates a large capture is not the copy but the first touch of
/// every fresh page (a page fault each, expensive in VMs): a new block of
/// 4 MiB or more is advised for transparent huge pages before anything
/// touches it, which turns 512 faults into one where the kernel allows it
/// (THP "madvise" or "always"; elsewhere the advice is a no-op).
inline void append_growing(std::string& s, std::string_view data)
{
    const std::size_t need = s.size() + data.size();
    if (need > s.capacity())
    {
        constexpr std::size_t huge = std::size_t(2) << 20;
        std::size_t cap = std::max(need, s.capacity() * 2);
        std::string next;
        next.reserve(cap); // allocated, not yet touched
        if (cap >= 2 * huge)
        {
            auto begin = reinterpret_cast<std::uintptr_t>(next.data());
            std::uintptr_t lo = (begin + huge - 1) & ~(huge - 1);
            std::uintptr_t hi = (begin + cap) & ~(huge - 1);
            if (hi > lo)
                (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
        }
        next.append(s);
        s.swap(next);
    }
    s.append(data);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_DETAIL_STRING_GROWTH_HPP
