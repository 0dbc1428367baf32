// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_OUTPUT_ALL_HPP
#define BOOST_PROCESSKIT_OUTPUT_ALL_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_result.hpp>
#include <boost/processkit/process_runner.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace boost {
namespace processkit {

/// What each entry of a fan-out holds: `output_string`'s outcome (stdout and
/// stderr as UTF-8 text) or `output_bytes`' one (raw bytes).
enum class output_kind
{
    text,
    bytes,
};

/// One finished entry of an `output_stream`: the index of its command in
/// the input, and that command's outcome.
struct indexed_result
{
    std::size_t index;
    processkit::result<process_result> result;
};

namespace detail {
struct output_stream_state;

using output_all_handler = asio::any_completion_handler<void(error_code, std::vector<result<process_result>>)>;

BOOST_PROCESSKIT_DECL void initiate_output_all(process_runner& runner, asio::any_io_executor ex,
                                               std::vector<command> cmds, std::size_t concurrency, output_kind kind,
                                               output_all_handler handler);

template <class Token>
auto async_output_all(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                      std::size_t concurrency, output_kind kind, Token&& token)
{
    return asio::async_initiate<Token, void(error_code, std::vector<result<process_result>>)>(
        [](auto handler, process_runner* r, asio::any_io_executor e, std::vector<command> c, std::size_t n,
           output_kind k) { initiate_output_all(*r, std::move(e), std::move(c), n, k, std::move(handler)); },
        token, &runner, std::move(ex), std::move(cmds), concurrency, kind);
}
} // namespace detail

/// Runs every command of `cmds` on `runner`, at most `concurrency` of them at
/// any moment, and returns each one's outcome in input order.
///
/// @details The commands start in input order; whenever one finishes, the
/// next starts, so that `concurrency` (or fewer, near the end) run at once.
/// Entry `i` of the result is what `runner.output_string(cmds[i])` would
/// return: the full `process_result` (a non-zero exit or a timeout is
/// recorded there, not an error), or the error that kept the command from
/// running (`errc::program_not_found`, ...) with its diagnostics. One
/// entry's failure, timeout or absence never affects another's.
///
/// `output_all_bytes` is the same with `output_bytes`' entries: stdout and
/// stderr as raw bytes, undecoded.
///
/// The outer result fails only for a bad call: `concurrency == 0` is
/// `errc::invalid_argument` (nothing runs). An empty `cmds` gives an empty
/// vector.
///
/// The overloads without a runner use `default_runner()`.
///
/// Exception safety: a bad_alloc escapes; nothing else is thrown.
/// Object lifetimes: `runner` must outlive the call.
/// Thread safety: blocks the calling thread, on which a private io_context
/// serves the runs; any number of threads may call it at once.
BOOST_PROCESSKIT_DECL result<std::vector<result<process_result>>>
output_all(process_runner& runner, std::vector<command> cmds, std::size_t concurrency);
/// `output_all` with raw-byte entries (`output_bytes`).
BOOST_PROCESSKIT_DECL result<std::vector<result<process_result>>>
output_all_bytes(process_runner& runner, std::vector<command> cmds, std::size_t concurrency);
/// `output_all` on `default_runner()`.
BOOST_PROCESSKIT_DECL result<std::vector<result<process_result>>> output_all(std::vector<command> cmds,
                                                                             std::size_t concurrency);
/// `output_all_bytes` on `default_runner()`.
BOOST_PROCESSKIT_DECL result<std::vector<result<process_result>>> output_all_bytes(std::vector<command> cmds,
                                                                                   std::size_t concurrency);

/// Asynchronously runs every command of `cmds` on `runner`, at most
/// `concurrency` at any moment, served by `ex`, and completes with each
/// one's outcome in input order (see `output_all`).
///
/// @details Takes any Asio completion token, `asio::deferred` when none is
/// given (`co_await pk::async_output_all(runner, ex, cmds, 8)`). The
/// handler never runs inside this call; it runs on its associated executor
/// (`ex` by default). Each run is handed a strand of `ex`, on which the
/// batch is scheduled.
///
/// Handler signature: `void(error_code, std::vector<result<process_result>>)`.
/// The error is `errc::invalid_argument` for `concurrency == 0` (empty
/// vector, nothing runs), `errc::cancelled` after a cancellation (below),
/// else none; the vector then has one entry per command, in input order.
///
/// Cancellation (per-operation, through the token's slot):
/// - terminal, partial: nothing more starts; the same cancellation type is
///   emitted on every run in flight (terminal kills its tree at once,
///   partial sends its timeout signal, then kills after its grace); the
///   batch completes, with `errc::cancelled`, once every run in flight has
///   ended and its tree is gone. Entries already finished keep their
///   results; every other one is `errc::cancelled` (a command never
///   started names its program in the diagnostics). No process is left.
/// - total: honoured only before the first run has been started (then
///   nothing runs and every entry is `errc::cancelled`); refused after,
///   since runs already made cannot be undone: the batch goes on as if it
///   had not been asked.
/// A command's own `cancel_on` token cancels only that command's entry.
///
/// Object lifetimes: `runner` must outlive the operation; `cmds` is taken
/// by value.
/// Thread safety: the batch is scheduled on a strand; the cancellation
/// slot may be emitted from the handler's executor.
template <class Token = asio::deferred_t>
auto async_output_all(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                      std::size_t concurrency, Token&& token = Token())
{
    return detail::async_output_all(runner, std::move(ex), std::move(cmds), concurrency, output_kind::text,
                                    std::forward<Token>(token));
}
/// `async_output_all` with raw-byte entries (`output_bytes`).
template <class Token = asio::deferred_t>
auto async_output_all_bytes(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                            std::size_t concurrency, Token&& token = Token())
{
    return detail::async_output_all(runner, std::move(ex), std::move(cmds), concurrency, output_kind::bytes,
                                    std::forward<Token>(token));
}
/// `async_output_all` on `default_runner()`.
template <class Token = asio::deferred_t>
auto async_output_all(asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                      Token&& token = Token())
{
    return detail::async_output_all(default_runner(), std::move(ex), std::move(cmds), concurrency, output_kind::text,
                                    std::forward<Token>(token));
}
/// `async_output_all_bytes` on `default_runner()`.
template <class Token = asio::deferred_t>
auto async_output_all_bytes(asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                            Token&& token = Token())
{
    return detail::async_output_all(default_runner(), std::move(ex), std::move(cmds), concurrency, output_kind::bytes,
                                    std::forward<Token>(token));
}

/// The results of a bounded fan-out as they come: each command's outcome,
/// tagged with its index, in completion order.
///
/// @details Construction starts the batch on `runner`, served by `ex`: at
/// most `concurrency` commands run at any moment, in input order, the next
/// one starting whenever one finishes (as `async_output_all`). Each
/// finished entry is queued until `async_next` takes it; every command's
/// entry comes out exactly once, then `errc::end_of_stream`. An entry is
/// `output_string`'s outcome (`output_kind::bytes`: `output_bytes`'), as
/// in `output_all`. A stream made with `concurrency == 0` runs nothing and
/// every `async_next` fails with `errc::invalid_argument`.
///
///     pk::output_stream s(runner, ex, cmds, 8);
///     for (;;) {
///         auto [ec, e] = co_await s.async_next(asio::as_tuple(asio::deferred));
///         if (ec) break; // errc::end_of_stream
///         use(e.index, e.result);
///     }
///
/// Cancellation: `cancel()` stops the batch: nothing more starts, every run
/// in flight gets the cancellation (terminal by default: its tree is killed
/// now). The stream still delivers every entry: those finished before keep
/// their results, all others come out as `errc::cancelled`, then
/// `errc::end_of_stream`. Destroying the stream cancels the batch too
/// (terminal); the trees are torn down as `ex` runs, and no process is left
/// once it has. Cancelling an `async_next` through its token's slot (any
/// type) completes that wait with `errc::cancelled`; no entry is lost and
/// the batch goes on.
///
/// Object lifetimes: `runner` must outlive the batch (until the runs in
/// flight have completed, also after the stream is destroyed). With
/// `asio::deferred`, the stream must be alive when the operation is
/// launched.
/// Thread safety: `async_next`, `next`, `cancel` and the destructor may be
/// called from any thread; waits are served in the order they were made.
/// Move-only; moving is not thread-safe. A moved-from stream may only be
/// destroyed or assigned to.
class BOOST_PROCESSKIT_DECL output_stream
{
public:
    /// Starts the batch on `runner`.
    output_stream(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                  output_kind kind = output_kind::text);
    /// Starts the batch on `default_runner()`.
    output_stream(asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                  output_kind kind = output_kind::text);
    output_stream(output_stream&&) noexcept;
    output_stream& operator=(output_stream&&) noexcept;
    /// Cancels the batch (terminal); a pending `async_next` completes with `errc::cancelled`.
    ~output_stream();

