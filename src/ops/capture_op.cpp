// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The capture op: one run to completion (the runners' async_capture), its
// child from a child_source. Every decision of the run (timeouts, grace,
// cancellation, output limit, teardown, completion) is the run_machine's
// (src/core/run_machine.hpp), what becomes of the output the stream sinks'
// (src/core/stream_sink.hpp): this operation reports the events and
// performs the actions.

#include <boost/processkit/process_runner.hpp>

#include "child_source.hpp"
#include "run_limits.hpp"
#include "../backend/group_backend.hpp"
#include "../backend/pipes.hpp"
#include "../core/run_machine.hpp"
#include "../core/stream_sink.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <memory>
#include <optional>
#include <stop_token>

namespace boost {
namespace processkit {
namespace {

using clock = std::chrono::steady_clock;
using capture_handler = asio::any_completion_handler<void(error_code, process_result)>;
using detail::cancel_grade;
using detail::end_cause;
using detail::timer_kind;

using detail::grade_of;
using detail::limits_of;

constexpr std::size_t max_drain = 4 * 1024 * 1024;          // per wakeup, then other work gets a turn
constexpr std::uint64_t big_stream_bytes = 4 * 1024 * 1024; // then the pipe grows to
constexpr std::size_t big_pipe_bytes = 1024 * 1024;

// The parent's side of one run.
class capture_op : public std::enable_shared_from_this<capture_op>
{
public:
    capture_op(asio::any_io_executor ex, command cmd, capture_handler h, detail::child_source source)
        : ex_(ex), strand_(asio::make_strand(ex)), cmd_(std::move(cmd)), handler_(std::move(h)),
          source_(std::move(source)), pipes_{detail::pipe_reader(strand_), detail::pipe_reader(strand_)}, in_(strand_),
          exit_watch_(strand_), timers_{asio::steady_timer(strand_), asio::steady_timer(strand_),
                                        asio::steady_timer(strand_)},
          machine_(limits_of(cmd_), 1, 2)
    {
    }

    void start()
    {
        auto self = shared_from_this();
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
        {
            std::weak_ptr<capture_op> weak = self;
            slot.assign([weak](asio::cancellation_type type) {
                if (auto grade = grade_of(type))
                    post_cancel(weak, *grade);
            });
        }
        asio::post(strand_, [self] { self->launch(); });
    }

private:
    // A cancellation from any thread reaches the machine on the strand. A
    // refused one (total, once spawned) leaves the run going: the operation
    // then completes as if it had not been asked.
    static void post_cancel(const std::weak_ptr<capture_op>& weak, cancel_grade grade)
    {
        if (auto s = weak.lock())
            asio::post(s->strand_, [s, grade] { s->perform(s->machine_.on_cancel(grade)); });
    }

    struct stop_fn
    {
        std::weak_ptr<capture_op> weak;
        void operator()() const { post_cancel(weak, cancel_grade::terminal); }
    };

    void launch()
    {
        start_time_ = clock::now();
        if (delivered_)
            return; // cancelled before it started
        if (cmd_.cancel_token().stop_requested())
            return perform(machine_.on_cancel(cancel_grade::terminal)); // completes it: nothing is spawned
        for (int i = 0; i < 2; ++i)
        {
            // Every encoding is checked before anything is spawned. A teed
            // stream sees text, as the live streams do.
            auto sink = detail::stream_sink::create(cmd_, i, detail::stream_sink::product::bytes);
            if (!sink)
                return fail(sink.error()); // an unknown encoding: nothing is spawned
            sinks_[i] = std::move(sink).value();
        }
        auto started = source_(cmd_, false);
        if (!started)
            return fail(started.error());
        adopt(started.value());
        watch();
    }

    void adopt(detail::started_child& child)
    {
        group_.emplace(std::move(child.group));
        record_ = std::move(child.record);
        detail::unique_fd* ends[2] = {&child.stdout_r, &child.stderr_r};
        for (int i = 0; i < 2; ++i)
        {
            if (*ends[i])
                pipes_[i].assign(std::move(*ends[i]));
            else // not captured: closed up front (no action can come before the start)
                perform(machine_.on_stream_eof(static_cast<std::size_t>(i)));
        }
        if (child.stdin_w)
            in_.assign(std::move(child.stdin_w));
    }

