// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_RUNNING_PROCESS_HPP
#define BOOST_PROCESSKIT_RUNNING_PROCESS_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <compare>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost {
namespace processkit {

namespace detail {
struct live_state;
struct line_batch_access;

/// Where one line of a `line_batch` lies in the batch's text.
struct line_span
{
    std::size_t offset;
    std::size_t size;
};
} // namespace detail

/// How a streamed run ended, plus its captured stderr (`running_process::finish`).
struct finished
{
    run_outcome outcome = run_outcome::exited(0);
    std::string std_err; ///< stderr lines not consumed through `stderr_lines()`, joined with '\n'
    bool std_err_truncated = false;
    std::chrono::nanoseconds duration{};
    processkit::diagnostics diagnostics;
    /// A pipeline's stages (empty for one command), as in process_result:
    /// `outcome` and `std_err` are then the rightmost failed checked
    /// stage's (pipefail), else the last stage's.
    std::vector<stage_result> stages;
    std::optional<std::size_t> failed_stage;
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

/// Many consecutive lines of one stream, delivered at once
/// (`line_stream::async_next_batch`).
///
/// @details The lines share one text buffer: no allocation per line. Each
/// line is a `std::string_view` (terminator stripped, decoded like the
/// lines of `async_next`) valid as long as the batch, or any copy of it,
/// lives. Copies are cheap and share the buffer; `str(i)` copies one line
/// out. A default-constructed batch is empty.
///
/// Thread safety: a batch is immutable; distinct copies may be used and
/// destroyed from different threads.
class line_batch
{
public:
    /// A random-access iterator over the lines; dereferences to `std::string_view`.
    class iterator
    {
    public:
        using iterator_concept = std::random_access_iterator_tag;
        using iterator_category = std::input_iterator_tag; // dereferences to a value
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using reference = std::string_view;
        using pointer = void;

        iterator() noexcept = default;
        std::string_view operator*() const noexcept { return std::string_view(text_ + at_->offset, at_->size); }
        std::string_view operator[](difference_type n) const noexcept { return *(*this + n); }
        iterator& operator++() noexcept
        {
            ++at_;
            return *this;
        }
        iterator operator++(int) noexcept
        {
            iterator t = *this;
            ++at_;
            return t;
        }
        iterator& operator--() noexcept
        {
            --at_;
            return *this;
        }
        iterator operator--(int) noexcept
        {
            iterator t = *this;
            --at_;
            return t;
        }
        iterator& operator+=(difference_type n) noexcept
        {
            at_ += n;
            return *this;
        }
        iterator& operator-=(difference_type n) noexcept
        {
            at_ -= n;
            return *this;
        }
        friend iterator operator+(iterator i, difference_type n) noexcept { return i += n; }
        friend iterator operator+(difference_type n, iterator i) noexcept { return i += n; }
        friend iterator operator-(iterator i, difference_type n) noexcept { return i -= n; }
        friend difference_type operator-(const iterator& a, const iterator& b) noexcept { return a.at_ - b.at_; }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_ == b.at_; }
        friend std::strong_ordering operator<=>(const iterator& a, const iterator& b) noexcept
        {
            return a.at_ <=> b.at_;
        }

    private:
        friend class line_batch;
        iterator(const char* t, const detail::line_span* a) noexcept : text_(t), at_(a) {}
        const char* text_ = nullptr;
        const detail::line_span* at_ = nullptr;
    };

    line_batch() noexcept = default;

