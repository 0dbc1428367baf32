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
/// Scenario 10's informative limit: a pipeline without a shell. Every stage
/// posix_spawn'ed by this process, stage i's stdout on an O_CLOEXEC pipe
/// that is stage i+1's stdin (the parent closes its copies at once), the
/// first stage's stdin /dev/null, every stage's stderr on one shared pipe;
/// the last stdout and the stderr pipe read to EOF with poll, then every
/// stage reaped (each must exit 0). Returns the last stage's stdout.
/// (The main limit is `run_capture({"/bin/sh", "-c", "a | b | c"})`.)
std::string chain_capture(const std::vector<argv_t>& stages);
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

/// Scenario 9: lateness of a 1 ms periodic timer (see ticker.hpp).
struct lateness_result
{
    std::vector<double> late_ms; ///< every tick of the window: handler time - grid time, in ms
    double all_exited_ms = 0;    ///< trigger -> the last child done (processkit: its async_wait completed)
    double lead_max_ms = 0;      ///< worst tick in the lead-in (children live and idle, none exiting yet)
    int survivors = 0;           ///< grandchildren alive once every child was done (the bench killed them)
    double io_cpu_ms = 0;        ///< the io thread's CPU time over the ticker's run (schedstat)
    double io_runq_wait_ms = 0;  ///< the io thread's run-queue wait (runnable, no CPU) over the same
    bool sched_ok = false;       ///< the two figures above are available
};
/// Scenario 9's kernel limit (src/limit_teardown.cpp): the same `n` forker
/// children without processkit: posix_spawn, each in its own process group,
/// stdout on a pipe read until "ready GPID" (stdin and stderr /dev/null).
/// Watched on one io_context: a pidfd per child in an
/// asio::posix::stream_descriptor (async_wait(wait_read)), then
/// waitid(P_PIDFD), killpg(pgid, SIGKILL) and reading the pipe to EOF. The
/// same burst as processkit's side (run_burst in ticker.hpp).
lateness_result teardown_kernel(const argv_t& forker, int n, int lead_ms, int window_ms);
/// The same ticker on a fresh io_context with no children at all: what the
/// machine adds when nothing is exiting.
lateness_result timer_alone(int lead_ms, int window_ms);

} // namespace lim
} // namespace pkb

#endif
