// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// job_runner::async_capture: one run to completion in a private group. Every
// decision of the run (timeouts, grace, cancellation, output limit,
// teardown, completion) is the run_machine's (src/core/run_machine.hpp):
// this operation reports the events and performs the actions.

#include <boost/processkit/process_runner.hpp>

#include "../backend/group_backend.hpp"
#include "../core/run_machine.hpp"
#include "../core/decoder.hpp"
#include "../core/line_splitter.hpp"
#include "../core/byte_capture.hpp"
#include "../detail/live_state.hpp"
#include "../detail/spawn_run.hpp"
#include "../detail/string_growth.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
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

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_drain = 4 * 1024 * 1024;          // per wakeup, then other work gets a turn
constexpr std::uint64_t big_stream_bytes = 4 * 1024 * 1024; // then the pipe grows to
constexpr std::size_t big_pipe_bytes = 1024 * 1024;

detail::run_limits limits_of(const command& cmd)
{
    detail::run_limits l;
    l.timeout = cmd.timeout_value();
    l.idle_timeout = cmd.idle_timeout_value();
    l.grace = cmd.grace_value();
    l.soft_signal = cmd.timeout_signal_value();
    return l;
}

// The strongest grade the emitter allows: terminal, else partial, else total.
std::optional<cancel_grade> grade_of(asio::cancellation_type t)
{
    using ct = asio::cancellation_type;
    if ((t & ct::terminal) != ct::none)
        return cancel_grade::terminal;
    if ((t & ct::partial) != ct::none)
        return cancel_grade::partial;
    if ((t & ct::total) != ct::none)
        return cancel_grade::total;
    return std::nullopt;
}

// The parent's side of one run.
class capture_op : public std::enable_shared_from_this<capture_op>
{
public:
    capture_op(asio::any_io_executor ex, command cmd, capture_handler h, process_group_options opts,
               std::shared_ptr<detail::group_backend> parent)
        : ex_(ex), strand_(asio::make_strand(ex)), cmd_(std::move(cmd)), handler_(std::move(h)), opts_(opts),
          parent_(std::move(parent)), out_(strand_), err_(strand_), in_(strand_),
          exit_watch_(strand_), timers_{asio::steady_timer(strand_), asio::steady_timer(strand_),
                                        asio::steady_timer(strand_)},
          machine_(limits_of(cmd_), 1, 2)
    {
    }

    ~capture_op()
    {
        if (exit_watch_.is_open())
            exit_watch_.release(); // the record owns the pidfd
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
        if (auto e = make_decoders())
            return fail(*e); // an unknown encoding: nothing is spawned
        auto started = detail::spawn_run(cmd_, opts_, parent_, false);
        if (!started)
            return fail(started.error());
        adopt(started.value());
        watch();
    }

    // Every encoding is checked before anything is spawned. A teed stream
    // keeps its decoder: the tee sees text, as the live streams do ("", the
    // default, validates UTF-8, replacing invalid bytes with U+FFFD).
    std::optional<error> make_decoders()
    {
        for (int i = 0; i < 2; ++i)
        {
            const std::string& enc = i == 0 ? cmd_.stdout_encoding_value() : cmd_.stderr_encoding_value();
            if (enc.empty() && !tee(i))
                continue;
            auto d = detail::decoder::create(enc);
            if (!d)
                return d.error();
            if (tee(i))
                tee_dec_[i].emplace(std::move(d).value());
        }
        return std::nullopt;
    }

    void adopt(detail::started_child& child)
    {
        group_.emplace(std::move(child.group));
        record_ = std::move(child.record);
        detail::unique_fd* ends[2] = {&child.stdout_r, &child.stderr_r};
        for (int i = 0; i < 2; ++i)
        {
            if (!*ends[i])
            {
                // Not captured: closed up front (no action can come before the start).
                perform(machine_.on_stream_eof(static_cast<std::size_t>(i)));
                continue;
            }
            stream(i).assign(ends[i]->release());
            prepare_stream(i);
        }
        if (child.stdin_w)
            in_.assign(child.stdin_w.release());
    }

