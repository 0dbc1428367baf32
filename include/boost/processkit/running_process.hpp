// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_RUNNING_PROCESS_HPP
#define BOOST_PROCESSKIT_RUNNING_PROCESS_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost {
namespace processkit {

namespace detail {
struct live_state;
}

/// How a streamed run ended, plus its captured stderr (`running_process::finish`).
struct finished
{
    run_outcome outcome = run_outcome::exited(0);
    std::string std_err;  ///< stderr lines not consumed through `stderr_lines()`, joined with '\n'
    bool std_err_truncated = false;
    std::chrono::nanoseconds duration{};
    processkit::diagnostics diagnostics;
};

/// One item of the merged stream (`running_process::output_events`).
struct output_event
{
    enum class kind
    {
        stdout_line,
        stderr_line,
        exited, ///< the last event: the run ended (`outcome` is set)
    };
    kind type = kind::stdout_line;
    std::string line;
    std::optional<run_outcome> outcome;
};

/// A stream of decoded lines of one of the child's outputs.
///
/// @details `async_next` completes with the next line, in order, none lost
/// (within the command's `output_buffer_policy`), or with
/// `errc::end_of_stream` once the stream is exhausted. Lines are read from
/// the pipe continuously whether or not anyone consumes them, so reading
/// one stream never blocks the child on the other.
///
/// Handler signature: `void(error_code, std::string)`.
/// Cancellation: terminal, partial and total cancellation complete the
/// pending `async_next` with `errc::cancelled`; no line is lost and the
/// child keeps running.
/// Thread safety: one `async_next` at a time per stream.
class BOOST_PROCESSKIT_DECL line_stream
{
public:
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, std::string)>(
            [this](auto handler) { initiate_next(asio::any_completion_handler<void(error_code, std::string)>(std::move(handler))); },
            token);
    }
    /// Blocking form (not from the thread running the process's executor).
    result<std::string> next();
    /// Some output was dropped per the output_buffer_policy.
    bool truncated() const;

private:
    friend class running_process;
    line_stream(std::shared_ptr<detail::live_state> s, int which) : state_(std::move(s)), which_(which) {}
    void initiate_next(asio::any_completion_handler<void(error_code, std::string)> h);
    std::shared_ptr<detail::live_state> state_;
    int which_;
};

/// The merged stream of stdout lines, stderr lines (in arrival order) and a
/// final `exited` event. Handler signature: `void(error_code, output_event)`;
/// after the `exited` event, `errc::end_of_stream`.
class BOOST_PROCESSKIT_DECL event_stream
{
public:
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, output_event)>(
            [this](auto handler) { initiate_next(asio::any_completion_handler<void(error_code, output_event)>(std::move(handler))); },
            token);
    }
    result<output_event> next();

private:
    friend class running_process;
    explicit event_stream(std::shared_ptr<detail::live_state> s) : state_(std::move(s)) {}
    void initiate_next(asio::any_completion_handler<void(error_code, output_event)> h);
    std::shared_ptr<detail::live_state> state_;
};

/// Interactive stdin of a started child (the command's stdin must be
/// `stdin_source::bytes` or left at its default: `start` then opens a pipe).
///
/// @details Writes are queued and completed in order. Once the child has
/// exited or closed its end, writes fail with `errc::stdin_closed`; this
/// process never receives SIGPIPE.
class BOOST_PROCESSKIT_DECL stdin_writer
{
public:
    /// Handler signature: `void(error_code)`, once `data` is in the pipe.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_write(std::string data, Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, std::string d) {
                initiate_write(std::move(d), asio::any_completion_handler<void(error_code)>(std::move(handler)));
            },
            token, std::move(data));
    }
    /// Blocking forms.
    result<void> write(std::string data);
    result<void> write_line(std::string line) { return write(std::move(line) + "\n"); }
    /// Waits until everything written so far is in the pipe.
    result<void> flush() { return write(std::string()); }
    /// Closes stdin: the child sees EOF after the queued data.
    void close();

