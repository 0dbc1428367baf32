// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_COMMAND_HPP
#define BOOST_PROCESSKIT_COMMAND_HPP

#include <boost/processkit/config.hpp>
#include <boost/processkit/retry.hpp>
#include <boost/processkit/signal.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace boost {
namespace processkit {

class pipeline;

/// Where a child's stdout or stderr goes.
class stdio_mode
{
public:
    enum class kind
    {
        pipe,    ///< captured by the parent (the default)
        inherit, ///< the parent's own stream
        null,    ///< /dev/null
        file,    ///< a file, truncated or appended
        merge,   ///< stderr only: into the same pipe or file as stdout
    };
    static stdio_mode pipe() { return stdio_mode(kind::pipe); }
    static stdio_mode inherit() { return stdio_mode(kind::inherit); }
    static stdio_mode null() { return stdio_mode(kind::null); }
    static stdio_mode file(std::string path, bool append = false)
    {
        stdio_mode m(kind::file);
        m.path_ = std::move(path);
        m.append_ = append;
        return m;
    }
    static stdio_mode merge() { return stdio_mode(kind::merge); }

    kind type() const noexcept { return kind_; }
    const std::string& path() const noexcept { return path_; }
    bool append() const noexcept { return append_; }

private:
    explicit stdio_mode(kind k) : kind_(k) {}
    kind kind_;
    std::string path_;
    bool append_ = false;
};

/// What the child reads on stdin.
class stdin_source
{
public:
    enum class kind
    {
        null,    ///< /dev/null (the default)
        inherit, ///< the parent's stdin
        bytes,   ///< the given bytes, then EOF
        file,    ///< a file
    };
    static stdin_source null() { return stdin_source(kind::null); }
    static stdin_source inherit() { return stdin_source(kind::inherit); }
    static stdin_source bytes(std::string data)
    {
        stdin_source s(kind::bytes);
        s.data_ = std::move(data);
        return s;
    }
    static stdin_source file(std::string path)
    {
        stdin_source s(kind::file);
        s.data_ = std::move(path);
        return s;
    }

    kind type() const noexcept { return kind_; }
    /// The bytes (kind::bytes) or the path (kind::file).
    const std::string& data() const noexcept { return data_; }

private:
    explicit stdin_source(kind k) : kind_(k) {}
    kind kind_;
    std::string data_;
};

/// What a bounded output buffer drops when it is full.
enum class overflow_mode
{
    drop_oldest, ///< keep the newest output (a ring)
    drop_newest, ///< keep the first output, discard what comes after
    error,       ///< fail the run (or end the stream) with `errc::output_limit`
};

/// Bounds on the output kept in memory, per stream (stdout and stderr each).
/// Unset limits are unbounded. Truncation is reported: `process_result`'s
/// `std_out_truncated` / `std_err_truncated`, and the live streams'
/// `truncated()`.
struct output_buffer_policy
{
    std::optional<std::size_t> max_lines;
    std::optional<std::size_t> max_bytes;
    overflow_mode mode = overflow_mode::drop_oldest;
};

/// What ends a line of output.
enum class line_terminator
{
    newline,         ///< `\n` (a `\r` before it is dropped)
    carriage_return, ///< `\r`, `\n` or `\r\n`: progress bars count as lines
};

/// A per-line callback ("tee"), called on the I/O thread for every line while
/// the output is still captured or streamed.
using line_handler = std::function<void(std::string_view line)>;

/// A description of a child process to run: program, arguments, working
/// directory, environment, stdio, accepted exit codes, timeout and
/// cancellation. A value type: cheap to copy relative to a spawn, and every
/// setter returns `*this` for chaining.
///
/// @details Nothing is validated or looked up until a run starts; then an
/// empty program, a NUL byte in the program, an argument or an environment
/// entry, an environment name containing `=`, a zero or negative timeout or
/// idle timeout, a negative grace, or an `ok_codes` that is empty or holds a
/// code outside 0-255 is `errc::invalid_argument` (the diagnostics say
/// which, never with an argument or environment value), a program not found on PATH is
/// `errc::program_not_found` (the diagnostics list the directories searched),
/// and a missing working directory is `errc::bad_working_directory`.
class command
{
public:
    using duration = std::chrono::nanoseconds;