    // The waits on the child, then the machine's start (its timers) and the
    // cancel_on token, whose stop reaches the machine after on_started().
    void watch()
    {
        exit_watch_.watch(record_);
        exit_watch_.async_wait([self = shared_from_this()](detail::exit_status st) { self->on_exit(st); });
        for (int i = 0; i < 2; ++i)
            if (pipes_[i].is_open())
                wait_readable(i);
        if (in_.is_open())
            write_stdin();
        perform(machine_.on_started());
        if (cmd_.cancel_token().stop_possible())
            stop_cb_.emplace(cmd_.cancel_token(), stop_fn{weak_from_this()});
    }

    // A chunk arrived on stream i: the sink tees and keeps it.
    void on_chunk(int i, std::size_t n)
    {
        const auto slot = static_cast<std::size_t>(i);
        perform(machine_.on_output(slot)); // re-arms the idle timer
        sinks_[i]->commit(n);
        if (sinks_[i]->limit_hit() && !machine_.output_limited())
            perform(machine_.on_output_limit(slot)); // kills the tree; complete() reports output_limit
    }

    void on_stream_end(int i)
    {
        sinks_[i]->finish();
        pipes_[i].close();
        perform(machine_.on_stream_eof(static_cast<std::size_t>(i)));
    }

    // Readiness first, then read until the pipe is empty: nothing is
    // allocated for a stream that stays silent, one wakeup drains many reads.
    void wait_readable(int i)
    {
        pipes_[i].async_wait([self = shared_from_this(), i](error_code ec) {
            if (self->delivered_)
                return;
            if (ec)
                self->on_stream_end(i);
            else
                self->drain(i);
        });
    }

    void drain(int i)
    {
        for (std::size_t total = 0; total < max_drain;)
        {
            auto [p, room] = sinks_[i]->prepare();
            std::size_t got = 0;
            auto st = pipes_[i].read_some(p, room, got);
            if (st == detail::read_status::would_block)
                break;
            if (st == detail::read_status::eof)
                return on_stream_end(i); // EOF, or an error that ends the stream alike
            on_chunk(i, got);
            if (delivered_)
                return;
            total += got;
            if (got < room)
                break; // the pipe is empty for now
        }
        // A stream that has carried a lot gets a bigger pipe: fewer wakeups
        // of the writer and of this reader.
        if (!pipe_grown_[i] && sinks_[i]->seen() >= big_stream_bytes)
        {
            pipe_grown_[i] = true;
            pipes_[i].grow_buffer(big_pipe_bytes);
        }
        wait_readable(i);
    }

    void write_stdin()
    {
        const std::string& data = cmd_.stdin_config().data();
        while (stdin_off_ < data.size())
        {
            std::size_t n = 0;
            auto st = in_.write_some(data.data() + stdin_off_, data.size() - stdin_off_, n);
            stdin_off_ += n;
            if (st == detail::write_status::would_block)
                return in_.async_wait([self = shared_from_this()](error_code ec) {
                    if (ec)
                        self->in_.close();
                    else
                        self->write_stdin();
                });
            if (st == detail::write_status::closed)
                break; // EPIPE: the child stopped reading, which is its right
        }
        in_.close();
    }

    void on_exit(detail::exit_status st)
    {
        if (!delivered_)
            perform(machine_.on_exit(0, detail::child_exit{st.exited, st.value, st.known}));
    }

    // Performs what the machine decided, in its order: timers, signal,
    // stdin, teardown, completion. (`exited` needs nothing here: `complete`
    // follows it. `refused`: nothing was done, the run goes on.)
    void perform(const detail::run_actions& a)
    {
        if (delivered_)
            return;
        for (std::size_t k = 0; k < detail::timer_kind_count; ++k)
        {
            if (a.disarm[k])
                timers_[k].cancel();
            if (a.arm[k])
                arm_timer(static_cast<timer_kind>(k), *a.arm[k]);
        }
        // Not kill_all(): nothing here waits for the tree to die. The exit
        // and the EOFs come back as events.
        if (a.signal)
            (void)group_->signal(*a.signal);
        if (a.close_stdin)
            in_.close();
        if (a.start_teardown)
            start_teardown();
        if (a.complete)
            complete();
    }