private:
    friend class running_process;
    explicit stdin_writer(std::shared_ptr<detail::live_state> s) : state_(std::move(s)) {}
    void initiate_write(std::string data, asio::any_completion_handler<void(error_code)> h);
    std::shared_ptr<detail::live_state> state_;
};

/// A started child: its pid, its streams, its stdin, and ways to wait for
/// it. Move-only. Destroying it kills the child's whole tree.
///
/// @details Started by `start(cmd)` (a private I/O thread serves it, so the
/// blocking members just work) or `start(executor, cmd)` (the executor serves
/// it; use the async members from there, the blocking ones only from other
/// threads). Its tree lives in a private process group, torn down when the
/// child exits, on `kill()`, and on destruction.
///
/// Cancellation of `async_wait`/`async_finish` and of the readiness probes
/// completes them with `errc::cancelled` and leaves the child running.
class BOOST_PROCESSKIT_DECL running_process
{
public:
    running_process(running_process&&) noexcept;
    running_process& operator=(running_process&&) noexcept;
    ~running_process();

    int pid() const noexcept;
    std::chrono::nanoseconds elapsed() const noexcept;
    asio::any_io_executor get_executor() const noexcept;

    line_stream stdout_lines() { return line_stream(state_, 0); }
    line_stream stderr_lines() { return line_stream(state_, 1); }
    event_stream output_events() { return event_stream(state_); }
    stdin_writer std_in() { return stdin_writer(state_); }

    /// Completes when the child has exited (and its tree is gone).
    /// Handler signature: `void(error_code, run_outcome)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, run_outcome)>(
            [this](auto handler) { initiate_wait(asio::any_completion_handler<void(error_code, run_outcome)>(std::move(handler))); },
            token);
    }
    result<run_outcome> wait();

    /// Waits for the exit and returns the outcome with the stderr not
    /// consumed through `stderr_lines()`. Handler: `void(error_code, finished)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_finish(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, finished)>(
            [this](auto handler) { initiate_finish(asio::any_completion_handler<void(error_code, finished)>(std::move(handler))); },
            token);
    }
    result<finished> finish();

    /// Kills the whole tree (SIGKILL); the outcome becomes `signalled(9)`.
    result<void> kill();
    /// Sends `s` to the whole tree.
    result<void> signal(processkit::signal s);

    // ---- Readiness probes. Each waits at most `deadline`: past it the result
    // is `errc::not_ready` (the child keeps running: a failed probe never
    // kills it). A child that exits first fails the probe at once with
    // `errc::not_ready` (the diagnostics say how it ended). Probes observe
    // output without consuming it from the line streams.

    /// A line of stdout or stderr (already received or still to come)
    /// satisfies `pred`. Handler: `void(error_code, std::string line)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait_for_line(std::function<bool(std::string_view)> pred, std::chrono::nanoseconds deadline,
                             Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, std::string)>(
            [this](auto handler, auto p, auto d) {
                initiate_wait_for_line(std::move(p), d,
                                       asio::any_completion_handler<void(error_code, std::string)>(std::move(handler)));
            },
            token, std::move(pred), deadline);
    }
    result<std::string> wait_for_line(std::function<bool(std::string_view)> pred, std::chrono::nanoseconds deadline);

    /// `text` appears in stdout or stderr, even in an unterminated line (a
    /// prompt such as "password: "). Handler: `void(error_code)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait_for_output(std::string text, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, std::string t, auto d) {
                initiate_wait_for_output(std::move(t), d, asio::any_completion_handler<void(error_code)>(std::move(handler)));
            },
            token, std::move(text), deadline);
    }
    result<void> wait_for_output(std::string text, std::chrono::nanoseconds deadline);

    /// A TCP connection to 127.0.0.1:`port` succeeds. Handler: `void(error_code)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait_for_port(unsigned short port, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return async_wait_for(make_port_check(port), deadline, std::forward<Token>(token));
    }
    result<void> wait_for_port(unsigned short port, std::chrono::nanoseconds deadline);

    /// `path` exists. Handler: `void(error_code)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait_for_path(std::string path, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return async_wait_for(make_path_check(std::move(path)), deadline, std::forward<Token>(token));
    }
    result<void> wait_for_path(std::string path, std::chrono::nanoseconds deadline);

    /// `pred()` returns true (polled every 20 ms on the I/O thread).
    /// Handler: `void(error_code)`.
    template <class Token = asio::default_completion_token_t<asio::any_io_executor>>
    auto async_wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, auto p, auto d) {
                initiate_wait_for(std::move(p), d, asio::any_completion_handler<void(error_code)>(std::move(handler)));
            },
            token, std::move(pred), deadline);
    }
    result<void> wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline);

    /// Internal.
    const std::shared_ptr<detail::live_state>& state() const noexcept { return state_; }
    explicit running_process(std::shared_ptr<detail::live_state> s) noexcept;

