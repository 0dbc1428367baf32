// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_MEMORY_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_MEMORY_HPP

// Advice about fresh memory, for the large buffers of a capture
// (core/growing_string.hpp). Both are hints: where the host has no such
// advice they do nothing, and the pages fault in as usual.

#include <cstddef>

namespace boost {
namespace processkit {
namespace detail {

/// [p, p + n), page-aligned, may be backed by huge pages.
void advise_huge_pages(void* p, std::size_t n) noexcept;
/// [p, p + n), page-aligned, is about to be written: fault it in now, in one call.
void populate_pages(void* p, std::size_t n) noexcept;

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_MEMORY_HPP
