// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_LIVE_STATE_HPP
#define BOOST_PROCESSKIT_SRC_OPS_LIVE_STATE_HPP

#include <boost/processkit/running_process.hpp>

#include "../backend/pipes.hpp"
#include "../core/run_machine.hpp"
#include "run_limits.hpp"
#include "../core/stream_sink.hpp"
#include "../backend/spawn.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <stop_token>
#include <list>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

template <class Sig>
using any_handler = asio::any_completion_handler<Sig>;

/// Everything behind a running_process. All members are touched only on
/// `strand`, except the thread-safe `group` and `record`.
struct live_state : std::enable_shared_from_this<live_state>
{
    using clock = std::chrono::steady_clock;

    /// `c`: the command, or a pipeline's last stage (its stdout and stderr
    /// are the streams); `stages`: how many children the run has.
    live_state(asio::any_io_executor ex, command c, const run_limits& limits, std::stop_token cancel,
               std::size_t stages = 1);
    ~live_state();

    asio::any_io_executor ex;
    asio::strand<asio::any_io_executor> strand;
    command cmd;
    run_limits limits;
    std::stop_token cancel; ///< the command's or the pipeline's cancel_on
    clock::time_point start_time = clock::now();

    std::optional<process_group> group;   ///< the run's tree: the command's group, or the pipeline's
    std::shared_ptr<child_record> record; ///< the command, or the pipeline's last stage
    int pid = -1;

    /// A pipeline's stages before the last, each in its own subgroup of
    /// `group` (child index = position); their stderr is kept for
    /// finished::stages (stream 2 + position).
    struct upstream_stage
    {
        upstream_stage(const asio::any_io_executor& ex, command c) : cmd(std::move(c)), exit(ex), err(ex) {}
        command cmd;
        std::shared_ptr<child_record> record;
        exit_watch exit;
        std::optional<process_group> group;
        pipe_reader err;
        std::unique_ptr<stream_sink> err_sink;
        bool err_eof = false;
        unique_fd upstream_r; ///< the pipe it reads from (after the first stage)
    };
    std::vector<std::unique_ptr<upstream_stage>> upstream;
    std::optional<process_group> last_group; ///< a pipeline's last stage's subgroup
    unique_fd last_upstream_r;               ///< the pipe the last stage reads from
    std::size_t last_index() const noexcept { return upstream.size(); }

    struct stream
    {
        stream(const asio::any_io_executor& ex, unique_fd fd, std::unique_ptr<stream_sink> s)
            : pipe(ex, std::move(fd)), sink(std::move(s)), queue(sink->lines())
        {
        }
        pipe_reader pipe;
        /// Text, tee, bounds and probes. Reads land in place at the end of
        /// the queue's tail: no read buffer of its own, nothing allocated
        /// before data.
        std::unique_ptr<stream_sink> sink;
        line_queue& queue; ///< sink->lines()
        bool eof = false;
        error_code end; ///< why the stream ended early (output_limit)
        std::optional<any_handler<void(error_code, std::string)>> waiter;
        std::optional<any_handler<void(error_code, line_batch)>> batch_waiter;
    };
    std::array<std::unique_ptr<stream>, 2> streams;
    std::uint64_t next_seq = 0;
    std::optional<any_handler<void(error_code, output_event)>> event_waiter;
    bool exit_event_sent = false;

    // Exit.
    exit_watch exit;
    std::optional<run_outcome> outcome;
    /// Set with `outcome` when every consumer of the end (waits, finish, the
    /// event stream, probes) must report an error instead: `cancelled` (the
    /// cancel_on token ended the run) or `status_unavailable`.
    error_code end_error;
    /// The cancel_on token's callback fired (from any thread); the machine
    /// hears of it on the strand, after.
    std::atomic<bool> cancel_fired{false};
    std::chrono::nanoseconds duration{};
    std::vector<stage_result> stage_results; ///< a pipeline's, once every stage has exited
    std::optional<std::size_t> failed_stage;
    /// Pending waits, keyed by operation id (cancellation finds them by it).
    std::list<std::pair<std::uint64_t, any_handler<void(error_code, run_outcome)>>> exit_waiters;
    std::list<std::pair<std::uint64_t, any_handler<void(error_code, finished)>>> finish_waiters;
    std::atomic<std::uint64_t> next_op_id{1};
    /// The run's decisions, as in capture: timeouts, idle timeout, grace,
    /// the cancel_on stop (terminal), the teardown after the exit. Asio
    /// cancellation of one operation, kill(), signal() and the destructor
    /// are not its business (it only sees the exit they cause).
    run_machine machine;
    std::array<asio::steady_timer, timer_kind_count> timers; ///< by timer_kind: armed by the machine only
    std::optional<std::stop_callback<std::function<void()>>> stop_cb;

    // Stdin.
    pipe_writer in;
    struct pending_write
    {
        std::string data;
        any_handler<void(error_code)> handler;
    };
    std::deque<pending_write> writes;
    std::size_t write_off = 0;
    bool writing = false;
    bool stdin_eof_requested = false;

    // Probes that watch output.
    struct output_probe
    {
        std::uint64_t id;
        std::function<bool(std::string_view)> line_pred; ///< set: a line probe
        std::string text;                                ///< else: text to find
        std::shared_ptr<asio::steady_timer> timer;
        any_handler<void(error_code, std::string)> handler;
    };
    std::list<output_probe> probes;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_LIVE_STATE_HPP
