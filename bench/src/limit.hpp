// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The "limit": plain C-style code over the bare system calls, no
// containment. posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) + execve),
// pidfd_open + poll/epoll, read() loops, memchr, splice.

#ifndef PK_BENCH_LIMIT_HPP
#define PK_BENCH_LIMIT_HPP

#include "common.hpp"

#include <string>
#include <vector>

namespace pkb {
using argv_t = std::vector<std::string>;

namespace lim {

/// Spawn `argv` with stdin=/dev/null and stdout+stderr on pipes, poll the two
/// pipes and the pidfd until both EOF and exit; returns stdout.
std::string run_capture(const argv_t& argv);
/// 16-in-flight (or `inflight`) event loop over epoll: `total` runs of argv,
/// each captured like run_capture.
void fanout(const argv_t& argv, int total, int inflight);
/// Capture stdout into a realloc-grown buffer; returns the byte count.
std::size_t capture_big(const argv_t& argv);
/// Read stdout into one fixed 1 MiB buffer (nothing kept); returns bytes.
std::size_t read_discard(const argv_t& argv);
/// splice() stdout into /dev/null (no copy to user space); returns bytes.
std::size_t splice_null(const argv_t& argv);
/// read() into 64 KiB + memchr line splitting, streaming.
line_stats stream_lines(const argv_t& argv);
/// Spawn `tree_argv` as a new process group, wait for its "ready" line, then
/// time killpg(SIGKILL) + reaping `expected` processes (we are a subreaper).
/// Returns milliseconds.
double teardown_ms(const argv_t& tree_argv, int expected);

struct idle_result
{
    double rss_kib_per_child = 0;
    std::vector<double> latency_us; ///< child's last stamp -> parent saw exit + EOF
    double teardown_ms = 0;         ///< ending all k idle children (kill/cancel + reap)
};
/// Keep `k` idle children (pipes + pidfd in one epoll set) alive, then run
/// `m` stamp children one after another through the same epoll loop.
idle_result idle_exitlat(const argv_t& idle, int k, const argv_t& stamp, int m);

} // namespace lim
} // namespace pkb

#endif
