// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The fake backend on POSIX: pipes from pipe2(), the scripted child's exit
// signalled by closing a pipe's write end, a group that answers for one
// scripted child.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include "../backend/pipes.hpp"
#  include "../backend/scripted_child.hpp"

#  include <atomic>
#  include <cerrno>
#  include <fcntl.h>
#  include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

// Made-up pids above Linux's largest pid_max (2^22): never a real process.
std::atomic<int> next_fake_pid{(1 << 22) + 1};

// A pipe: `parent` non-blocking, as spawn_run makes them.
std::optional<error> make_pipe(const command& cmd, bool parent_reads, unique_fd& parent, unique_fd& child)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return sys_error(errno, cmd.program(), "pipe2");
    parent.reset(parent_reads ? p[0] : p[1]);
    child.reset(parent_reads ? p[1] : p[0]);
    ::fcntl(parent.fd, F_SETFL, O_NONBLOCK);
    return std::nullopt;
}

error unsupported(const char* what)
{
    diagnostics d;
    d.step = what;
    d.detail = "a scripted child has no process to do this to";
    return error(errc::unsupported, std::move(d));
}

// The group of one scripted child: its signals go to the script; a kill
// ends it at once, so the tree is always empty right after.
class scripted_group final : public group_backend
{
public:
    scripted_group(std::shared_ptr<scripted_process> p) : group_backend({}), proc_(std::move(p)) {}
    ~scripted_group() override { proc_->die(signal::kill); }

    processkit::mechanism mechanism() const noexcept override { return processkit::mechanism::scripted; }
    error signal(processkit::signal s) override
    {
        proc_->deliver(s);
        return {};
    }
    error freeze(bool) override { return unsupported("freeze"); }
    std::vector<member_info> members() override
    {
        if (proc_->ended())
            return {};
        member_info m;
        m.pid = proc_->pid();
        m.ppid = static_cast<int>(::getpid());
        m.name = proc_->program();
        return {m};
    }
    error adopt(int) override { return unsupported("adopt"); }
    error begin_kill(bool& empty) noexcept override
    {
        if (!proc_->ended())
            proc_->deliver(signal::kill);
        empty = true;
        return {};
    }
    bool tree_empty(bool) override { return proc_->ended(); }
    error end_kill(bool, bool) noexcept override { return {}; }
    void release() noexcept override {}
    // Nothing is ever spawned into it (it is never a user's group).
    void prepare_join(join_plan&) override {}
    void commit_join(join_plan&, child_record&) override {}
    result<std::shared_ptr<group_backend>> make_subgroup() override { return unsupported("make_subgroup"); }

private:
    std::shared_ptr<scripted_process> proc_;
};

} // namespace

bool scripted_process::write(int stream, std::string_view data)
{
    unique_fd fd; // a duplicate: the write may block, and close_output() may run meanwhile
    {
        std::lock_guard<std::mutex> lk(mu_);
        const int target = merged_ ? 0 : stream;
        if (out_[target])
            fd.reset(::fcntl(out_[target].fd, F_DUPFD_CLOEXEC, 3));
    }
    if (!fd)
        return false;
    while (!data.empty())
    {
        ssize_t n = write_no_sigpipe(fd.fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false; // EPIPE: the parent closed its end; EBADF: closed meanwhile
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void scripted_process::close_output(int stream)
{
    std::lock_guard<std::mutex> lk(mu_);
    out_[merged_ ? 0 : stream].reset();
}

std::string scripted_process::read_stdin(bool& eof)
{
    std::lock_guard<std::mutex> lk(mu_);
    std::string got;
    eof = false;
    if (!in_)
        return got;
    char buf[4096];
    for (;;)
    {
        ssize_t n = ::read(in_.fd, buf, sizeof buf);
        if (n > 0)
        {
            got.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        eof = n == 0;
        return got;
    }
}

bool scripted_process::exit(int code) { return end(exit_status{true, code}); }

bool scripted_process::die(processkit::signal s) { return end(exit_status{false, native_signal(s)}); }

void scripted_process::ignore(processkit::signal s)
{
    std::lock_guard<std::mutex> lk(mu_);
    if (s != signal::kill)
        ignored_.insert(s);
}

std::vector<processkit::signal> scripted_process::signals() const
{
    std::lock_guard<std::mutex> lk(mu_);
    return signals_;
}

bool scripted_process::ended() const
{
    std::lock_guard<std::mutex> lk(mu_);
    return !record_ || record_->reaped();
}

void scripted_process::deliver(processkit::signal s)
{
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (!record_ || record_->reaped())
            return; // a dead process gets no signal
        signals_.push_back(s);
        if (ignored_.count(s) != 0)
            return;
    }
    die(s);
}

void scripted_process::attach(std::shared_ptr<child_record> record, unique_fd out, unique_fd err, unique_fd in,
                              bool merged)
{
    std::lock_guard<std::mutex> lk(mu_);
    record_ = std::move(record);
    out_[0] = std::move(out);
    out_[1] = std::move(err);
    in_ = std::move(in);
    merged_ = merged;
}

// A process that ends closes its descriptors: the parent sees EOF on its
// streams (and EPIPE on its stdin) before the exit, as with a real child.
bool scripted_process::end(exit_status st)
{
    std::shared_ptr<child_record> rec;
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (!record_ || record_->reaped())
            return false;
        close_all_locked();
        rec = record_;
    }
    return rec->finish_scripted(st);
}

void scripted_process::close_all_locked()
{
    out_[0].reset();
    out_[1].reset();
    in_.reset();
}

result<started_child> start_scripted(const command& cmd, bool interactive_stdin,
                                     std::shared_ptr<scripted_process>& control)
{
    unique_fd out_r, out_w, err_r, err_w, in_w, in_r;
    const bool merged = cmd.stderr_config().type() == stdio_mode::kind::merge;
    if (cmd.stdout_config().type() == stdio_mode::kind::pipe)
        if (auto e = make_pipe(cmd, true, out_r, out_w))
            return *e;
    if (cmd.stderr_config().type() == stdio_mode::kind::pipe)
        if (auto e = make_pipe(cmd, true, err_r, err_w))
            return *e;
    const auto in_kind = cmd.stdin_config().type();
    if (in_kind == stdin_source::kind::bytes || (interactive_stdin && in_kind == stdin_source::kind::null))
    {
        if (auto e = make_pipe(cmd, false, in_w, in_r))
            return *e;
        ::fcntl(in_r.fd, F_SETFL, O_NONBLOCK); // read_stdin() never blocks
    }
    unique_fd watch_r, watch_w;
    if (auto e = make_pipe(cmd, true, watch_r, watch_w))
        return *e;
    control = std::make_shared<scripted_process>(next_fake_pid++, cmd.program());
    auto record = std::make_shared<child_record>(child_record::scripted_tag{}, control->pid(), watch_r.release(),
                                                 watch_w.release());
    control->attach(record, std::move(out_w), std::move(err_w), std::move(in_r), merged);
    auto backend = std::make_shared<scripted_group>(control);
    backend->children.push_back(record);
    return started_child{group_access::wrap(std::move(backend)),
                         std::move(record),
                         std::move(in_w),
                         std::move(out_r),
                         std::move(err_r),
                         {}};
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