    /// The number of lines.
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// The sum of the lines' sizes (terminators are not part of lines).
    std::size_t bytes() const noexcept { return bytes_; }
    /// Line `i` (precondition: `i < size()`).
    std::string_view operator[](std::size_t i) const noexcept
    {
        return std::string_view(text_ + lines_[i].offset, lines_[i].size);
    }
    std::string_view front() const noexcept { return (*this)[0]; }
    std::string_view back() const noexcept { return (*this)[size_ - 1]; }
    /// A copy of line `i`.
    std::string str(std::size_t i) const { return std::string((*this)[i]); }
    iterator begin() const noexcept { return iterator(text_, lines_); }
    iterator end() const noexcept { return iterator(text_, lines_ + size_); }

private:
    friend struct detail::line_batch_access;
    const char* text_ = nullptr;
    const detail::line_span* lines_ = nullptr;
    std::size_t size_ = 0;
    std::size_t bytes_ = 0;
    std::shared_ptr<const void> keep_; ///< owns the text and the spans
};

/// A stream of decoded lines of one of the child's outputs.
///
/// @details `async_next` completes with the next line, in order, none lost
/// (within the command's `output_buffer_policy`), or with
/// `errc::end_of_stream` once the stream is exhausted. `async_next_batch`
/// completes with every line queued at that moment (at least one; at most
/// about `max_batch_bytes` of text, more only with a line longer than that),
/// same order, same end: for high line rates, where one operation per line
/// would cost more than the line itself. Both take lines from the same
/// queue and may be interleaved freely. Lines are read from the pipe
/// continuously whether or not anyone consumes them, so reading one stream
/// never blocks the child on the other.
///
/// Handler signatures: `void(error_code, std::string)` (`async_next`),
/// `void(error_code, line_batch)` (`async_next_batch`).
/// Cancellation: terminal, partial and total cancellation complete the
/// pending `async_next` or `async_next_batch` with `errc::cancelled`; no
/// line is lost and the child keeps running.
/// Thread safety: one operation (`async_next` or `async_next_batch`) at a
/// time per stream.
class BOOST_PROCESSKIT_DECL line_stream
{
public:
    /// A batch holds at most about this much text (more only with a line longer than that).
    static constexpr std::size_t max_batch_bytes = 256 * 1024;

    template <class Token = asio::deferred_t>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, std::string)>(
            [this](auto handler) {
                initiate_next(asio::any_completion_handler<void(error_code, std::string)>(std::move(handler)));
            },
            token);
    }
    /// Blocking form (not from the thread running the process's executor).
    result<std::string> next();

    /// Completes as soon as at least one line is available, with the lines
    /// queued at that moment, oldest first (at most about `max_batch_bytes`
    /// of text; the rest stays queued for the next call). Once the stream is
    /// exhausted: `errc::end_of_stream` (or `errc::output_limit`, as
    /// `async_next`) with an empty batch.
    ///
    /// Handler signature: `void(error_code, line_batch)`.
    /// Cancellation: terminal, partial and total complete it with
    /// `errc::cancelled` and an empty batch; no line is lost.
    template <class Token = asio::deferred_t>
    auto async_next_batch(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, line_batch)>(
            [this](auto handler) {
                initiate_next_batch(asio::any_completion_handler<void(error_code, line_batch)>(std::move(handler)));
            },
            token);
    }
    /// Blocking form (not from the thread running the process's executor).
    result<line_batch> next_batch();

    /// Some output was dropped per the output_buffer_policy.
    bool truncated() const;

private:
    friend class running_process;
    line_stream(std::shared_ptr<detail::live_state> s, int which) : state_(std::move(s)), which_(which) {}
    void initiate_next(asio::any_completion_handler<void(error_code, std::string)> h);
    void initiate_next_batch(asio::any_completion_handler<void(error_code, line_batch)> h);
    std::shared_ptr<detail::live_state> state_;
    int which_;
};

