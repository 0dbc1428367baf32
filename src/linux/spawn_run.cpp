// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "../backend/spawn.hpp"
#include "../backend/group_backend.hpp"
#include "../core/plan.hpp"

#include <boost/processkit/detail/spawn.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>

extern "C" char** environ;

namespace boost {
namespace processkit {
namespace detail {
namespace {

// Everything the child does between clone and exec, prepared in the
// parent: join the group (unless clone3 created it there), put the stdio
// fds on 0, 1, 2, change directory. Async-signal-safe.
struct child_setup
{
    join_plan* join = nullptr;
    volatile bool born_in_cgroup = false;
    const char* volatile step = nullptr;
    int in = -1, out = -1, err = -1; // -1: inherit
    bool err_to_out = false;         // stderr joins whatever stdout is
    const char* cwd = nullptr;

    static int run(void* p) noexcept
    {
        auto& c = *static_cast<child_setup*>(p);
        if (!(c.join->cgroup_fd >= 0 && c.born_in_cgroup))
            if (int e = join_in_child(*c.join))
                return fail(c, "join process group", e);
        if (c.in >= 0 && ::dup2(c.in, 0) < 0)
            return fail(c, "dup2 stdin", errno);
        if (c.out >= 0 && ::dup2(c.out, 1) < 0)
            return fail(c, "dup2 stdout", errno);
        if (c.err_to_out ? ::dup2(1, 2) < 0 : (c.err >= 0 && ::dup2(c.err, 2) < 0))
            return fail(c, "dup2 stderr", errno);
        if (c.cwd && ::chdir(c.cwd) != 0)
            return fail(c, "chdir", errno);
        return 0;
    }
    static int fail(child_setup& c, const char* step, int e) noexcept
    {
        c.step = step;
        return e;
    }
};

// A pipe whose parent end is `parent` (non-blocking: the parent reads or
// writes until EAGAIN, then waits) and whose child end is returned.
std::optional<error> make_pipe(const command& cmd, const char* step, bool parent_reads, unique_fd& parent,
                               unique_fd& child)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return sys_error(errno, cmd.program(), step);
    parent.reset(above_stdio(parent_reads ? p[0] : p[1]));
    child.reset(above_stdio(parent_reads ? p[1] : p[0]));
    if (!parent || !child)
        return sys_error(errno, cmd.program(), step);
    ::fcntl(parent.fd, F_SETFL, O_NONBLOCK);
    return std::nullopt;
}

std::optional<error> open_output(const command& cmd, const stdio_mode& m, bool is_stdout, child_setup& s,
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
            return sys_error(errno, cmd.program(), "open /dev/null");
        return std::nullopt;
    case stdio_mode::kind::file:
        child.reset(above_stdio(
            ::open(m.path().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (m.append() ? O_APPEND : O_TRUNC), 0644)));
        if (!child)
            return sys_error(errno, cmd.program(), is_stdout ? "open stdout file" : "open stderr file", m.path());
        return std::nullopt;
    case stdio_mode::kind::pipe:
        return make_pipe(cmd, is_stdout ? "pipe2 stdout" : "pipe2 stderr", true, parent, child);
    }
    return std::nullopt;
}

// The error of a failed spawn, named by its step.
error spawn_error(const command& cmd, const spawn_plan& plan, const spawn_outcome& out)
{
    diagnostics d;
    d.program = cmd.program();
    d.step = out.step ? out.step : "spawn";
    error_code ec = spawn_error_code(out);
    struct stat st;
    if (ec == errc::program_not_found)
        d.detail = plan.path;
    else if (d.step == "execve" && ec == error_code(EACCES, boost::system::system_category()) &&
             ::stat(plan.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    {
        // execve says EACCES for a directory: say what is wrong instead.
        ec = error_code(EISDIR, boost::system::system_category());
        d.detail = "the program is a directory";
    }
    return error(ec, std::move(d));
}

// Spawns the planned child into `g`, `setup` running in the child. On
// failure nothing is left behind and the error names the step.
result<std::shared_ptr<child_record>> launch(const command& cmd, const spawn_plan& plan,
                                             const std::shared_ptr<group_backend>& g, child_setup& setup)
{
    std::vector<const char*> argv, envp;
    argv.reserve(plan.args.size() + 2);
    argv.push_back(plan.argv0.c_str());
    for (auto& a : plan.args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);
    envp.reserve(plan.env.size() + 1);
    for (auto& e : plan.env)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);

    join_plan join;
    if (error e = prepare_join(g, join))
    {
        e.diag().program = cmd.program();
        return e;
    }
    setup.join = &join;
    setup.cwd = cmd.working_directory() ? cmd.working_directory()->c_str() : nullptr;
    spawn_request req;
    req.path = plan.path.c_str();
    req.argv = argv.data();
    req.envp = envp.data();
    req.child_hook = &child_setup::run;
    req.hook_ctx = &setup;
    req.child_step = &setup.step;
    req.cgroup_fd = join.cgroup_fd; // born in the cgroup: no migration
    req.born_in_cgroup = &setup.born_in_cgroup;
    spawn_outcome out = spawn(req);
    if (out.ec)
    {
        abort_join(join);
        return spawn_error(cmd, plan, out);
    }
    auto child = commit_join(join, out.pid, out.pidfd, true); // the record owns the pidfd
    abort_join(join);
    return child;
}

// A pipeline stage's stdin and stdout where the neighbouring stages' pipes
// provide them (-1: as the command says). The fds stay the caller's.
struct stage_io
{
    int in = -1;
    int out = -1;
};

// spawn_run for a command planned already.
result<started_child> spawn_planned(const command& cmd, const spawn_plan& plan, const process_group_options& opts,
                                    const std::shared_ptr<group_backend>& parent, bool interactive_stdin,
                                    const stage_io& io = {})
{
    child_setup stdio;
    unique_fd in_w, out_r, err_r, child_in, child_out, child_err;
    const auto& sin = cmd.stdin_config();
    switch (io.in >= 0 ? stdin_source::kind::inherit : sin.type())
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
            return sys_error(errno, cmd.program(), "open /dev/null");
        break;
    case stdin_source::kind::file:
        child_in.reset(above_stdio(::open(sin.data().c_str(), O_RDONLY | O_CLOEXEC)));
        if (!child_in)
            return sys_error(errno, cmd.program(), "open stdin file", sin.data());
        break;
    case stdin_source::kind::bytes:
        if (auto e = make_pipe(cmd, "pipe2 stdin", false, in_w, child_in))
            return *e;
        break;
    }
    stdio.in = io.in >= 0 ? io.in : child_in.fd;
    if (io.out < 0)
        if (auto e = open_output(cmd, cmd.stdout_config(), true, stdio, out_r, child_out))
            return *e;
    if (auto e = open_output(cmd, cmd.stderr_config(), false, stdio, err_r, child_err))
        return *e;
    stdio.out = io.out >= 0 ? io.out : child_out.fd;
    stdio.err = child_err.fd;

    auto group = parent ? group_access::create_sub(parent) : group_access::create_private(opts);
    if (!group)
    {
        error e = group.error();
        e.diag().program = cmd.program();
        return e;
    }

    if (io.in < 0 && sin.type() == stdin_source::kind::inherit)
        share_terminal(*access::state(group.value()));

    auto child = launch(cmd, plan, access::state(group.value()), stdio);
    if (!child)
        return child.error();
    if (parent) // it leads its subgroup's process group
        parent->adopt_run_child(child.value(), child.value()->pid);
    return started_child{std::move(group).value(), std::move(child).value(), std::move(in_w),
                         std::move(out_r),         std::move(err_r),         {}};
}

} // namespace

result<started_child> spawn_run(const command& cmd, const process_group_options& opts,
                                const std::shared_ptr<group_backend>& parent, bool interactive_stdin)
{
    auto plan = make_plan(cmd, environ);
    if (!plan)
        return plan.error();
    return spawn_planned(cmd, plan.value(), opts, parent, interactive_stdin);
}

result<started_run> spawn_pipeline(const std::vector<command>& stages, const process_group_options& opts,
                                   const std::shared_ptr<group_backend>& parent, bool interactive_stdin)
{
    auto name_stage = [](error e, std::size_t i, const command& cmd) {
        e.diag().stage = i;
        if (e.diag().program.empty())
            e.diag().program = cmd.program();
        return e;
    };
    // Every stage must be able to start before any does.
    std::vector<spawn_plan> plans;
    plans.reserve(stages.size());
    for (std::size_t i = 0; i < stages.size(); ++i)
    {
        auto plan = make_plan(stages[i], environ);
        if (!plan)
            return name_stage(plan.error(), i, stages[i]);
        plans.push_back(std::move(plan).value());
    }
    auto group = parent ? group_access::create_sub(parent) : group_access::create_private(opts);
    if (!group)
        return name_stage(group.error(), 0, stages.front());
    started_run out;
    out.chain.emplace(std::move(group).value());
    out.stages.reserve(stages.size());
    const auto chain = access::state(*out.chain);
    unique_fd upstream; // the read end of the previous stage's stdout
    for (std::size_t i = 0; i < stages.size(); ++i)
    {
        unique_fd down_r, down_w; // both ends go to children: blocking, as a shell's
        if (i + 1 < stages.size())
        {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0)
                return name_stage(sys_error(errno, stages[i].program(), "pipe2 between stages"), i, stages[i]);
            down_r.reset(above_stdio(p[0]));
            down_w.reset(above_stdio(p[1]));
            if (!down_r || !down_w)
                return name_stage(sys_error(errno, stages[i].program(), "pipe2 between stages"), i, stages[i]);
        }
        stage_io io{upstream ? upstream.fd : -1, down_w ? down_w.fd : -1};
        auto child = spawn_planned(stages[i], plans[i], opts, chain, interactive_stdin && i == 0, io);
        if (!child) // the stages started so far die with `out`, their subgroups first
            return name_stage(child.error(), i, stages[i]);
        if (parent) // a group_runner's group signals and lists the stages too
            parent->adopt_run_child(child.value().record, child.value().record->pid);
        out.stages.push_back(std::move(child).value());
        out.stages.back().upstream_r = std::move(upstream);
        upstream = std::move(down_r); // the next stage reads it
    }
    return out;
}

} // namespace detail
} // namespace processkit
} // namespace boost
