// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// job_runner::async_capture: one run to completion in a private group.

#include <boost/processkit/launcher.hpp>
#include <boost/processkit/process_runner.hpp>

#include "../detail/capture_fsm.hpp"
#include "../detail/child_record.hpp"
#include "../detail/plan.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <stop_token>
#include <unistd.h>

extern "C" char** environ;

namespace boost {
namespace processkit {
namespace {

namespace bp2 = boost::process::v2;
using clock = std::chrono::steady_clock;
using capture_handler = asio::any_completion_handler<void(error_code, process_result)>;

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t stderr_tail_bytes = 4096;

struct unique_fd
{
    int fd = -1;
    unique_fd() = default;
    explicit unique_fd(int f) : fd(f) {}
    unique_fd(unique_fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept
    {
        reset(std::exchange(o.fd, -1));
        return *this;
    }
    ~unique_fd() { reset(); }
    void reset(int f = -1) noexcept
    {
        if (fd >= 0)
            ::close(fd);
        fd = f;
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

error step_error(int e, const std::string& program, const char* step, std::string detail = {})
{
    diagnostics d;
    d.program = program;
    d.step = step;
    d.detail = std::move(detail);
    return error(error_code(e, boost::system::system_category()), std::move(d));
}

// Child side of the stdio plan: dup2 the prepared fds onto 0, 1, 2.
// Async-signal-safe; runs between clone and exec.
struct stdio_init
{
    int in = -1, out = -1, err = -1; // -1: inherit
    bool err_to_out = false;          // stderr joins whatever stdout is

    error_code on_exec_setup(launcher& l, const bp2::filesystem::path&, const char* const*)
    {
        if (in >= 0 && ::dup2(in, 0) < 0)
            return fail(l, "dup2 stdin");
        if (out >= 0 && ::dup2(out, 1) < 0)
            return fail(l, "dup2 stdout");
        if (err_to_out ? ::dup2(1, 2) < 0 : (err >= 0 && ::dup2(err, 2) < 0))
            return fail(l, "dup2 stderr");
        return {};
    }
    static error_code fail(launcher& l, const char* step)
    {
        l.child_step = step;
        return error_code(errno, boost::system::system_category());
    }
};

// The parent's side of one run.
class capture_op : public std::enable_shared_from_this<capture_op>
{
public:
    capture_op(asio::any_io_executor ex, command cmd, capture_handler h, process_group_options opts)
        : ex_(ex), strand_(asio::make_strand(ex)), cmd_(std::move(cmd)), handler_(std::move(h)), opts_(opts),
          out_(strand_), err_(strand_), in_(strand_), exit_watch_(strand_), timer_(strand_)
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
            slot.assign([weak](asio::cancellation_type) {
                if (auto s = weak.lock())
                    asio::post(s->strand_, [s] { s->cancel(); });
            });
        }
        asio::post(strand_, [self] { self->launch(); });
    }

private:
    void launch()
    {
        start_time_ = clock::now();
        diag_.program = cmd_.program();
        if (cmd_.timeout_value())
            diag_.timeout = *cmd_.timeout_value();
        if (cancel_requested_ || cmd_.cancel_token().stop_requested())
            return fail(error(errc::cancelled, diag_));

        auto plan = detail::make_plan(cmd_, environ);
        if (!plan)
            return fail(plan.error());

        stdio_init stdio;
        unique_fd child_in, child_out, child_err;
        if (auto e = prepare_stdio(stdio, child_in, child_out, child_err))
            return fail(*e);

        auto group = process_group::create(opts_);
        if (!group)
            return fail(with_program(group.error()));
        group_.emplace(std::move(group).value());

        std::vector<const char*> envp;
        envp.reserve(plan.value().env.size() + 1);
        for (auto& e : plan.value().env)
            envp.push_back(e.c_str());
        envp.push_back(nullptr);

        launcher l;
        l.env = envp.data();
        l.argv0 = plan.value().argv0.c_str();
        in_group join(*group_, detail::reaped_by_processkit_t{});
        error_code ec;
        bp2::filesystem::path exe(plan.value().path);
        detail::spawn_outcome spawned;
        if (cmd_.working_directory())
        {
            processkit::start_dir dir(*cmd_.working_directory());
            spawned = l.launch(ec, exe, plan.value().args, join, stdio, dir);
        }
        else
            spawned = l.launch(ec, exe, plan.value().args, join, stdio);
        if (ec)
        {
            diagnostics d = diag_;
            d.step = l.failed_step() ? l.failed_step() : "launch";
            if (ec == errc::program_not_found)
                d.detail = plan.value().path;
            return fail(error(ec, std::move(d)));
        }
        ::close(spawned.pidfd); // the group's record keeps its own
        record_ = join.record();
        if (!record_)
            return fail(step_error(EMFILE, cmd_.program(), "dup pidfd"));
        child_in.reset();
        child_out.reset();
        child_err.reset();

        exit_watch_.assign(record_->pidfd);
        exit_watch_.async_wait(asio::posix::descriptor_base::wait_read,
                               [self = shared_from_this()](error_code) { self->on_exit_readable(); });
        for (int i = 0; i < 2; ++i)
            if (stream(i).is_open())
                read_more(i);
        if (in_.is_open())
            write_stdin();
        if (cmd_.timeout_value())
        {
            timer_.expires_after(*cmd_.timeout_value());
            timer_.async_wait([self = shared_from_this()](error_code e) {
                if (!e)
                    self->act(self->fsm_->on_timeout());
            });
        }
        if (cmd_.cancel_token().stop_possible())
        {
            std::weak_ptr<capture_op> weak = shared_from_this();
            stop_cb_.emplace(cmd_.cancel_token(), stop_fn{weak});
        }
    }

    struct stop_fn
    {
        std::weak_ptr<capture_op> weak;
        void operator()() const
        {
            if (auto s = weak.lock())
                asio::post(s->strand_, [s] { s->cancel(); });
        }
    };

    void cancel()
    {
        if (!record_) // not started yet: launch() will not spawn
            cancel_requested_ = true;
        else
            act(fsm_->on_cancel());
    }

    error with_program(error e)
    {
        if (e.diag().program.empty())
            e.diag().program = cmd_.program();
        return e;
    }

    // Opens what the child's 0, 1, 2 will be; keeps the parent's pipe ends.
    std::optional<error> prepare_stdio(stdio_init& s, unique_fd& in, unique_fd& out, unique_fd& err)
    {
        const auto& sin = cmd_.stdin_config();
        switch (sin.type())
        {
        case stdin_source::kind::inherit: break;
        case stdin_source::kind::null:
            in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
            if (in.fd < 0)
                return step_error(errno, cmd_.program(), "open /dev/null");
            break;
        case stdin_source::kind::file:
            in.reset(::open(sin.data().c_str(), O_RDONLY | O_CLOEXEC));
            if (in.fd < 0)
                return step_error(errno, cmd_.program(), "open stdin file", sin.data());
            break;
        case stdin_source::kind::bytes:
        {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0)
                return step_error(errno, cmd_.program(), "pipe2 stdin");
            in.reset(p[0]);
            ::fcntl(p[1], F_SETFL, O_NONBLOCK);
            in_.assign(p[1]);
            stdin_data_ = &sin.data();
            break;
        }
        }
        s.in = in.fd;

        int open_streams = 0;
        auto output = [&](const stdio_mode& m, unique_fd& child, int index, const char* name) -> std::optional<error> {
            switch (m.type())
            {
            case stdio_mode::kind::inherit: return std::nullopt;
            case stdio_mode::kind::merge:
                if (index == 0)
                {
                    diagnostics d;
                    d.program = cmd_.program();
                    d.step = "validate command";
                    d.detail = "stdio_mode::merge() is for stderr only";
                    return error(errc::invalid_argument, std::move(d));
                }
                s.err_to_out = true;
                return std::nullopt;
            case stdio_mode::kind::null:
                child.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
                break;
            case stdio_mode::kind::file:
                child.reset(::open(m.path().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (m.append() ? O_APPEND : O_TRUNC),
                                   0644));
                if (child.fd < 0)
                    return step_error(errno, cmd_.program(), index == 0 ? "open stdout file" : "open stderr file",
                                      m.path());
                return std::nullopt;
            case stdio_mode::kind::pipe:
            {
                int p[2];
                if (::pipe2(p, O_CLOEXEC) != 0)
                    return step_error(errno, cmd_.program(), name);
                child.reset(p[1]);
                stream(index).assign(p[0]);
                ++open_streams;
                return std::nullopt;
            }
            }
            if (child.fd < 0)
                return step_error(errno, cmd_.program(), "open /dev/null");
            return std::nullopt;
        };
        if (auto e = output(cmd_.stdout_config(), out, 0, "pipe2 stdout"))
            return e;
        if (auto e = output(cmd_.stderr_config(), err, 1, "pipe2 stderr"))
            return e;
        s.out = out.fd;
        s.err = err.fd;
        fsm_.emplace(open_streams, cmd_.grace_value().has_value(), native_signal(cmd_.timeout_signal_value()));
        return std::nullopt;
    }