/// The merged stream of stdout lines, stderr lines (in arrival order) and a
/// final `exited` event. Handler signature: `void(error_code, output_event)`;
/// after the `exited` event, `errc::end_of_stream`.
class BOOST_PROCESSKIT_DECL event_stream
{
public:
    template <class Token = asio::deferred_t>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, output_event)>(
            [this](auto handler) {
                initiate_next(asio::any_completion_handler<void(error_code, output_event)>(std::move(handler)));
            },
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
    template <class Token = asio::deferred_t>
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
/// Every async member here (and the streams' ones, `async_wait_any`,
/// `async_wait_all`) takes any Asio completion token, `asio::deferred` when
/// none is given: the operation starts when the deferred value is invoked
/// or awaited, and the object must still be alive then.
///
/// Cancellation of `async_wait`/`async_finish` and of the readiness probes
/// completes them with `errc::cancelled` and leaves the child running. A
/// `cancel_on` token that ends the run makes every consumer of its end
/// (waits, finish, probes, the event stream) report `errc::cancelled`.
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
    template <class Token = asio::deferred_t>
    auto async_wait(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, run_outcome)>(
            [this](auto handler) {
                initiate_wait(asio::any_completion_handler<void(error_code, run_outcome)>(std::move(handler)));
            },
            token);
    }
    result<run_outcome> wait();

    /// Waits for the exit and returns the outcome with the stderr not
    /// consumed through `stderr_lines()`. Handler: `void(error_code, finished)`.
    template <class Token = asio::deferred_t>
    auto async_finish(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, finished)>(
            [this](auto handler) {
                initiate_finish(asio::any_completion_handler<void(error_code, finished)>(std::move(handler)));
            },
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
    // `errc::exited_before_ready` (the diagnostics say how it ended). Probes observe
    // output without consuming it from the line streams.

    /// A line of stdout or stderr (already received or still to come)
    /// satisfies `pred`. Handler: `void(error_code, std::string line)`.
    template <class Token = asio::deferred_t>
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
    template <class Token = asio::deferred_t>
    auto async_wait_for_output(std::string text, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, std::string t, auto d) {
                initiate_wait_for_output(std::move(t), d,
                                         asio::any_completion_handler<void(error_code)>(std::move(handler)));
            },
            token, std::move(text), deadline);
    }
    result<void> wait_for_output(std::string text, std::chrono::nanoseconds deadline);

    /// A TCP connection to 127.0.0.1:`port` succeeds. Handler: `void(error_code)`.
    template <class Token = asio::deferred_t>
    auto async_wait_for_port(unsigned short port, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return async_wait_for(make_port_check(port), deadline, std::forward<Token>(token));
    }
    result<void> wait_for_port(unsigned short port, std::chrono::nanoseconds deadline);

    /// `path` exists. Handler: `void(error_code)`.
    template <class Token = asio::deferred_t>
    auto async_wait_for_path(std::string path, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return async_wait_for(make_path_check(std::move(path)), deadline, std::forward<Token>(token));
    }
    result<void> wait_for_path(std::string path, std::chrono::nanoseconds deadline);

    /// `pred()` returns true (polled every 20 ms on the I/O thread).
    /// Handler: `void(error_code)`.
    template <class Token = asio::deferred_t>
    auto async_wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline, Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, auto p, auto d) {
                initiate_wait_for(std::move(p), d, asio::any_completion_handler<void(error_code)>(std::move(handler)));
            },
            token, std::move(pred), deadline);
    }
    result<void> wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline);

private:
    friend struct detail::access;
    explicit running_process(std::shared_ptr<detail::live_state> s) noexcept;

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
/// Starts a pipeline, live: the line streams, the output events and the
/// output probes are the last stage's, `write_stdin` feeds the first one,
/// `pid()` is the last stage's, `wait`/`finish` report the pipefail outcome
/// (`finished::stages` has every stage), and `kill`/`signal` reach the
/// whole chain. Same checks and teardown as running it (see `pipeline`).
BOOST_PROCESSKIT_DECL result<running_process> start(pipeline p);
BOOST_PROCESSKIT_DECL result<running_process> start(asio::any_io_executor ex, pipeline p);
BOOST_PROCESSKIT_DECL result<running_process> start(asio::any_io_executor ex, pipeline p,
                                                    const process_group_options& options);

namespace detail {
BOOST_PROCESSKIT_DECL void
initiate_wait_any(std::vector<running_process*> ps,
                  asio::any_completion_handler<void(error_code, std::size_t, run_outcome)> h);
BOOST_PROCESSKIT_DECL void
initiate_wait_all(std::vector<running_process*> ps,
                  asio::any_completion_handler<void(error_code, std::vector<run_outcome>)> h);
} // namespace detail

/// Completes when the first of `ps` exits, with its index and outcome; the
/// others keep running and stay usable. Handler:
/// `void(error_code, std::size_t, run_outcome)`. The processes must outlive
/// the operation.
template <class Token = asio::deferred_t>
auto async_wait_any(std::vector<running_process*> ps, Token&& token = Token())
{
    return asio::async_initiate<Token, void(error_code, std::size_t, run_outcome)>(
        [](auto handler, std::vector<running_process*> v) {
            detail::initiate_wait_any(
                std::move(v),
                asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>(std::move(handler)));
        },
        token, std::move(ps));
}
BOOST_PROCESSKIT_DECL result<std::pair<std::size_t, run_outcome>> wait_any(std::vector<running_process*> ps);

/// Completes when all of `ps` have exited, with their outcomes in order.
/// Handler: `void(error_code, std::vector<run_outcome>)`.
template <class Token = asio::deferred_t>
auto async_wait_all(std::vector<running_process*> ps, Token&& token = Token())
{
    return asio::async_initiate<Token, void(error_code, std::vector<run_outcome>)>(
        [](auto handler, std::vector<running_process*> v) {
            detail::initiate_wait_all(
                std::move(v),
                asio::any_completion_handler<void(error_code, std::vector<run_outcome>)>(std::move(handler)));
        },
        token, std::move(ps));
}
BOOST_PROCESSKIT_DECL result<std::vector<run_outcome>> wait_all(std::vector<running_process*> ps);

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_RUNNING_PROCESS_HPP
