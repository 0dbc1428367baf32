// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Peers that are command-line tools (xargs, GNU parallel): started by the
// bench itself with posix_spawnp and timed here, so their own start-up is
// inside every sample.

#ifndef PK_BENCH_CLI_PEER_HPP
#define PK_BENCH_CLI_PEER_HPP

#include "limit.hpp"

#include <string>

namespace pkb {
namespace cli {

/// posix_spawnp `argv` (looked up in PATH) with stdin a pipe the bench
/// writes `input` into (then closes), stdout and stderr on pipes the bench
/// reads to EOF (one poll loop); then waitpid. Returns stdout; throws
/// unless the tool exits 0 (the message carries its stderr).
std::string feed_capture(const argv_t& argv, const std::string& input);

} // namespace cli
} // namespace pkb

#endif