private:
    static std::function<bool()> make_port_check(unsigned short port);
    static std::function<bool()> make_path_check(std::string path);
    void initiate_wait(asio::any_completion_handler<void(error_code, run_outcome)> h);
    void initiate_finish(asio::any_completion_handler<void(error_code, finished)> h);
    void initiate_wait_for_line(std::function<bool(std::string_view)> pred, std::chrono::nanoseconds deadline,
                                asio::any_completion_handler<void(error_code, std::string)> h);
    void initiate_wait_for_output(std::string text, std::chrono::nanoseconds deadline,
                                  asio::any_completion_handler<void(error_code)> h);
    void initiate_wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline,
                           asio::any_completion_handler<void(error_code)> h);

    std::shared_ptr<detail::live_state> state_;
};

/// Starts `cmd` served by processkit's own I/O thread: the blocking members
/// work from any thread of yours.
BOOST_PROCESSKIT_DECL result<running_process> start(command cmd);
/// Starts `cmd` served by `ex`.
BOOST_PROCESSKIT_DECL result<running_process> start(asio::any_io_executor ex, command cmd);
/// Starts `cmd` served by `ex`, its private group made with `options`.
BOOST_PROCESSKIT_DECL result<running_process> start(asio::any_io_executor ex, command cmd,
                                                    const process_group_options& options);

namespace detail {
BOOST_PROCESSKIT_DECL void initiate_wait_any(std::vector<running_process*> ps,
                                             asio::any_completion_handler<void(error_code, std::size_t, run_outcome)> h);
BOOST_PROCESSKIT_DECL void initiate_wait_all(std::vector<running_process*> ps,
                                             asio::any_completion_handler<void(error_code, std::vector<run_outcome>)> h);
} // namespace detail

/// Completes when the first of `ps` exits, with its index and outcome; the
/// others keep running and stay usable. Handler:
/// `void(error_code, std::size_t, run_outcome)`. The processes must outlive
/// the operation.
template <class Token>
auto async_wait_any(std::vector<running_process*> ps, Token&& token)
{
    return asio::async_initiate<Token, void(error_code, std::size_t, run_outcome)>(
        [](auto handler, std::vector<running_process*> v) {
            detail::initiate_wait_any(std::move(v), asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>(
                                                          std::move(handler)));
        },
        token, std::move(ps));
}
BOOST_PROCESSKIT_DECL result<std::pair<std::size_t, run_outcome>> wait_any(std::vector<running_process*> ps);

/// Completes when all of `ps` have exited, with their outcomes in order.
/// Handler: `void(error_code, std::vector<run_outcome>)`.
template <class Token>
auto async_wait_all(std::vector<running_process*> ps, Token&& token)
{
    return asio::async_initiate<Token, void(error_code, std::vector<run_outcome>)>(
        [](auto handler, std::vector<running_process*> v) {
            detail::initiate_wait_all(std::move(v), asio::any_completion_handler<void(error_code, std::vector<run_outcome>)>(
                                                          std::move(handler)));
        },
        token, std::move(ps));
}
BOOST_PROCESSKIT_DECL result<std::vector<run_outcome>> wait_all(std::vector<running_process*> ps);

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_RUNNING_PROCESS_HPP
