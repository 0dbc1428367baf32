// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The "peer" in C++: raw Boost.Process v2 (Boost 1.81), as a user would write
// it: bp2::process + asio::readable_pipe + async_read + async_wait, no
// containment. Its default launcher forks.

#ifndef PK_BENCH_BP2_PEER_HPP
#define PK_BENCH_BP2_PEER_HPP

#include "limit.hpp"

namespace pkb {
namespace bp2p {

std::string run_capture(const argv_t& argv);
void fanout(const argv_t& argv, int total, int inflight);
std::size_t capture_big(const argv_t& argv);
line_stats stream_lines(const argv_t& argv);
lim::idle_result idle_exitlat(const argv_t& idle, int k, const argv_t& stamp, int m);

} // namespace bp2p
} // namespace pkb

#endif
