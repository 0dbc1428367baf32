// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_ERROR_HPP
#define BOOST_PROCESSKIT_ERROR_HPP

#include <boost/processkit/config.hpp>

#include <boost/outcome/boost_result.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <type_traits>

namespace boost {
namespace processkit {

using boost::system::error_code;

/// Error conditions raised by processkit itself. Failures reported by the
/// operating system keep their system error codes (e.g. `EMFILE`, `EACCES`).
///
/// @details The values are stable: new ones are only added at the end.
/// Where a generic condition means the same, a code compares equal to it
/// (`std::errc` and `boost::system::errc` alike):
///
/// | errc | compares equal to |
/// |---|---|
/// | `program_not_found` | `no_such_file_or_directory` |
/// | `invalid_argument` | `invalid_argument` |
/// | `timed_out`, `not_ready`, `teardown_timeout` | `timed_out` |
/// | `cancelled` | `operation_canceled` |
/// | `unsupported` | `not_supported` |
/// | `stdin_closed` | `broken_pipe` |
/// | `status_unavailable` | `no_child_process` |
enum class errc
{
    program_not_found = 1, ///< the program was not found (PATH searched, see diagnostics)
    bad_working_directory, ///< the working directory does not exist or is not a directory
    invalid_argument,      ///< empty program, NUL byte in an argument or env entry, bad env name
    nonzero_exit,          ///< the child exited with a code the command does not accept
    signalled,             ///< the child was killed by a signal
    timed_out,             ///< the run exceeded its timeout and its tree was killed
    cancelled,             ///< the run was cancelled and its tree was killed
    missing_exit_code,     ///< an exit code was required but the child has none
    unexpected_probe_code, ///< a probe exited with a code other than 0 or 1
    empty_output,          ///< first_line found no line
    pidfd_unavailable,     ///< the kernel refused a pidfd: exits cannot be watched safely
    containment_failed,    ///< the child could not be attached to its group
    group_closed,          ///< the group was already torn down
    unsupported,           ///< not supported on this platform or mechanism
    not_ready,             ///< a readiness probe's condition never held before its deadline
    end_of_stream,         ///< a stream has no more items
    stdin_closed,          ///< the child's stdin is closed (the child exited or it was closed)
    output_limit,          ///< captured output exceeded its policy with overflow_mode::error
    cassette_miss,         ///< a replayed invocation is not in the cassette
    resource_limit,        ///< a group resource limit was tripped
    exited_before_ready,   ///< the process ended before a readiness probe's condition held
    status_unavailable,    ///< the child's exit status was taken by another reaper (waitid(P_ALL, __WALL))
    teardown_timeout,      ///< the process tree was still alive after the teardown timeout
};

/// The category of processkit's own error codes; its name is "boost.processkit".
BOOST_PROCESSKIT_DECL const boost::system::error_category& processkit_category() noexcept;

inline error_code make_error_code(errc e) noexcept { return error_code(static_cast<int>(e), processkit_category()); }

/// Writes the condition's message.
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, errc e);

/// Everything known about a failure beyond its code. Never holds argument or
/// environment values: only the program name.
struct diagnostics
{
    std::string program;          ///< the program as given (no arguments)
    std::string step;             ///< what was being done: "execve", "chdir", "pipe2", ...
    std::string detail;           ///< free text, e.g. where PATH lookup searched
    std::optional<int> exit_code; ///< exit code, when the child exited
    std::optional<int> signal;    ///< terminating signal, when killed
    std::string stderr_tail;      ///< last bytes of captured stderr (at most 4 KiB)
    std::optional<std::chrono::nanoseconds> elapsed;
    std::optional<std::chrono::nanoseconds> timeout;
    std::optional<std::size_t> stage;    ///< the pipeline stage (0-based) it is about; `program` is that stage's
    std::optional<std::size_t> attempts; ///< how many attempts ran, when the run had a retry policy

    bool empty() const noexcept
    {
        return program.empty() && step.empty() && detail.empty() && !exit_code && !signal && stderr_tail.empty() &&
               !elapsed && !timeout && !stage && !attempts;
    }

    /// A one-line description such as
    /// `"git" exited with code 128: fatal: not a git repository`. Control
    /// characters in the program name (a NUL byte, say) are escaped.
    BOOST_PROCESSKIT_DECL std::string message(const error_code& ec) const;
};

/// An error code with its diagnostics: the error type of every synchronous
/// processkit result.
class error
{
public:
    error() = default;
    error(error_code ec) : code_(ec) {}          // NOLINT: implicit by design
    error(errc e) : code_(make_error_code(e)) {} // NOLINT
    error(error_code ec, diagnostics d) : code_(ec), diag_(std::move(d)) {}

    const error_code& code() const noexcept { return code_; }
    const diagnostics& diag() const noexcept { return diag_; }
    diagnostics& diag() noexcept { return diag_; }
    std::string message() const { return diag_.message(code_); }

    explicit operator bool() const noexcept { return static_cast<bool>(code_); }
    friend bool operator==(const error& e, const error_code& ec) noexcept { return e.code_ == ec; }
    friend bool operator==(const error& e, errc c) noexcept { return e.code_ == make_error_code(c); }

private:
    error_code code_;
    diagnostics diag_;
};

/// Thrown by `result<T>::value()` on failure; `what()` names the program,
/// the status and the stderr tail.
class error_with_diagnostics : public boost::system::system_error
{
public:
    explicit error_with_diagnostics(const error& e)
        : boost::system::system_error(e.code()), diag_(e.diag()), what_(e.message())
    {
    }
    const char* what() const noexcept override { return what_.c_str(); }
    const diagnostics& diag() const noexcept { return diag_; }

private:
    diagnostics diag_;
    std::string what_;
};

// Outcome integration: `error` behaves as an error code carrying a payload.
inline error_code make_error_code(const error& e) noexcept { return e.code(); }
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(const error& e) { throw error_with_diagnostics(e); }

/// The result of every synchronous processkit operation.
template <class T>
using result =
    boost::outcome_v2::basic_result<T, error,
                                    boost::outcome_v2::policy::error_code_throw_as_system_error<T, error, void>>;

} // namespace processkit

namespace system {
template <>
struct is_error_code_enum<processkit::errc> : std::true_type
{
};
} // namespace system
} // namespace boost

#endif // BOOST_PROCESSKIT_ERROR_HPP
