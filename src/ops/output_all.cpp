// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Bounded fan-out: output_all, output_all_bytes, output_stream. A batch runs
// its commands through the output_string/output_bytes verbs of any runner,
// at most `concurrency` at once. Which entry starts on which lane and when
// the batch is over is fanout_schedule's decision (no I/O); fanout_batch
// performs it on one strand, and its two users decide what becomes of each
// finished entry: collected in input order (output_all), or queued in
// completion order (output_stream).

#include <boost/processkit/output_all.hpp>

#include "run_limits.hpp"
#include "../core/fanout_schedule.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <future>
#include <optional>

namespace boost {
namespace processkit {
namespace {

using detail::fanout_schedule;
using entry = result<process_result>;
using entry_handler = detail::handler_t<void(error_code, process_result)>;
using next_handler = asio::any_completion_handler<void(error_code, indexed_result)>;

constexpr std::size_t no_index = static_cast<std::size_t>(-1);

diagnostics never_started(const command& cmd)
{
    diagnostics d;
    d.program = cmd.program();
    d.step = "fan-out";
    d.detail = "not started: the batch was cancelled";
    return d;
}

diagnostics bad_concurrency()
{
    diagnostics d;
    d.step = "validate fan-out";
    d.detail = "concurrency is 0: at least one command must be allowed to run at a time";
    return d;
}

// One fan-out in progress. Everything but `request_cancel` runs on the
// strand. Each run gets the strand as its executor and a cancellation slot
// of its lane's signal: its operation then clears that slot on the strand
// too, so emitting on it here never races with the run's own use of it.
class fanout_batch : public std::enable_shared_from_this<fanout_batch>
{
public:
    fanout_batch(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                 output_kind kind)
        : ex_(ex), strand_(asio::make_strand(ex)), runner_(runner), kind_(kind), size_(cmds.size()),
          cmds_(std::move(cmds)), schedule_(size_, concurrency), signals_(schedule_.lanes()), diags_(schedule_.lanes()),
          lane_busy_(schedule_.lanes(), false)
    {
    }
    fanout_batch(const fanout_batch&) = delete;
    fanout_batch& operator=(const fanout_batch&) = delete;
    virtual ~fanout_batch() = default;

    std::size_t size() const noexcept { return size_; }
    const asio::any_io_executor& executor() const noexcept { return ex_; }

    /// From any thread: the cancellation reaches the batch on the strand. It
    /// is also noted at once, so that a total one made before the strand's
    /// first turn is honoured (nothing has started then).
    static void request_cancel(const std::weak_ptr<fanout_batch>& weak, asio::cancellation_type type)
    {
        auto self = weak.lock();
        if (!self)
            return;
        self->requested_.fetch_or(static_cast<unsigned>(type));
        asio::post(self->strand_, [self] { self->take_cancel(); });
    }

protected:
    /// Starts the runs (on the strand, never inside this call).
    void begin()
    {
        asio::post(strand_, [self = shared_from_this()] { self->fill(); });
    }

    /// Entry `index` is final (on the strand).
    virtual void on_entry(std::size_t index, entry e) = 0;
    /// Every entry is final, no run is in flight (on the strand, once).
    virtual void on_end() = 0;

    /// A cancellation was accepted: the batch was stopped.
    bool cancelled() const noexcept { return cancelled_; }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;

private:
    void take_cancel()
    {
        auto bits = requested_.exchange(0);
        if (bits != 0)
            cancel(static_cast<asio::cancellation_type>(bits));
    }

    void cancel(asio::cancellation_type type)
    {
        if (ended_)
            return;
        auto grade = detail::grade_of(type);
        if (!grade)
            return;
        if (*grade == detail::cancel_grade::total && schedule_.started_any())
            return; // refused: what ran cannot be undone
        if (!schedule_.stopped())
        {
            cancelled_ = true;
            for (std::size_t i = schedule_.stop(); i < size_; ++i)
                on_entry(i, error(errc::cancelled, never_started(cmds_[i])));
        }
        // A later, stronger cancellation escalates the runs still in flight.
        for (std::size_t lane = 0; lane < signals_.size(); ++lane)
            if (lane_busy_[lane])
                signals_[lane].emit(type);
        end_if_over();
    }

