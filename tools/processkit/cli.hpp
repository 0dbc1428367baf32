// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The command line of the `processkit` tool: what each subcommand accepts,
// its help text, and the parsers for durations, signals, mechanisms and
// environment entries (cli.cpp; the value parsers are cli_values.cpp).
// Nothing here spawns a process, so all of it is tested without one
// (test/tool/cli.cpp).
//
// Error messages never repeat an argument's value (a value may be a
// secret); they name the option, or the position of a `--env` entry.

#ifndef BOOST_PROCESSKIT_TOOL_CLI_HPP
#define BOOST_PROCESSKIT_TOOL_CLI_HPP

#include <boost/processkit/mechanism.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/supervisor.hpp>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boost {
namespace processkit {
namespace tool {

/// The exit statuses of `processkit run` (and `supervise`) besides the program's own code,
/// chosen like timeout(1)'s.
namespace exit_status {
inline constexpr int timed_out = 124;   ///< the run hit --timeout or --idle-timeout
inline constexpr int failure = 125;     ///< a usage error, or processkit itself failed
inline constexpr int cannot_run = 126;  ///< the program was found but could not be executed
inline constexpr int not_found = 127;   ///< the program was not found
inline constexpr int signal_base = 128; ///< 128 + N: killed by signal N, or processkit got signal N
} // namespace exit_status

/// The grace period before SIGKILL when `--grace` is not given.
inline constexpr std::chrono::seconds default_grace{5};

/// A command line processkit does not accept. `what()` is the message;
/// `command()` the subcommand whose help describes the right usage (empty:
/// the top level).
class usage_error : public std::runtime_error
{
public:
    usage_error(std::string command, const std::string& message)
        : std::runtime_error(message), command_(std::move(command))
    {
    }
    const std::string& command() const noexcept { return command_; }

private:
    std::string command_;
};

/// What `processkit run` was asked to do.
struct run_options
{
    std::vector<std::string> program; ///< PROGRAM and its ARGS, untouched
    process_group_options group;      ///< the --mechanism
    std::optional<std::chrono::nanoseconds> timeout;
    std::optional<std::chrono::nanoseconds> idle_timeout;
    std::chrono::nanoseconds grace = default_grace;
    int timeout_signal = SIGTERM; ///< sent on a timeout, before the grace
    std::optional<std::string> cwd;
    std::vector<std::pair<std::string, std::string>> env;
    bool json = false;
};

/// The delays between restarts: MIN before the first, doubling up to MAX.
struct backoff_range
{
    std::chrono::nanoseconds min = std::chrono::milliseconds(100);
    std::chrono::nanoseconds max = std::chrono::seconds(30);
};

/// What `processkit supervise` was asked to do.
struct supervise_options
{
    std::vector<std::string> program; ///< PROGRAM and its ARGS, untouched
    process_group_options group;      ///< the --mechanism
    restart_policy restart = restart_policy::on_failure;
    std::optional<std::size_t> max_restarts; ///< unset: no bound
    backoff_range backoff;
    std::optional<crash_storm> storm;
    std::vector<std::string> health_command; ///< --health-cmd, split at whitespace; empty: none
    std::chrono::nanoseconds health_interval = std::chrono::seconds(10);
    std::size_t health_failures = 3;
    std::chrono::nanoseconds grace = default_grace;
};

/// What `processkit doctor` was asked to do.
struct doctor_options
{
    bool json = false;
};

/// What `processkit demo` was asked to do.
struct demo_options
{
    mechanism_request mechanism = mechanism_request::automatic;
};

/// Text to print on stdout, then exit 0 (--help, --version, help COMMAND).
struct print_text
{
    std::string text;
};

/// The parsed command line: one subcommand to execute, or text to print.
using invocation = std::variant<print_text, run_options, supervise_options, doctor_options, demo_options>;

/// Parses processkit's arguments (argv without argv[0]).
/// Throws `usage_error` for anything it does not accept.
invocation parse_command_line(const std::vector<std::string>& args);

/// How long a duration option lasts. `text` is a non-negative decimal number
/// with an optional unit: `ms`, `s`, `m`, `h` or `d`; a plain number is
/// seconds, like timeout(1) ("300ms", "5s", "1.5s", "2m", "10").
/// Throws `usage_error` naming `option` (never repeating `text`).
std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view option);

/// A signal by name ("TERM", "SIGTERM", "term") or number ("15").
/// Throws `usage_error` naming `option`.
int parse_signal(std::string_view text, std::string_view option);

/// "automatic", "cgroup_v2" or "process_group". Throws `usage_error`.
mechanism_request parse_mechanism(std::string_view text, std::string_view option);

/// "always", "on-failure" or "never". Throws `usage_error` naming `option`.
restart_policy parse_restart_policy(std::string_view text, std::string_view option);

/// A whole number of things ("0", "3"), at most a billion. Throws `usage_error`
/// naming `option`.
std::size_t parse_count(std::string_view text, std::string_view option);

/// "MIN..MAX", two durations (see parse_duration) with MIN <= MAX:
/// "100ms..30s". Throws `usage_error` naming `option`.
backoff_range parse_backoff(std::string_view text, std::string_view option);

/// "N/WINDOW:PAUSE": N >= 1 failed runs within WINDOW (> 0) pause restarting
/// for PAUSE ("5/10s:30s"). Throws `usage_error` naming `option`.
crash_storm parse_storm(std::string_view text, std::string_view option);

/// `text` split at spaces, tabs and newlines, the empty words dropped; no
/// quoting, no escapes (--health-cmd is run without a shell).
std::vector<std::string> split_words(std::string_view text);

/// NAME=VALUE split at the first '='; NAME must not be empty. `index` (from 1)
/// is the entry's position among the --env options, for the error message.
std::pair<std::string, std::string> parse_env_entry(std::string_view text, std::size_t index);

/// "SIGTERM", or "signal 42" for one without a name.
std::string signal_name(int signal);

/// "300ms", "5s", "1.5s", "150s", "2m", "1h": a duration as a person reads it.
std::string format_duration(std::chrono::nanoseconds d);

} // namespace tool
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_TOOL_CLI_HPP
