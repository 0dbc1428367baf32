// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "../detail/spawn_run.hpp"
#include "../backend/group_backend.hpp"
#include "pidfd.hpp"
#include "../detail/plan.hpp"

#include <boost/processkit/launcher.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>

extern "C" char** environ;

namespace boost {
namespace processkit {
namespace detail {
namespace {

namespace bp2 = boost::process::v2;

error step_error(int e, const command& cmd, const char* step, std::string detail = {})
{
    diagnostics d;
    d.program = cmd.program();
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

// A pipe whose parent end is `parent` (non-blocking: the parent reads or
// writes until EAGAIN, then waits) and whose child end is returned.
std::optional<error> make_pipe(const command& cmd, const char* step, bool parent_reads, unique_fd& parent,
                               unique_fd& child)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return step_error(errno, cmd, step);
    parent.reset(above_stdio(parent_reads ? p[0] : p[1]));
    child.reset(above_stdio(parent_reads ? p[1] : p[0]));
    if (!parent || !child)
        return step_error(errno, cmd, step);
    ::fcntl(parent.fd, F_SETFL, O_NONBLOCK);
    return std::nullopt;
}

std::optional<error> open_output(const command& cmd, const stdio_mode& m, bool is_stdout, stdio_init& s,
                                 unique_fd& parent, unique_fd& child)
{
    switch (m.type())
    {
    case stdio_mode::kind::inherit: return std::nullopt;
    case stdio_mode::kind::merge:
        if (is_stdout)
        {
            diagnostics d;
            d.program = cmd.program();
            d.step = "validate command";
            d.detail = "stdio_mode::merge() is for stderr only";
            return error(errc::invalid_argument, std::move(d));
        }
        s.err_to_out = true;
        return std::nullopt;
    case stdio_mode::kind::null:
        child.reset(above_stdio(::open("/dev/null", O_WRONLY | O_CLOEXEC)));
        if (!child)
            return step_error(errno, cmd, "open /dev/null");
        return std::nullopt;
    case stdio_mode::kind::file:
        child.reset(above_stdio(
            ::open(m.path().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (m.append() ? O_APPEND : O_TRUNC), 0644)));
        if (!child)
            return step_error(errno, cmd, is_stdout ? "open stdout file" : "open stderr file", m.path());
        return std::nullopt;
    case stdio_mode::kind::pipe:
        return make_pipe(cmd, is_stdout ? "pipe2 stdout" : "pipe2 stderr", true, parent, child);
    }
    return std::nullopt;
}

} // namespace

ssize_t write_no_sigpipe(int fd, const char* data, std::size_t len) noexcept
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t n = ::write(fd, data, len);
    int e = errno;
    if (n < 0 && e == EPIPE && !was_pending)
    {
        timespec zero{0, 0};
        ::sigtimedwait(&pipe_set, nullptr, &zero); // consume the SIGPIPE we caused
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = e;
    return n;
}

result<started_child> spawn_run(const command& cmd, const process_group_options& opts, bool interactive_stdin)
{
    auto plan = make_plan(cmd, environ);
    if (!plan)
        return plan.error();

    stdio_init stdio;
    unique_fd in_w, out_r, err_r, child_in, child_out, child_err;
    const auto& sin = cmd.stdin_config();
    switch (sin.type())
    {
    case stdin_source::kind::inherit: break;
    case stdin_source::kind::null:
        if (interactive_stdin)
        {
            if (auto e = make_pipe(cmd, "pipe2 stdin", false, in_w, child_in))
                return *e;
            break;
        }
        child_in.reset(above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
        if (!child_in)
            return step_error(errno, cmd, "open /dev/null");
        break;
    case stdin_source::kind::file:
        child_in.reset(above_stdio(::open(sin.data().c_str(), O_RDONLY | O_CLOEXEC)));
        if (!child_in)
            return step_error(errno, cmd, "open stdin file", sin.data());
        break;
    case stdin_source::kind::bytes:
        if (auto e = make_pipe(cmd, "pipe2 stdin", false, in_w, child_in))
            return *e;
        break;
    }
    stdio.in = child_in.fd;
    if (auto e = open_output(cmd, cmd.stdout_config(), true, stdio, out_r, child_out))
        return *e;
    if (auto e = open_output(cmd, cmd.stderr_config(), false, stdio, err_r, child_err))
        return *e;
    stdio.out = child_out.fd;
    stdio.err = child_err.fd;

    auto group = group_access::create_private(opts);
    if (!group)
    {
        error e = group.error();
        e.diag().program = cmd.program();
        return e;
    }

    if (sin.type() == stdin_source::kind::inherit)
        share_terminal(*group.value().state());

    std::vector<const char*> envp;
    envp.reserve(plan.value().env.size() + 1);
    for (auto& e : plan.value().env)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);

    launcher l;
    l.env = envp.data();
    l.argv0 = plan.value().argv0.c_str();
    in_group join(group.value(), reaped_by_processkit_t{});
    error_code ec;
    bp2::filesystem::path exe(plan.value().path);
    spawn_outcome spawned;
    if (cmd.working_directory())
    {
        processkit::start_dir dir(*cmd.working_directory());
        spawned = l.launch(ec, exe, plan.value().args, join, stdio, dir);
    }
    else
        spawned = l.launch(ec, exe, plan.value().args, join, stdio);
    if (ec)
    {
        diagnostics d;
        d.program = cmd.program();
        d.step = l.failed_step() ? l.failed_step() : "launch";
        struct stat st;
        if (ec == errc::program_not_found)
            d.detail = plan.value().path;
        else if (ec == error_code(EACCES, boost::system::system_category()) && d.step == "execve" &&
                 ::stat(plan.value().path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        {
            // execve says EACCES for a directory: say what is wrong instead.
            ec = error_code(EISDIR, boost::system::system_category());
            d.detail = "the program is a directory";
        }
        return error(ec, std::move(d));
    }
    if (!join.record())
    {
        // The group could not keep a pidfd of its own: do not leave the child.
        pidfd_send(spawned.pidfd, SIGKILL);
        siginfo_t info;
        pidfd_wait(spawned.pidfd, info, WEXITED);
        ::close(spawned.pidfd);
        return step_error(EMFILE, cmd, "dup pidfd");
    }
    ::close(spawned.pidfd); // the group's record holds its own
    return started_child{std::move(group).value(), join.record(), std::move(in_w), std::move(out_r), std::move(err_r)};
}

} // namespace detail
} // namespace processkit
} // namespace boost
