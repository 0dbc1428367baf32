// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// FUZZ_CHECK(cond[, detail]): a broken invariant of a fuzz target prints the
// condition and the detail (bytes outside printable ASCII escaped) and
// aborts, which libFuzzer records as a crash with its input.

#ifndef BOOST_PROCESSKIT_TEST_FUZZ_CHECK_HPP
#define BOOST_PROCESSKIT_TEST_FUZZ_CHECK_HPP

#include <cstdio>
#include <cstdlib>
#include <string>

namespace pk_fuzz {

[[noreturn]] inline void fail(const char* target, const char* what, const std::string& detail = {})
{
    std::fprintf(stderr, "%s invariant violated: %s\n", target, what);
    if (!detail.empty())
    {
        std::fprintf(stderr, "  detail (%zu bytes): \"", detail.size());
        for (unsigned char c : detail)
            std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? "%c" : "\\x%02x", c);
        std::fprintf(stderr, "\"\n");
    }
    std::abort();
}

} // namespace pk_fuzz

/// The fuzz target's name, for the report: each target defines it first.
#ifndef PK_FUZZ_TARGET
#  error "define PK_FUZZ_TARGET before including fuzz_check.hpp"
#endif

#define FUZZ_CHECK(cond, ...)                                                                                          \
  do                                                                                                                   \
  {                                                                                                                    \
    if (!(cond))                                                                                                       \
      pk_fuzz::fail(PK_FUZZ_TARGET, #cond, ##__VA_ARGS__);                                                             \
  } while (0)

#endif // BOOST_PROCESSKIT_TEST_FUZZ_CHECK_HPP