    /// `program` is a path (if it contains a `/`) or a name looked up on PATH
    /// (the child's PATH when the command sets one, else the parent's).
    explicit command(std::string program) : program_(std::move(program)) {}

    command& arg(std::string a)
    {
        args_.push_back(std::move(a));
        return *this;
    }
    command& args(std::initializer_list<std::string> as)
    {
        args_.insert(args_.end(), as.begin(), as.end());
        return *this;
    }
    command& args(const std::vector<std::string>& as)
    {
        args_.insert(args_.end(), as.begin(), as.end());
        return *this;
    }
    /// The child's argv[0] (default: the program as given).
    command& arg0(std::string a)
    {
        arg0_ = std::move(a);
        return *this;
    }
    /// Working directory of the child (default: the parent's).
    command& cwd(std::string dir)
    {
        cwd_ = std::move(dir);
        return *this;
    }

    /// Set one variable in the child's environment.
    command& env(std::string name, std::string value)
    {
        env_[std::move(name)] = std::move(value);
        return *this;
    }
    /// Remove one variable from the child's environment.
    command& env_remove(std::string name)
    {
        env_[std::move(name)] = std::nullopt;
        return *this;
    }
    /// Start from an empty environment (then apply `env`).
    command& env_clear()
    {
        env_clear_ = true;
        inherit_env_.reset();
        return *this;
    }
    /// Start from only these variables of the parent's environment.
    command& inherit_env(std::vector<std::string> allow)
    {
        env_clear_ = false;
        inherit_env_ = std::move(allow);
        return *this;
    }

    command& std_in(stdin_source s)
    {
        stdin_ = std::move(s);
        return *this;
    }
    /// Shorthand for `std_in(stdin_source::bytes(data))`.
    command& stdin_bytes(std::string data) { return std_in(stdin_source::bytes(std::move(data))); }
    command& std_out(stdio_mode m)
    {
        stdout_ = std::move(m);
        return *this;
    }
    command& std_err(stdio_mode m)
    {
        stderr_ = std::move(m);
        return *this;
    }

    /// Exit codes counted as success (default: only 0).
    command& ok_codes(std::vector<int> codes)
    {
        ok_codes_ = std::move(codes);
        return *this;
    }

    /// Kill the whole tree when the run takes longer than `d`. The run's
    /// outcome is then `timed_out`.
    command& timeout(duration d)
    {
        timeout_ = d;
        return *this;
    }
    /// On timeout, send `timeout_signal` first and SIGKILL only after `grace`
    /// (default: no grace, SIGKILL at once).
    command& timeout_grace(duration grace)
    {
        timeout_grace_ = grace;
        return *this;
    }
    command& timeout_signal(processkit::signal s)
    {
        timeout_signal_ = s;
        return *this;
    }
    /// Cancel the run when `token` is stopped: its tree is killed and the
    /// run fails with `errc::cancelled`. One token can cancel many runs. A
    /// token stopped before the run starts spawns nothing.
    command& cancel_on(std::stop_token token)
    {
        cancel_ = std::move(token);
        return *this;
    }

    /// Bounds for captured and streamed output (default: unbounded).
    command& output_buffer(output_buffer_policy p)
    {
        buffer_ = p;
        return *this;
    }
    /// How lines end, for line streams, tee handlers and `first_line`.
    command& line_end(processkit::line_terminator t)
    {
        line_end_ = t;
        return *this;
    }
    /// The encoding of the child's stdout/stderr (an iconv name such as
    /// "ISO-8859-1"); text is converted to UTF-8 for `output_string` and the
    /// line streams, with invalid input replaced by U+FFFD. Default: UTF-8.
    command& stdout_encoding(std::string name)
    {
        stdout_encoding_ = std::move(name);
        return *this;
    }
    command& stderr_encoding(std::string name)
    {
        stderr_encoding_ = std::move(name);
        return *this;
    }
    /// Tee: `h` sees every stdout (stderr) line while it is still captured.
    command& on_stdout_line(line_handler h)
    {
        stdout_tee_ = std::move(h);
        return *this;
    }
    command& on_stderr_line(line_handler h)
    {
        stderr_tee_ = std::move(h);
        return *this;
    }
    /// Kill the tree when no output arrives on stdout or stderr for `d`; the
    /// outcome is then `timed_out` (the diagnostics say "idle").
    command& idle_timeout(duration d)
    {
        idle_timeout_ = d;
        return *this;
    }