    // Starts entries while lanes are free. A run that completes inside its
    // own initiation (a runner may) re-enters here: the loop below then
    // picks up the lane it freed.
    void fill()
    {
        take_cancel();
        if (filling_)
            return;
        filling_ = true;
        while (auto s = schedule_.next())
            launch(s->index, s->lane);
        filling_ = false;
        end_if_over();
    }

    void launch(std::size_t index, std::size_t lane)
    {
        lane_busy_[lane] = true;
        auto done = [self = shared_from_this(), index, lane](error_code ec, process_result r) mutable {
            // On the strand already with a runner that honours the handler's
            // executor; one that does not is brought back to it.
            asio::dispatch(self->strand_, [self, index, lane, ec, r = std::move(r)]() mutable {
                self->finished(index, lane, ec, std::move(r));
            });
        };
        entry_handler h(
            asio::bind_cancellation_slot(signals_[lane].slot(), asio::bind_executor(strand_, std::move(done))));
        using initiate_fn = void (*)(process_runner&, asio::any_io_executor, command, diagnostics*, entry_handler);
        initiate_fn bytes = &detail::initiate_output_bytes, text = &detail::initiate_output_string;
        initiate_fn initiate = kind_ == output_kind::bytes ? bytes : text;
        initiate(runner_, strand_, std::move(cmds_[index]), &diags_[lane], std::move(h));
    }

    void finished(std::size_t index, std::size_t lane, error_code ec, process_result r)
    {
        lane_busy_[lane] = false;
        signals_[lane].slot().clear();
        entry e = ec ? entry(error(ec, std::move(diags_[lane]))) : entry(std::move(r));
        diags_[lane] = diagnostics();
        schedule_.finished(lane);
        on_entry(index, std::move(e));
        fill();
    }

    void end_if_over()
    {
        if (ended_ || filling_ || !schedule_.over())
            return;
        ended_ = true;
        on_end();
    }

    process_runner& runner_;
    output_kind kind_;
    std::size_t size_;
    std::vector<command> cmds_; ///< a started command is moved out
    fanout_schedule schedule_;
    std::vector<asio::cancellation_signal> signals_; ///< one per lane
    std::vector<diagnostics> diags_;                 ///< one per lane: its run's, on failure
    std::vector<bool> lane_busy_;
    std::atomic<unsigned> requested_{0}; ///< cancellation types asked for, not yet taken
    bool filling_ = false;
    bool cancelled_ = false;
    bool ended_ = false;
};

// Connects `handler`'s cancellation slot, if any, to the batch.
template <class Handler>
void connect_slot(Handler& handler, const std::shared_ptr<fanout_batch>& batch)
{
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected())
        slot.assign([weak = std::weak_ptr<fanout_batch>(batch)](asio::cancellation_type type) {
            fanout_batch::request_cancel(weak, type);
        });
}

// Hands `args` to `handler` on its associated executor (`fallback` if none),
// clearing its cancellation slot there first.
template <class Handler, class... Args>
void complete_on_own_executor(Handler handler, const asio::any_io_executor& fallback, Args... args)
{
    auto hex = asio::get_associated_executor(handler, fallback);
    asio::dispatch(hex, [handler = std::move(handler), ... args = std::move(args)]() mutable {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
            slot.clear();
        std::move(handler)(std::move(args)...);
    });
}

// output_all: the entries collected in input order.
class all_op final : public fanout_batch
{
public:
    all_op(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
           output_kind kind, detail::output_all_handler handler)
        : fanout_batch(runner, std::move(ex), std::move(cmds), concurrency, kind), handler_(std::move(handler)),
          entries_(size())
    {
    }

    void start()
    {
        connect_slot(handler_, shared_from_this());
        begin();
    }

private:
    void on_entry(std::size_t index, entry e) override { entries_[index].emplace(std::move(e)); }