    // The waits on the child, then the machine's start (its timers) and the
    // cancel_on token, whose stop reaches the machine after on_started().
    void watch()
    {
        exit_watch_.assign(record_->pidfd);
        wait_exit();
        for (int i = 0; i < 2; ++i)
            if (stream(i).is_open())
                wait_readable(i);
        if (in_.is_open())
            write_stdin();
        perform(machine_.on_started());
        if (cmd_.cancel_token().stop_possible())
            stop_cb_.emplace(cmd_.cancel_token(), stop_fn{weak_from_this()});
    }

    // Bounded capture and tee need a look at every chunk; plain capture reads
    // straight into the result buffer.
    void prepare_stream(int i)
    {
        if (cmd_.buffer_policy().max_bytes || cmd_.buffer_policy().max_lines)
            bounded_[i].emplace(cmd_.buffer_policy());
        if (tee(i))
            tee_split_[i].emplace(cmd_.line_end_value());
    }

    const line_handler& tee(int i) const { return i == 0 ? cmd_.stdout_tee() : cmd_.stderr_tee(); }

    // A chunk arrived on stream i: tee its lines, bound it.
    void on_chunk(int i, std::string_view data)
    {
        const auto slot = static_cast<std::size_t>(i);
        perform(machine_.on_output(slot)); // re-arms the idle timer
        seen_[i] += data.size();
        if (tee_split_[i])
        {
            std::string_view text = data;
            if (tee_dec_[i])
            {
                scratch_.clear();
                tee_dec_[i]->feed(data, scratch_);
                text = scratch_;
            }
            tee_split_[i]->feed(text, tee(i));
        }
        if (!bounded_[i])
            out_bufs_[i].append(data);
        else if (!bounded_[i]->append(data) && !machine_.output_limited())
            perform(machine_.on_output_limit(slot)); // kills the tree; complete() reports output_limit
    }

    void on_stream_end(int i)
    {
        if (tee_split_[i])
        {
            if (tee_dec_[i])
            {
                scratch_.clear();
                tee_dec_[i]->finish(scratch_);
                tee_split_[i]->feed(scratch_, tee(i));
            }
            tee_split_[i]->finish(tee(i));
        }
        error_code ignored;
        stream(i).close(ignored);
        perform(machine_.on_stream_eof(static_cast<std::size_t>(i)));
    }

    asio::posix::stream_descriptor& stream(int i) { return i == 0 ? out_ : err_; }

    // Readiness first, then read until the pipe is empty: nothing is
    // allocated for a stream that stays silent, one wakeup drains many reads.
    void wait_readable(int i)
    {
        stream(i).async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this(), i](error_code ec) {
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
        if (!chunk_)
            chunk_.reset(new char[read_chunk]); // uninitialised: only what read() fills is touched
        const int fd = stream(i).native_handle();
        for (std::size_t total = 0; total < max_drain;)
        {
            ssize_t n = ::read(fd, chunk_.get(), read_chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n <= 0)
                return on_stream_end(i); // EOF, or an error that ends the stream alike
            auto got = static_cast<std::size_t>(n);
            on_chunk(i, std::string_view(chunk_.get(), got));
            if (delivered_)
                return;
            total += got;
            if (got < read_chunk)
                break; // the pipe is empty for now
        }
        grow_pipe(i);
        wait_readable(i);
    }

    // A stream that has carried a lot gets a bigger pipe: fewer wakeups of
    // the writer and of this reader. Best effort (the per-user pipe budget
    // may refuse it).
    void grow_pipe(int i)
    {
        if (pipe_grown_[i] || seen_[i] < big_stream_bytes)
            return;
        pipe_grown_[i] = true;
        (void)::fcntl(stream(i).native_handle(), F_SETPIPE_SZ, static_cast<int>(big_pipe_bytes));
    }

