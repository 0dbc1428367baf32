// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Memory advice through madvise(2): huge pages and MADV_POPULATE_WRITE
// (Linux 5.14) where the system defines them.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include "../backend/memory.hpp"

#  include <sys/mman.h>

#  if BOOST_PROCESSKIT_LINUX && !defined(MADV_POPULATE_WRITE)
#    define MADV_POPULATE_WRITE 23 // Linux 5.14; older headers lack the name
#  endif

namespace boost {
namespace processkit {
namespace detail {

void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept
{
#  ifdef MADV_HUGEPAGE
    (void)::madvise(p, n, MADV_HUGEPAGE);
#  endif
}

void populate_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept
{
#  ifdef MADV_POPULATE_WRITE
    (void)::madvise(p, n, MADV_POPULATE_WRITE); // EINVAL before 5.14: the pages fault as usual
#  endif
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