    void on_end() override
    {
        std::vector<entry> out;
        out.reserve(entries_.size());
        for (auto& e : entries_)
            out.push_back(std::move(*e)); // every one is set once the batch is over
        entries_.clear();
        error_code ec = cancelled() ? make_error_code(errc::cancelled) : error_code();
        complete_on_own_executor(std::move(handler_), ex_, ec, std::move(out));
    }

    detail::output_all_handler handler_;
    std::vector<std::optional<entry>> entries_;
};

indexed_result stream_error(errc e) { return indexed_result{no_index, error(e)}; }

} // namespace

namespace detail {

// output_stream: the entries queued in completion order, handed to the
// waits in the order they were made.
struct output_stream_state final : fanout_batch
{
    output_stream_state(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                        std::size_t concurrency, output_kind kind)
        : fanout_batch(runner, std::move(ex), std::move(cmds), concurrency, kind), invalid_(concurrency == 0)
    {
    }

    void start()
    {
        if (!invalid_)
            begin();
    }

    /// From any thread.
    void initiate_next(next_handler h)
    {
        auto id = next_id_.fetch_add(1);
        auto slot = asio::get_associated_cancellation_slot(h);
        auto self = std::static_pointer_cast<output_stream_state>(shared_from_this());
        asio::post(strand_, [self, id, h = std::move(h)]() mutable { self->add_wait(id, std::move(h)); });
        // After the post: a cancellation of this wait reaches the strand after it.
        if (slot.is_connected())
            slot.assign([weak = std::weak_ptr<output_stream_state>(self), id](asio::cancellation_type) {
                if (auto s = weak.lock())
                    asio::post(s->strand_, [s, id] { s->cancel_wait(id); });
            });
    }

    /// From any thread: the stream is gone.
    void close()
    {
        auto self = std::static_pointer_cast<output_stream_state>(shared_from_this());
        asio::post(strand_, [self] {
            self->closed_ = true;
            self->ready_.clear();
            while (!self->waits_.empty())
                self->complete_front(stream_error(errc::cancelled));
        });
        request_cancel(self, asio::cancellation_type::terminal);
    }

    bool in_strand() const { return strand_.running_in_this_thread(); }

private:
    struct wait
    {
        std::uint64_t id;
        next_handler handler;
    };

    void on_entry(std::size_t index, entry e) override
    {
        if (closed_)
            return;
        ready_.push_back(indexed_result{index, std::move(e)});
        serve();
    }

    void on_end() override
    {
        over_ = true;
        serve();
    }

    void add_wait(std::uint64_t id, next_handler h)
    {
        waits_.push_back(wait{id, std::move(h)});
        serve();
    }

    void cancel_wait(std::uint64_t id)
    {
        auto it = std::find_if(waits_.begin(), waits_.end(), [id](const wait& w) { return w.id == id; });
        if (it == waits_.end())
            return; // already completed
        auto h = std::move(it->handler);
        waits_.erase(it);
        complete(std::move(h), stream_error(errc::cancelled));
    }

    void serve()
    {
        while (!waits_.empty())
        {
            if (closed_)
                complete_front(stream_error(errc::cancelled));
            else if (invalid_)
                complete_front(stream_error(errc::invalid_argument));
            else if (!ready_.empty())
            {
                auto r = std::move(ready_.front());
                ready_.pop_front();
                complete_front(std::move(r));
            }
            else if (over_)
                complete_front(stream_error(errc::end_of_stream));
            else
                return;
        }
    }

    void complete_front(indexed_result r)
    {
        auto h = std::move(waits_.front().handler);
        waits_.pop_front();
        complete(std::move(h), std::move(r));
    }

    void complete(next_handler h, indexed_result r)
    {
        error_code ec = r.index == no_index ? r.result.error().code() : error_code();
        complete_on_own_executor(std::move(h), ex_, ec, std::move(r));
    }

