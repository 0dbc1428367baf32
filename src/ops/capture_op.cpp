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
#include "../core/pipefail.hpp"
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

constexpr std::size_t max_drain = 4 * 1024 * 1024;          // per wakeup, then other work gets a turn
constexpr std::uint64_t big_stream_bytes = 4 * 1024 * 1024; // then the pipe grows to
constexpr std::size_t big_pipe_bytes = 1024 * 1024;

// The parent's side of one run: one command, or a pipeline's stages (one
// run machine for all of them). Streams: 0 is the last stage's stdout, 1 + i
// stage i's stderr.
class capture_op : public std::enable_shared_from_this<capture_op>
{
public:
    capture_op(asio::any_io_executor ex, detail::capture_spec spec, capture_handler h, detail::run_source source)
        : ex_(ex), strand_(asio::make_strand(ex)), spec_(std::move(spec)), handler_(std::move(h)),
          source_(std::move(source)),
          in_(strand_), timers_{asio::steady_timer(strand_), asio::steady_timer(strand_), asio::steady_timer(strand_)},
          machine_(spec_.limits, spec_.stages.size(), spec_.stages.size() + 1)
    {
        for (std::size_t i = 0; i < spec_.stages.size(); ++i)
            stages_.push_back(std::make_unique<stage_slot>(strand_));
        for (std::size_t i = 0; i <= spec_.stages.size(); ++i)
            streams_.push_back(std::make_unique<stream_slot>(strand_));
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
    struct stage_slot
    {
        explicit stage_slot(const asio::any_io_executor& ex) : watch(ex) {}
        std::shared_ptr<detail::child_record> record;
        detail::exit_watch watch;
        std::optional<process_group> group; ///< its tree (a pipeline stage's subgroup, or the command's group)
        detail::unique_fd upstream_r;       ///< the pipe it reads from (a stage after the first)
    };
    struct stream_slot
    {
        explicit stream_slot(const asio::any_io_executor& ex) : pipe(ex) {}
        detail::pipe_reader pipe;
        std::unique_ptr<detail::stream_sink> sink;
        bool grown = false;
    };

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

    std::size_t stage_count() const noexcept { return spec_.stages.size(); }
    const command& last() const noexcept { return spec_.stages.back(); }
    // The command whose settings stream s follows: the last stage's stdout, a stage's stderr.
    const command& owner(std::size_t s) const noexcept { return s == 0 ? last() : spec_.stages[s - 1]; }

    void launch()
    {
        start_time_ = clock::now();
        if (delivered_)
            return; // cancelled before it started
        if (spec_.cancel.stop_requested())
            return perform(machine_.on_cancel(cancel_grade::terminal)); // completes it: nothing is spawned
        for (std::size_t s = 0; s < streams_.size(); ++s)
        {
            // Every encoding is checked before anything is spawned. A teed
            // stream sees text, as the live streams do.
            auto sink = detail::stream_sink::create(owner(s), s == 0 ? 0 : 1, detail::stream_sink::product::bytes);
            if (!sink)
            {
                error e = sink.error();
                if (s > 0 && stage_count() > 1)
                    e.diag().stage = s - 1;
                return fail(std::move(e)); // an unknown encoding: nothing is spawned
            }
            streams_[s]->sink = std::move(sink).value();
        }
        auto started = source_(spec_.stages, false);
        if (!started)
            return fail(started.error());
        adopt(started.value());
        watch();
    }

    void adopt(detail::started_run& run)
    {
        if (run.chain)
            chain_.emplace(std::move(*run.chain));
        for (std::size_t i = 0; i < stage_count(); ++i)
        {
            auto& child = run.stages[i];
            stages_[i]->group.emplace(std::move(child.group));
            stages_[i]->record = std::move(child.record);
            stages_[i]->upstream_r = std::move(child.upstream_r);
            if (child.stdin_w && i == 0)
                in_.assign(std::move(child.stdin_w));
            adopt_stream(i + 1, child.stderr_r);
            if (i + 1 == stage_count())
                adopt_stream(0, child.stdout_r);
        }
    }

    void adopt_stream(std::size_t s, detail::unique_fd& end)
    {
        if (end)
            streams_[s]->pipe.assign(std::move(end));
        else // not captured: closed up front (no action can come before the start)
            perform(machine_.on_stream_eof(s));
    }

    // The run's whole tree: the pipeline's group, or the one command's.
    process_group& run_group() noexcept { return chain_ ? *chain_ : *stages_.front()->group; }

    // The waits on the children, then the machine's start (its timers) and
    // the cancel_on token, whose stop reaches the machine after on_started().
    void watch()
    {
        for (std::size_t i = 0; i < stage_count(); ++i)
        {
            stages_[i]->watch.watch(stages_[i]->record);
            stages_[i]->watch.async_wait(
                [self = shared_from_this(), i](detail::exit_status st) { self->on_exit(i, st); });
        }
        for (std::size_t s = 0; s < streams_.size(); ++s)
            if (streams_[s]->pipe.is_open())
                wait_readable(s);
        if (in_.is_open())
            write_stdin();
        perform(machine_.on_started());
        if (spec_.cancel.stop_possible())
            stop_cb_.emplace(spec_.cancel, stop_fn{weak_from_this()});
    }

    // A chunk arrived on stream s: the sink tees and keeps it.
    void on_chunk(std::size_t s, std::size_t n)
    {
        perform(machine_.on_output(s)); // re-arms the idle timer
        auto& sink = *streams_[s]->sink;
        sink.commit(n);
        if (sink.limit_hit() && !machine_.output_limited())
            perform(machine_.on_output_limit(s)); // kills the tree; complete() reports output_limit
    }

    void on_stream_end(std::size_t s)
    {
        streams_[s]->sink->finish();
        streams_[s]->pipe.close();
        perform(machine_.on_stream_eof(s));
    }

    // Readiness first, then read until the pipe is empty: nothing is
    // allocated for a stream that stays silent, one wakeup drains many reads.
    void wait_readable(std::size_t s)
    {
        streams_[s]->pipe.async_wait([self = shared_from_this(), s](error_code ec) {
            if (self->delivered_)
                return;
            if (ec)
                self->on_stream_end(s);
            else
                self->drain(s);
        });
    }

    void drain(std::size_t s)
    {
        auto& slot = *streams_[s];
        for (std::size_t total = 0; total < max_drain;)
        {
            auto [p, room] = slot.sink->prepare();
            std::size_t got = 0;
            auto st = slot.pipe.read_some(p, room, got);
            if (st == detail::read_status::would_block)
                break;
            if (st == detail::read_status::eof)
                return on_stream_end(s); // EOF, or an error that ends the stream alike
            on_chunk(s, got);
            if (delivered_)
                return;
            total += got;
            if (got < room)
                break; // the pipe is empty for now
        }
        // A stream that has carried a lot gets a bigger pipe: fewer wakeups
        // of the writer and of this reader.
        if (!slot.grown && slot.sink->seen() >= big_stream_bytes)
        {
            slot.grown = true;
            slot.pipe.grow_buffer(big_pipe_bytes);
        }
        wait_readable(s);
    }

    void write_stdin()
    {
        const std::string& data = spec_.stages.front().stdin_config().data();
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

    void on_exit(std::size_t i, detail::exit_status st)
    {
        const bool previous_writing = detail::previous_stage_writing(stages_[i]->upstream_r);
        if (!delivered_)
            perform(machine_.on_exit(i, detail::child_exit{st.exited, st.value, st.known}, previous_writing));
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
        // Not kill_all(): nothing here waits for a tree to die. The exits
        // and the EOFs come back as events.
        if (a.kill_child)
            (void)stages_[*a.kill_child]->group->signal(signal::kill);
        if (a.signal)
            (void)run_group().signal(*a.signal);
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

    // Whatever the children left behind dies before the result is handed
    // over, without blocking this executor while it does (the handler may
    // run inline, the common case).
    void start_teardown()
    {
        detail::async_kill_tree(strand_, detail::access::state(run_group()), [self = shared_from_this()](error e) {
            self->perform(self->machine_.on_teardown_done(!e));
        });
    }

    void complete()
    {
        if (!machine_.started())
            return fail(error(errc::cancelled)); // cancelled before anything was spawned
        for (std::size_t i = 0; i < stage_count(); ++i)
            if (auto st = machine_.status(i); st && !st->known && machine_.cause() == end_cause::none)
                return fail(status_lost(i));
        process_result r;
        r.duration = clock::now() - start_time_;
        r.std_out = streams_[0]->sink->take_bytes();
        r.std_out_truncated = streams_[0]->sink->truncated();
        // The stage the result speaks for: the rightmost failed checked stage, else the last.
        std::size_t shown = stage_count() - 1;
        if (stage_count() > 1)
        {
            r.failed_stage = detail::judge_stages(
                machine_, [this](std::size_t i) -> const command& { return spec_.stages[i]; }, r.stages);
            for (std::size_t i = 0; i < stage_count(); ++i)
            {
                r.stages[i].std_err = streams_[i + 1]->sink->take_bytes();
                r.stages[i].std_err_truncated = streams_[i + 1]->sink->truncated();
            }
            if (r.failed_stage)
                shown = *r.failed_stage;
            r.std_err = r.stages[shown].std_err;
            r.std_err_truncated = r.stages[shown].std_err_truncated;
            r.outcome = r.stages[shown].outcome;
        }
        else
        {
            r.std_err = streams_[1]->sink->take_bytes();
            r.std_err_truncated = streams_[1]->sink->truncated();
            auto st = machine_.status(0);
            r.outcome = st ? detail::outcome_of(*st) : run_outcome::signalled(native_signal(signal::kill));
        }
        const command& shown_cmd = spec_.stages[shown];
        if (machine_.timed_out())
            r.outcome = run_outcome::timed_out();
        r.accepted = r.code() && shown_cmd.accepts(*r.code());
        const std::string& err_text =
            shown_cmd.stderr_config().type() == stdio_mode::kind::merge && shown + 1 == stage_count() ? r.std_out
                                                                                                      : r.std_err;
        r.diagnostics = detail::finished_diagnostics(shown_cmd.program(), r.outcome, r.duration, err_text,
                                                     machine_.idle_expired(), spec_.limits.timeout);
        if (stage_count() > 1 && (r.failed_stage || machine_.cause() != end_cause::none))
            r.diagnostics.stage = shown;
        error_code ec = machine_.output_limited() ? make_error_code(errc::output_limit)
                        : machine_.cancelled()    ? make_error_code(errc::cancelled)
                                                  : error_code();
        deliver(ec, std::move(r));
    }

    error status_lost(std::size_t i) const
    {
        diagnostics d;
        d.program = spec_.stages[i].program();
        d.step = "waitid";
        d.detail = detail::status_lost_detail;
        if (stage_count() > 1)
            d.stage = i;
        return error(errc::status_unavailable, std::move(d));
    }

    void fail(error e)
    {
        process_result r;
        r.outcome = run_outcome::exited(0);
        r.accepted = false;
        r.diagnostics = e.diag();
        if (r.diagnostics.program.empty())
            r.diagnostics.program = spec_.stages.front().program();
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
        for (auto& s : streams_)
            s->pipe.close();
        in_.close();
        // The trees are dead: this only gives the groups back, stages first.
        for (auto& st : stages_)
        {
            st->watch.stop();
            st->group.reset();
        }
        chain_.reset();
        auto h = std::move(handler_);
        auto hex = asio::get_associated_executor(h, ex_);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    detail::capture_spec spec_;
    capture_handler handler_;
    detail::run_source source_;
    std::vector<std::unique_ptr<stage_slot>> stages_;
    std::vector<std::unique_ptr<stream_slot>> streams_;
    std::optional<process_group> chain_; ///< a pipeline's group (the stages' subgroups are in it)
    detail::pipe_writer in_;             ///< the first stage's stdin
    std::array<asio::steady_timer, detail::timer_kind_count> timers_; ///< by timer_kind
    detail::run_machine machine_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    std::size_t stdin_off_ = 0;
    clock::time_point start_time_ = clock::now();
    bool delivered_ = false;
};

} // namespace

namespace detail {

void async_fail(asio::any_io_executor ex, error e, capture_handler handler)
{
    process_result r;
    r.accepted = false;
    r.diagnostics = e.diag();
    asio::post(ex, [ex, h = std::move(handler), ec = e.code(), r = std::move(r)]() mutable {
        auto hex = asio::get_associated_executor(h, ex);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    });
}

void async_capture(asio::any_io_executor ex, capture_spec spec, capture_handler handler, run_source source)
{
    std::make_shared<capture_op>(std::move(ex), std::move(spec), std::move(handler), std::move(source))->start();
}

} // namespace detail
} // namespace processkit
} // namespace boost
