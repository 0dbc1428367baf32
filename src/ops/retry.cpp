// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The retry op: attempts of one capture, the backoff machine
// (src/core/backoff.hpp) deciding whether and when the next one runs. This
// op only runs the attempts, sleeps and routes cancellations.

#include "retry.hpp"

#include "../core/backoff.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace boost {
namespace processkit {
namespace {

using detail::capture_handler;

bool is_cancellation(const error_code& ec)
{
    // Ours, and Asio's operation_aborted (both compare equal to the condition).
    return ec == errc::cancelled || ec == boost::system::errc::operation_canceled;
}

class retry_op : public std::enable_shared_from_this<retry_op>
{
public:
    retry_op(asio::any_io_executor ex, const retry_policy& policy, std::stop_token cancel_on,
             detail::attempt_fn attempt, capture_handler h)
        : ex_(ex), strand_(asio::make_strand(ex)), timer_(strand_), stop_(std::move(cancel_on)),
          attempt_(std::move(attempt)), retry_if_(policy.retry_if), handler_(std::move(h)),
          work_(asio::prefer(asio::get_associated_executor(handler_, ex_), asio::execution::outstanding_work.tracked))
    {
        if (auto invalid = detail::validate_retry_policy(policy))
            invalid_.emplace(std::move(invalid));
        else
            backoff_.emplace(detail::backoff_params_of(policy, detail::random_seed()));
    }

    void start()
    {
        auto self = shared_from_this();
        // Posted before the slot is connected, so on_cancel() always runs
        // after begin(); begin() sees an earlier emission through cancel_seen_.
        asio::post(strand_, [self] { self->begin(); });
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
        {
            std::weak_ptr<retry_op> weak = self;
            slot.assign([weak](asio::cancellation_type type) {
                if (type == asio::cancellation_type::none)
                    return;
                if (auto s = weak.lock())
                {
                    s->cancel_seen_.store(true, std::memory_order_release);
                    asio::post(s->strand_, [s, type] { s->on_cancel(type); });
                }
            });
        }
    }

private:
    enum class state : std::uint8_t
    {
        idle,       ///< before begin()
        attempting, ///< an attempt runs; a cancellation goes to it
        sleeping,   ///< the backoff before the next attempt
        done,
    };

    struct stop_fn
    {
        std::weak_ptr<retry_op> weak;
        void operator()() const
        {
            if (auto s = weak.lock())
                asio::post(s->strand_, [s] { s->on_stop(); });
        }
    };

    void begin()
    {
        if (invalid_)
        {
            last_.accepted = false;
            last_.diagnostics = invalid_->diag();
            return finish(invalid_->code());
        }
        // A cancellation emitted before the first attempt (before the
        // io_context even ran, say) spawns nothing, whatever its type.
        if (cancel_seen_.load(std::memory_order_acquire))
        {
            last_.accepted = false;
            last_.diagnostics.step = "retry";
            last_.diagnostics.detail = "before the first attempt";
            return finish(make_error_code(errc::cancelled));
        }
        // A token stopped already reaches the first attempt, which then
        // spawns nothing (and names the program).
        if (stop_.stop_possible())
            stop_cb_.emplace(stop_, stop_fn{weak_from_this()});
        launch();
    }

    void launch()
    {
        state_ = state::attempting;
        ++ran_;
        auto done = [self = shared_from_this()](error_code ec, process_result r) {
            self->on_attempt_done(ec, std::move(r));
        };
        // The attempt may complete inline (a test double): nothing follows this call.
        attempt_(asio::bind_cancellation_slot(attempt_signal_.slot(), asio::bind_executor(strand_, std::move(done))));
    }

    void on_attempt_done(error_code ec, process_result r)
    {
        if (state_ != state::attempting)
            return;
        last_ = std::move(r);
        if (!ec && last_.success())
            return finish(ec);
        if (is_cancellation(ec))
            return finish(ec); // a cancelled attempt is never retried
        if (backoff_->exhausted() || !(retry_if_ ? retry_if_(ec, last_) : processkit::default_retryable(ec, last_)))
            return finish(ec);
        // A cancellation the attempt did not honour (a total one once the
        // child ran, or one that came as it ended) stops the retries here.
        if (cancel_requested_ || stop_.stop_requested())
            return finish_cancelled();
        auto decision = backoff_->next();
        if (!decision.retries())
            return finish(ec);
        state_ = state::sleeping;
        timer_.expires_after(decision.delay);
        timer_.async_wait([self = shared_from_this()](error_code e) { self->on_wake(e); });
    }