    /// Attempt the run again when an attempt fails, per `policy` (see
    /// retry_policy): every verb honours it.
    command& retry(retry_policy policy)
    {
        retry_ = std::move(policy);
        return *this;
    }
    /// In a pipeline: this stage's failure does not fail the chain (pipefail
    /// skips it), as `yes` in `yes | head -1`.
    command& unchecked_in_pipe(bool unchecked = true)
    {
        unchecked_in_pipe_ = unchecked;
        return *this;
    }

    /// A pipeline: this command's stdout feeds `next`'s stdin (include
    /// <boost/processkit/pipeline.hpp>). Same as `*this | next`.
    pipeline pipe(command next) const&;
    pipeline pipe(command next) &&;

    // Observers.
    const std::string& program() const noexcept { return program_; }
    const std::vector<std::string>& arguments() const noexcept { return args_; }
    const std::optional<std::string>& argv0() const noexcept { return arg0_; }
    const std::optional<std::string>& working_directory() const noexcept { return cwd_; }
    /// Variables set (value) or removed (nullopt).
    const std::map<std::string, std::optional<std::string>>& env_changes() const noexcept { return env_; }
    bool env_cleared() const noexcept { return env_clear_; }
    const std::optional<std::vector<std::string>>& env_allow_list() const noexcept { return inherit_env_; }
    const stdin_source& stdin_config() const noexcept { return stdin_; }
    const stdio_mode& stdout_config() const noexcept { return stdout_; }
    const stdio_mode& stderr_config() const noexcept { return stderr_; }
    const std::vector<int>& accepted_codes() const noexcept { return ok_codes_; }
    bool accepts(int code) const noexcept
    {
        for (int c : ok_codes_)
            if (c == code)
                return true;
        return false;
    }
    const std::optional<duration>& timeout_value() const noexcept { return timeout_; }
    const std::optional<duration>& grace_value() const noexcept { return timeout_grace_; }
    processkit::signal timeout_signal_value() const noexcept { return timeout_signal_; }
    const std::stop_token& cancel_token() const noexcept { return cancel_; }
    const output_buffer_policy& buffer_policy() const noexcept { return buffer_; }
    processkit::line_terminator line_end_value() const noexcept { return line_end_; }
    const std::string& stdout_encoding_value() const noexcept { return stdout_encoding_; }
    const std::string& stderr_encoding_value() const noexcept { return stderr_encoding_; }
    const line_handler& stdout_tee() const noexcept { return stdout_tee_; }
    const line_handler& stderr_tee() const noexcept { return stderr_tee_; }
    const std::optional<duration>& idle_timeout_value() const noexcept { return idle_timeout_; }
    const std::optional<retry_policy>& retry_value() const noexcept { return retry_; }
    bool unchecked_in_pipe_value() const noexcept { return unchecked_in_pipe_; }

private:
    std::string program_;
    std::vector<std::string> args_;
    std::optional<std::string> arg0_;
    std::optional<std::string> cwd_;
    std::map<std::string, std::optional<std::string>> env_;
    bool env_clear_ = false;
    std::optional<std::vector<std::string>> inherit_env_;
    stdin_source stdin_ = stdin_source::null();
    stdio_mode stdout_ = stdio_mode::pipe();
    stdio_mode stderr_ = stdio_mode::pipe();
    std::vector<int> ok_codes_{0};
    std::optional<duration> timeout_;
    std::optional<duration> timeout_grace_;
    processkit::signal timeout_signal_ = processkit::signal::term;
    std::stop_token cancel_;
    output_buffer_policy buffer_;
    processkit::line_terminator line_end_ = processkit::line_terminator::newline;
    std::string stdout_encoding_;
    std::string stderr_encoding_;
    line_handler stdout_tee_;
    line_handler stderr_tee_;
    std::optional<duration> idle_timeout_;
    std::optional<retry_policy> retry_;
    bool unchecked_in_pipe_ = false;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_COMMAND_HPP