    std::deque<indexed_result> ready_;
    std::deque<wait> waits_;
    std::atomic<std::uint64_t> next_id_{0};
    bool invalid_;
    bool closed_ = false;
    bool over_ = false; ///< every entry is in ready_ or was taken
};

void initiate_output_all(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                         std::size_t concurrency, output_kind kind, output_all_handler handler)
{
    if (concurrency == 0)
    {
        // Never completes inside the initiating call: posted, then on the handler's own executor.
        asio::post(ex, [handler = std::move(handler), ex]() mutable {
            complete_on_own_executor(std::move(handler), ex, make_error_code(errc::invalid_argument),
                                     std::vector<entry>());
        });
        return;
    }
    auto op = std::make_shared<all_op>(runner, std::move(ex), std::move(cmds), concurrency, kind, std::move(handler));
    op->start();
}

} // namespace detail

namespace {

// The synchronous form: a private io_context on the calling thread.
result<std::vector<entry>> run_all(process_runner& runner, std::vector<command> cmds, std::size_t concurrency,
                                   output_kind kind)
{
    if (concurrency == 0)
        return error(errc::invalid_argument, bad_concurrency());
    asio::io_context ctx(1);
    error_code ec;
    std::vector<entry> out;
    detail::initiate_output_all(runner, ctx.get_executor(), std::move(cmds), concurrency, kind,
                                detail::output_all_handler([&](error_code e, std::vector<entry> v) {
                                    ec = e;
                                    out = std::move(v);
                                }));
    ctx.run();
    if (ec)
        return error(ec);
    return out;
}

} // namespace

result<std::vector<result<process_result>>> output_all(process_runner& runner, std::vector<command> cmds,
                                                       std::size_t concurrency)
{
    return run_all(runner, std::move(cmds), concurrency, output_kind::text);
}
result<std::vector<result<process_result>>> output_all_bytes(process_runner& runner, std::vector<command> cmds,
                                                             std::size_t concurrency)
{
    return run_all(runner, std::move(cmds), concurrency, output_kind::bytes);
}
result<std::vector<result<process_result>>> output_all(std::vector<command> cmds, std::size_t concurrency)
{
    return run_all(default_runner(), std::move(cmds), concurrency, output_kind::text);
}
result<std::vector<result<process_result>>> output_all_bytes(std::vector<command> cmds, std::size_t concurrency)
{
    return run_all(default_runner(), std::move(cmds), concurrency, output_kind::bytes);
}

output_stream::output_stream(process_runner& runner, asio::any_io_executor ex, std::vector<command> cmds,
                             std::size_t concurrency, output_kind kind)
    : state_(std::make_shared<detail::output_stream_state>(runner, std::move(ex), std::move(cmds), concurrency, kind))
{
    state_->start();
}

output_stream::output_stream(asio::any_io_executor ex, std::vector<command> cmds, std::size_t concurrency,
                             output_kind kind)
    : output_stream(default_runner(), std::move(ex), std::move(cmds), concurrency, kind)
{
}

output_stream::output_stream(output_stream&&) noexcept = default;

output_stream& output_stream::operator=(output_stream&& other) noexcept
{
    if (this != &other)
    {
        if (state_)
            state_->close();
        state_ = std::move(other.state_);
    }
    return *this;
}

output_stream::~output_stream()
{
    if (state_)
        state_->close();
}

void output_stream::initiate_next(asio::any_completion_handler<void(error_code, indexed_result)> h)
{
    state_->initiate_next(std::move(h));
}

result<indexed_result> output_stream::next()
{
    if (state_->in_strand())
    {
        diagnostics d;
        d.detail = "blocking call on the strand that serves the stream";
        return error(errc::unsupported, std::move(d));
    }
    std::promise<std::pair<error_code, indexed_result>> p;
    auto f = p.get_future();
    state_->initiate_next([&p](error_code ec, indexed_result r) { p.set_value({ec, std::move(r)}); });
    auto [ec, r] = f.get();
    if (ec)
        return error(ec);
    return std::move(r);
}

void output_stream::cancel(asio::cancellation_type type) { detail::output_stream_state::request_cancel(state_, type); }

std::size_t output_stream::size() const noexcept { return state_->size(); }

asio::any_io_executor output_stream::get_executor() const noexcept { return state_->executor(); }

} // namespace processkit
} // namespace boost