    void on_wake(error_code e)
    {
        if (state_ != state::sleeping || e)
            return; // ended by a cancellation already
        if (cancel_requested_ || stop_.stop_requested())
            return finish_cancelled();
        launch();
    }

    // From the handler's slot, on the strand.
    void on_cancel(asio::cancellation_type type)
    {
        switch (state_)
        {
        case state::attempting:
            cancel_requested_ = true;
            attempt_signal_.emit(type); // the same type: the attempt decides what it means
            return;
        case state::sleeping: return finish_cancelled();
        case state::idle:
        case state::done: return;
        }
    }

    // From the cancel_on token, on the strand. During an attempt the attempt
    // sees the token itself; on_attempt_done() checks it before a retry.
    void on_stop()
    {
        if (state_ == state::sleeping)
            finish_cancelled();
    }

    // Cancelled between attempts: the last attempt's result, the backoff named.
    void finish_cancelled()
    {
        last_.diagnostics.step = "backoff before attempt " + std::to_string(ran_ + 1);
        finish(make_error_code(errc::cancelled));
    }

    // Completes with `ec` and the last attempt's result (or what begin() put there).
    void finish(error_code ec)
    {
        state_ = state::done;
        timer_.cancel();
        stop_cb_.reset();
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
        // attempt_ stays: this may run inside it (an inline completion). It
        // goes with the op, once the handler has been called.
        process_result r = std::move(last_);
        r.attempts = ran_;
        r.diagnostics.attempts = ran_;
        auto h = std::move(handler_);
        auto hex = asio::get_associated_executor(h, ex_);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
        work_ = {};
    }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer timer_;
    std::stop_token stop_;
    detail::attempt_fn attempt_;
    std::function<bool(const error_code&, const process_result&)> retry_if_;
    capture_handler handler_;
    /// The handler's executor has work until it is called.
    asio::any_completion_executor work_;
    std::optional<error> invalid_;
    std::optional<detail::backoff> backoff_;
    /// The slot every attempt's handler carries.
    asio::cancellation_signal attempt_signal_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    std::atomic<bool> cancel_seen_{false}; ///< the handler's slot was emitted (any thread)
    bool cancel_requested_ = false;        ///< ... and that reached the strand during an attempt
    state state_ = state::idle;
    std::size_t ran_ = 0; ///< attempts launched
    process_result last_;
};

} // namespace

bool default_retryable(const error_code& ec, const process_result& result)
{
    if (!ec)
        return !result.success(); // a rejected exit code, a signal, a timeout
    if (is_cancellation(ec))
        return false;
    // Trying again would change nothing.
    for (errc final_error : {errc::program_not_found, errc::bad_working_directory, errc::invalid_argument,
                             errc::unsupported, errc::group_closed, errc::output_limit})
        if (ec == final_error)
            return false;
    // Nor a program that cannot be executed: exec refused it (no permission,
    // not an executable format, a directory, a bad path).
    namespace se = boost::system::errc;
    for (se::errc_t exec_refused : {se::permission_denied, se::executable_format_error, se::is_a_directory,
                                    se::not_a_directory, se::filename_too_long, se::too_many_symbolic_link_levels})
        if (ec == se::make_error_condition(exec_refused))
            return false;
    return true; // a spawn failure (EAGAIN, EMFILE, ...), a lost status, ...
}

namespace detail {

void async_retry(asio::any_io_executor ex, const retry_policy& policy, std::stop_token cancel_on, attempt_fn attempt,
                 capture_handler handler)
{
    std::make_shared<retry_op>(std::move(ex), policy, std::move(cancel_on), std::move(attempt), std::move(handler))
        ->start();
}

} // namespace detail
} // namespace processkit
} // namespace boost