    asio::posix::stream_descriptor& stream(int i) { return i == 0 ? out_ : err_; }

    void read_more(int i)
    {
        std::string& buf = bufs_[i];
        std::size_t& len = lens_[i];
        if (buf.size() < len + read_chunk)
            buf.resize(std::max(buf.size() * 2, len + read_chunk));
        stream(i).async_read_some(asio::buffer(buf.data() + len, buf.size() - len),
                                  [self = shared_from_this(), i](error_code ec, std::size_t n) {
                                      self->lens_[i] += n;
                                      if (ec)
                                      {
                                          error_code ignored;
                                          self->stream(i).close(ignored);
                                          self->act(self->fsm_->on_stream_closed());
                                      }
                                      else
                                          self->read_more(i);
                                  });
    }

    // Writes stdin without ever raising SIGPIPE in this process.
    static ssize_t write_no_sigpipe(int fd, const char* data, std::size_t len)
    {
        sigset_t pipe_set, old;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigset_t pending;
        ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
        sigpending(&pending);
        bool was_pending = sigismember(&pending, SIGPIPE);
        ssize_t n = ::write(fd, data, len);
        int e = errno;
        if (n < 0 && e == EPIPE && !was_pending)
        {
            timespec zero{0, 0};
            ::sigtimedwait(&pipe_set, nullptr, &zero);
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        errno = e;
        return n;
    }

    void write_stdin()
    {
        const std::string& data = *stdin_data_;
        while (stdin_off_ < data.size())
        {
            ssize_t n = write_no_sigpipe(in_.native_handle(), data.data() + stdin_off_, data.size() - stdin_off_);
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

    void on_exit_readable()
    {
        if (record_->try_reap())
            return act(fsm_->on_exit());
        exit_watch_.async_wait(asio::posix::descriptor_base::wait_read,
                               [self = shared_from_this()](error_code) { self->on_exit_readable(); });
    }

    void act(detail::capture_fsm::action a)
    {
        if (delivered_)
            return;
        if (a.kill_signal == SIGKILL)
            (void)group_->kill_all();
        else if (a.kill_signal != 0)
            (void)group_->signal(other_signal(a.kill_signal));
        if (a.cancel_timer)
            timer_.cancel();
        if (a.arm_grace)
        {
            timer_.expires_after(*cmd_.grace_value());
            timer_.async_wait([self = shared_from_this()](error_code e) {
                if (!e)
                    self->act(self->fsm_->on_grace_expired());
            });
        }
        if (a.complete)
            complete();
    }

    void complete()
    {
        process_result r;
        r.duration = clock::now() - start_time_;
        auto st = record_->status();
        if (fsm_->timed_out())
            r.outcome = run_outcome::timed_out();
        else if (st && st->exited)
            r.outcome = run_outcome::exited(st->value);
        else
            r.outcome = run_outcome::signalled(st ? st->value : SIGKILL);
        r.accepted = r.code() && cmd_.accepts(*r.code());
        for (int i = 0; i < 2; ++i)
            bufs_[i].resize(lens_[i]);
        r.std_out = std::move(bufs_[0]);
        r.std_err = std::move(bufs_[1]);
        diagnostics& d = r.diagnostics;
        d = diag_;
        d.exit_code = r.code();
        d.signal = r.signal();
        d.elapsed = r.duration;
        const std::string& tail_src = cmd_.stderr_config().type() == stdio_mode::kind::merge ? r.std_out : r.std_err;
        d.stderr_tail = tail_src.substr(tail_src.size() > stderr_tail_bytes ? tail_src.size() - stderr_tail_bytes : 0);
        error_code ec = fsm_->cancelled() ? make_error_code(errc::cancelled) : error_code();
        deliver(ec, std::move(r));
    }

    void fail(error e)
    {
        process_result r;
        r.outcome = run_outcome::exited(0);
        r.accepted = false;
        r.diagnostics = with_program(e).diag();
        r.duration = clock::now() - start_time_;
        r.diagnostics.elapsed = r.duration;
        deliver(e.code(), std::move(r));
    }

    void deliver(error_code ec, process_result r)
    {
        delivered_ = true;
        stop_cb_.reset();
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
        error_code ignored;
        timer_.cancel();
        out_.close(ignored);
        err_.close(ignored);
        in_.close(ignored);
        if (exit_watch_.is_open())
            exit_watch_.release();
        group_.reset(); // kills whatever is left, removes the cgroup
        auto h = std::move(handler_);
        auto hex = asio::get_associated_executor(h, ex_);
        asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    }

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    command cmd_;
    capture_handler handler_;
    process_group_options opts_;
    asio::posix::stream_descriptor out_, err_, in_, exit_watch_;
    asio::steady_timer timer_;
    std::optional<process_group> group_;
    std::shared_ptr<detail::child_record> record_;
    std::optional<detail::capture_fsm> fsm_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    std::array<std::string, 2> bufs_;
    std::array<std::size_t, 2> lens_{0, 0};
    const std::string* stdin_data_ = nullptr;
    std::size_t stdin_off_ = 0;
    clock::time_point start_time_ = clock::now();
    diagnostics diag_;
    bool cancel_requested_ = false;
    bool delivered_ = false;
};

} // namespace

void job_runner::async_capture(asio::any_io_executor ex, command cmd, capture_handler handler)
{
    std::make_shared<capture_op>(std::move(ex), std::move(cmd), std::move(handler), options_)->start();
}

} // namespace processkit
} // namespace boost