    void arm_timer(timer_kind k, const detail::timer_arm& arm)
    {
        auto& timer = timers_[static_cast<std::size_t>(k)];
        timer.expires_after(arm.after);
        timer.async_wait([self = shared_from_this(), k, gen = arm.generation](error_code e) {
            if (!e)
                self->perform(self->machine_.on_timer(k, gen));
        });
    }

    // Whatever the child left behind dies before the result is handed over,
    // without blocking this executor while it does (the handler may run
    // inline, the common case).
    void start_teardown()
    {
        detail::async_kill_tree(strand_, detail::access::state(*group_), [self = shared_from_this()](error e) {
            self->perform(self->machine_.on_teardown_done(!e));
        });
    }

    void complete()
    {
        if (!machine_.started())
            return fail(error(errc::cancelled)); // cancelled before anything was spawned
        auto st = machine_.status(0);
        if (st && !st->known && machine_.cause() == end_cause::none)
            return fail(status_lost());
        process_result r;
        r.duration = clock::now() - start_time_;
        if (machine_.timed_out())
            r.outcome = run_outcome::timed_out();
        else if (st && st->exited)
            r.outcome = run_outcome::exited(st->value);
        else
            r.outcome = run_outcome::signalled(st ? st->value : native_signal(signal::kill));
        r.accepted = r.code() && cmd_.accepts(*r.code());
        r.std_out = sinks_[0]->take_bytes();
        r.std_err = sinks_[1]->take_bytes();
        r.std_out_truncated = sinks_[0]->truncated();
        r.std_err_truncated = sinks_[1]->truncated();
        const std::string& err_text = cmd_.stderr_config().type() == stdio_mode::kind::merge ? r.std_out : r.std_err;
        r.diagnostics = detail::finished_diagnostics(cmd_, r.outcome, r.duration, err_text, machine_.idle_expired());
        error_code ec = machine_.output_limited() ? make_error_code(errc::output_limit)
                        : machine_.cancelled()    ? make_error_code(errc::cancelled)
                                                  : error_code();
        deliver(ec, std::move(r));
    }

    error status_lost() const
    {
        diagnostics d;
        d.program = cmd_.program();
        d.step = "waitid";
        d.detail = detail::status_lost_detail;
        return error(errc::status_unavailable, std::move(d));
    }

    void fail(error e)
    {
        process_result r;
        r.outcome = run_outcome::exited(0);
        r.accepted = false;
        r.diagnostics = e.diag();
        if (r.diagnostics.program.empty())
            r.diagnostics.program = cmd_.program();
        r.duration = clock::now() - start_time_;
        r.diagnostics.elapsed = r.duration;
        deliver(e.code(), std::move(r));
    }

    // The tree is torn down already (the machine completes only then) or was
    // never spawned. Streams still open after a failed teardown close here.
    void deliver(error_code ec, process_result r)
    {
        delivered_ = true;
        stop_cb_.reset();
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
        for (auto& t : timers_)
            t.cancel();
        for (auto& p : pipes_)
            p.close();
        in_.close();
        exit_watch_.stop();
        group_.reset(); // the tree is dead: this only gives the cgroup back
        auto h = std::move(handler_);
        auto hex = asio::get_associated_executor(h, ex_);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    command cmd_;
    capture_handler handler_;
    detail::child_source source_;
    std::array<detail::pipe_reader, 2> pipes_; ///< stdout, stderr
    detail::pipe_writer in_;
    detail::exit_watch exit_watch_;
    std::array<asio::steady_timer, detail::timer_kind_count> timers_; ///< by timer_kind
    detail::run_machine machine_;
    std::array<std::unique_ptr<detail::stream_sink>, 2> sinks_;
    std::optional<process_group> group_;
    std::shared_ptr<detail::child_record> record_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    std::array<bool, 2> pipe_grown_{false, false};
    std::size_t stdin_off_ = 0;
    clock::time_point start_time_ = clock::now();
    bool delivered_ = false;
};

} // namespace

namespace detail {

void async_capture(asio::any_io_executor ex, command cmd, capture_handler handler, child_source source)
{
    std::make_shared<capture_op>(std::move(ex), std::move(cmd), std::move(handler), std::move(source))->start();
}

} // namespace detail
} // namespace processkit
} // namespace boost