    void write_stdin()
    {
        const std::string& data = cmd_.stdin_config().data();
        while (stdin_off_ < data.size())
        {
            ssize_t n =
                detail::write_no_sigpipe(in_.native_handle(), data.data() + stdin_off_, data.size() - stdin_off_);
            if (n > 0)
            {
                stdin_off_ += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            {
                in_.async_wait(asio::posix::descriptor_base::wait_write, [self = shared_from_this()](error_code ec) {
                    if (ec)
                        self->close_stdin();
                    else
                        self->write_stdin();
                });
                return;
            }
            break; // EPIPE: the child stopped reading, which is its right
        }
        close_stdin();
    }

    void close_stdin()
    {
        error_code ignored;
        in_.close(ignored);
    }

    void wait_exit()
    {
        exit_watch_.async_wait(asio::posix::descriptor_base::wait_read,
                               [self = shared_from_this()](error_code) { self->on_exit_readable(); });
    }

    void on_exit_readable()
    {
        if (delivered_)
            return;
        auto st = record_->try_reap();
        if (!st)
            return wait_exit();
        perform(machine_.on_exit(0, detail::child_exit{st->exited, st->value, st->known}));
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
            close_stdin();
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
        detail::async_kill_tree(strand_, group_->state(), [self = shared_from_this()](error e) {
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
            r.outcome = run_outcome::signalled(st ? st->value : SIGKILL);
        r.accepted = r.code() && cmd_.accepts(*r.code());
        r.std_out = bounded_[0] ? bounded_[0]->take() : out_bufs_[0].take();
        r.std_err = bounded_[1] ? bounded_[1]->take() : out_bufs_[1].take();
        r.std_out_truncated = bounded_[0] && bounded_[0]->truncated();
        r.std_err_truncated = bounded_[1] && bounded_[1]->truncated();
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
        error_code ignored;
        for (auto& t : timers_)
            t.cancel();
        out_.close(ignored);
        err_.close(ignored);
        in_.close(ignored);
        if (exit_watch_.is_open())
            exit_watch_.release();
        group_.reset(); // the tree is dead: this only gives the cgroup back
        auto h = std::move(handler_);
        auto hex = asio::get_associated_executor(h, ex_);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    command cmd_;
    capture_handler handler_;
    process_group_options opts_;
    std::shared_ptr<detail::group_backend> parent_; ///< a group_runner's group, or null
    asio::posix::stream_descriptor out_, err_, in_, exit_watch_;
    std::array<asio::steady_timer, detail::timer_kind_count> timers_; ///< by timer_kind
    detail::run_machine machine_;
    std::array<std::optional<detail::byte_capture>, 2> bounded_;
    std::array<std::optional<detail::line_splitter>, 2> tee_split_;
    std::array<std::optional<detail::decoder>, 2> tee_dec_;
    std::string scratch_;
    std::optional<process_group> group_;
    std::shared_ptr<detail::child_record> record_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    std::array<detail::growing_string, 2> out_bufs_; ///< unbounded capture: the output itself
    std::array<std::uint64_t, 2> seen_{0, 0};        ///< bytes read per stream
    std::array<bool, 2> pipe_grown_{false, false};
    std::unique_ptr<char[]> chunk_; ///< read buffer, allocated on the first byte
    std::size_t stdin_off_ = 0;
    clock::time_point start_time_ = clock::now();
    bool delivered_ = false;
};

} // namespace

result<running_process> job_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), options_, nullptr);
}

void job_runner::async_capture(asio::any_io_executor ex, command cmd, capture_handler handler)
{
    std::make_shared<capture_op>(std::move(ex), std::move(cmd), std::move(handler), options_, nullptr)->start();
}

result<running_process> group_runner::start(asio::any_io_executor ex, command cmd)
{
    return detail::start_live(std::move(ex), std::move(cmd), group_->options, group_);
}

void group_runner::async_capture(asio::any_io_executor ex, command cmd, capture_handler handler)
{
    std::make_shared<capture_op>(std::move(ex), std::move(cmd), std::move(handler), group_->options, group_)->start();
}

} // namespace processkit
} // namespace boost
