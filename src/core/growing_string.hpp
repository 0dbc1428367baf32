// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_GROWING_STRING_HPP
#define BOOST_PROCESSKIT_SRC_CORE_GROWING_STRING_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../backend/memory.hpp"

namespace boost {
namespace processkit {
namespace detail {

/// A string that may grow to gigabytes (captured output), appended to in
/// chunks.
///
/// @details Capacity doubles, so each byte is copied O(1) times. What
/// dominates a large capture is not the copy but the first touch of every
/// fresh page: a page fault each, expensive in VMs. Large blocks therefore
/// get two pieces of advice before anything touches them: transparent huge
/// pages (one fault per 2 MiB where THP is `madvise` or `always`), and the
/// pages about to be written are populated ahead in 2 MiB steps with one
/// call each (src/backend/memory.hpp: `MADV_POPULATE_WRITE` on Linux 5.14+;
/// elsewhere the advice is a no-op and the pages fault as usual). Memory is committed at most 2 MiB
/// ahead of the data.
class growing_string
{
public:
    void append(std::string_view data)
    {
        const std::size_t need = s_.size() + data.size();
        if (need > s_.capacity())
            grow(need);
        if (s_.capacity() >= big && need > populated_)
            populate(need);
        s_.append(data);
    }

    /// Takes the string out; the object is empty afterwards.
    std::string take()
    {
        populated_ = 0;
        return std::move(s_);
    }

private:
    static constexpr std::size_t huge = std::size_t(2) << 20;
    static constexpr std::size_t big = 2 * huge; ///< below this, plain faults are cheap enough

    void grow(std::size_t need)
    {
        std::size_t cap = std::max(need, s_.capacity() * 2);
        std::string next;
        next.reserve(cap); // allocated, not yet touched
        populated_ = 0;
        if (cap >= big)
        {
            auto begin = reinterpret_cast<std::uintptr_t>(next.data());
            std::uintptr_t lo = (begin + huge - 1) & ~(huge - 1);
            std::uintptr_t hi = (begin + cap) & ~(huge - 1);
            if (hi > lo)
                advise_huge_pages(reinterpret_cast<void*>(lo), hi - lo);
            populate_into(next, s_.size()); // what the copy below is about to write
        }
        next.append(s_);
        s_.swap(next);
    }

    void populate(std::size_t need) { populate_into(s_, std::min(s_.capacity(), std::max(need, populated_ + huge))); }

    // Populates whole pages of `s`'s block from populated_ up to `upto` bytes.
    void populate_into(std::string& s, std::size_t upto)
    {
        constexpr std::uintptr_t page = 4096;
        auto base = reinterpret_cast<std::uintptr_t>(s.data());
        std::uintptr_t lo = (base + populated_ + page - 1) & ~(page - 1);
        std::uintptr_t hi = (base + upto) & ~(page - 1);
        if (hi > lo)
            populate_pages(reinterpret_cast<void*>(lo), hi - lo);
        populated_ = upto;
    }

    std::string s_;
    std::size_t populated_ = 0; ///< bytes of the block already populated
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_GROWING_STRING_HPP