    /// The next finished entry, in completion order.
    ///
    /// Handler signature: `void(error_code, indexed_result)`. The error is
    /// `errc::end_of_stream` once every entry has been taken,
    /// `errc::cancelled` when this wait was cancelled or the stream
    /// destroyed, `errc::invalid_argument` for `concurrency == 0`; the
    /// `indexed_result` then has `index == std::size_t(-1)` and holds the
    /// same error. An entry's own failure is in its `result`, not here.
    /// Cancellation: terminal, partial and total complete this wait with
    /// `errc::cancelled`; no entry is lost.
    template <class Token = asio::deferred_t>
    auto async_next(Token&& token = Token())
    {
        return asio::async_initiate<Token, void(error_code, indexed_result)>(
            [this](auto handler) {
                initiate_next(asio::any_completion_handler<void(error_code, indexed_result)>(std::move(handler)));
            },
            token);
    }
    /// Blocking form: for a stream whose executor another thread runs (never
    /// from a thread running it: from inside the batch's strand that is
    /// `errc::unsupported`, from elsewhere on it a deadlock).
    result<indexed_result> next();

    /// Stops the batch (see the class' Cancellation); `type` as for
    /// `async_output_all` (total: only before the first run has started).
    void cancel(asio::cancellation_type type = asio::cancellation_type::terminal);

    /// How many commands the batch has (entries to come out, in all).
    std::size_t size() const noexcept;
    asio::any_io_executor get_executor() const noexcept;

private:
    void initiate_next(asio::any_completion_handler<void(error_code, indexed_result)> h);
    std::shared_ptr<detail::output_stream_state> state_;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_OUTPUT_ALL_HPP
