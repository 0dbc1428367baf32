// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_DIAGNOSTICS_HPP
#define BOOST_PROCESSKIT_SRC_CORE_DIAGNOSTICS_HPP

// The diagnostics every run and every failed step report.

#include <boost/processkit/command.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace boost {
namespace processkit {
namespace detail {

/// A failed system call `step` (errno or GetLastError value `e`) while
/// running `program`; `detail` names what it worked on (a path, never an
/// argument or an environment value).
inline error sys_error(int e, std::string program, const char* step, std::string detail = {})
{
    diagnostics d;
    d.program = std::move(program);
    d.step = step;
    d.detail = std::move(detail);
    return error(error_code(e, boost::system::system_category()), std::move(d));
}

/// The diagnostics of a run that ended, captured or live alike: program,
/// exit code or signal, elapsed time, the last 4 KiB of `stderr_text`, the
/// timeout, and "idle" when the idle timeout ended it.
inline diagnostics finished_diagnostics(const std::string& program, const run_outcome& outcome,
                                        std::chrono::nanoseconds elapsed, std::string_view stderr_text, bool idle,
                                        const std::optional<std::chrono::nanoseconds>& timeout)
{
    constexpr std::size_t tail = 4096;
    diagnostics d;
    d.program = program;
    d.exit_code = outcome.code();
    d.signal = outcome.signal();
    d.elapsed = elapsed;
    d.stderr_tail = std::string(stderr_text.substr(stderr_text.size() > tail ? stderr_text.size() - tail : 0));
    d.timeout = timeout;
    if (idle)
        d.detail = "idle";
    return d;
}

/// The diagnostics' detail when the child's exit status is unavailable.
inline constexpr const char* status_lost_detail =
    "another part of this process reaped the child (waitid with __WALL), so how it ended is unknown";

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_DIAGNOSTICS_HPP
