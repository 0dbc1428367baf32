// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_POSIX_LAUNCHER_HPP
#define BOOST_PROCESSKIT_POSIX_LAUNCHER_HPP

// This header is opt-in and NOT part of <boost/processkit.hpp>: it includes
// Boost.Process v2 so that its initializers (process_stdio, process_start_dir,
// process_environment, ...) can be used with processkit's launcher.

#include <boost/processkit/config.hpp>
#include <boost/processkit/detail/spawn.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/process_group.hpp>

#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/process.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace boost {
namespace processkit {

class launcher;

namespace detail {

namespace bp2 = boost::process::v2;

// Hook dispatch with the documented signatures (Process v2 1.81 probes
// on_error & co. with the wrong arity and silently skips them).
template <class L, class I>
error_code call_on_setup(L& l, const bp2::filesystem::path& exe, const char* const*& argv, I& init)
{
    if constexpr (requires { init.on_setup(l, exe, argv); })
        return init.on_setup(l, exe, argv);
    else
        return {};
}
template <class L, class I>
error_code call_on_exec_setup(L& l, const bp2::filesystem::path& exe, const char* const*& argv, I& init)
{
    if constexpr (requires { init.on_exec_setup(l, exe, argv); })
        return init.on_exec_setup(l, exe, argv);
    else
        return {};
}
template <class L, class I>
void call_on_success(L& l, const bp2::filesystem::path& exe, const char* const*& argv, I& init)
{
    if constexpr (requires { init.on_success(l, exe, argv); })
        init.on_success(l, exe, argv);
}
template <class L, class I>
void call_on_error(L& l, const bp2::filesystem::path& exe, const char* const*& argv, const error_code& ec, I& init)
{
    if constexpr (requires { init.on_error(l, exe, argv, ec); })
        init.on_error(l, exe, argv, ec);
}

template <class T>
concept c_string_like = std::is_same_v<std::decay_t<T>, std::string>;

} // namespace detail

/// A launcher with Boost.Process v2's initializer protocol (`on_setup`,
/// `on_exec_setup`, `on_success`, `on_error`) that fixes the 1.81 POSIX
/// launcher's defects.
///
/// @details The child is started with a vfork-style `clone3` (or `clone`
/// where clone3 is unavailable) with `CLONE_VM | CLONE_VFORK | CLONE_PIDFD`,
/// created directly in its group's cgroup: its cost does not grow with the parent's
/// memory, no `notify_fork` runs (so spawning from many threads while others
/// run the io_context cannot deadlock), and the exit is watched through the
/// pidfd the kernel hands back atomically. Between clone and exec only
/// async-signal-safe calls run; `on_exec_setup` hooks must obey the same rule.
/// Every inherited fd >= 3 that is not whitelisted is closed (close_range
/// with the gaps computed before the clone). A failed exec `_exit`s and is
/// reaped before the call returns. Hook errors reach the caller unchanged.
///
/// Errors: a missing program (exec ENOENT) is `errc::program_not_found`, a
/// failed `start_dir` is `errc::bad_working_directory`, a NUL byte in an
/// argument is `errc::invalid_argument`; `failed_step()` names the step.
///
/// Thread safety: one launcher object per launch; any number may run at once.
class launcher : public process::v2::posix::default_launcher
{
public:
    /// Set by a child-side initializer before it returns an error from
    /// `on_exec_setup`, to name what failed (must be a string literal).
    const char* volatile child_step = nullptr;
    /// The pidfd of the launched child (valid during `on_success`).
    int pidfd = -1;
    /// The child's argv[0]; by default the executable path.
    const char* argv0 = nullptr;
    /// Set by an `on_setup` hook: a cgroup directory fd to create the child
    /// in (clone3 CLONE_INTO_CGROUP, where the kernel supports it).
    int into_cgroup = -1;
    /// Readable by `on_exec_setup` hooks: whether the child was created in
    /// `into_cgroup` (false: it still has to move itself there).
    volatile bool child_born_in_cgroup = false;

    const char* failed_step() const noexcept { return failed_step_; }

    /// Launches and returns a Process v2 handle that waits on the pidfd.
    template <class Executor, class Args, class... Inits>
    auto operator()(
        Executor exec, error_code& ec,
        const std::enable_if_t<asio::execution::is_executor<Executor>::value || asio::is_executor<Executor>::value,
                               process::v2::filesystem::path>& exe,
        Args&& args, Inits&&... inits) -> process::v2::basic_process<Executor>
    {
        auto out = launch(ec, exe, args, inits...);
        if (ec)
            return process::v2::basic_process<Executor>(exec);
        return process::v2::basic_process<Executor>(exec, out.pid, out.pidfd);
    }

    template <class Executor, class Args, class... Inits>
    auto operator()(
        Executor exec,
        const std::enable_if_t<asio::execution::is_executor<Executor>::value || asio::is_executor<Executor>::value,
                               process::v2::filesystem::path>& exe,
        Args&& args, Inits&&... inits) -> process::v2::basic_process<Executor>
    {
        error_code ec;
        auto p = (*this)(std::move(exec), ec, exe, std::forward<Args>(args), std::forward<Inits>(inits)...);
        if (ec)
            throw boost::system::system_error(ec, failed_step_ ? failed_step_ : "launch");
        return p;
    }

    template <class ExecutionContext, class Args, class... Inits>
    auto operator()(ExecutionContext& ctx, error_code& ec,
                    const std::enable_if_t<std::is_convertible_v<ExecutionContext&, asio::execution_context&>,
                                           process::v2::filesystem::path>& exe,
                    Args&& args, Inits&&... inits)
        -> process::v2::basic_process<typename ExecutionContext::executor_type>
    {
        return (*this)(ctx.get_executor(), ec, exe, std::forward<Args>(args), std::forward<Inits>(inits)...);
    }

    template <class ExecutionContext, class Args, class... Inits>
    auto operator()(ExecutionContext& ctx,
                    const std::enable_if_t<std::is_convertible_v<ExecutionContext&, asio::execution_context&>,
                                           process::v2::filesystem::path>& exe,
                    Args&& args, Inits&&... inits)
        -> process::v2::basic_process<typename ExecutionContext::executor_type>
    {
        return (*this)(ctx.get_executor(), exe, std::forward<Args>(args), std::forward<Inits>(inits)...);
    }

    /// The core: runs the hooks and spawns; returns the pid and an owned
    /// pidfd (the caller closes it), or sets `ec` and leaves nothing behind.
    template <class Args, class... Inits>
    detail::spawn_outcome launch(error_code& ec, const process::v2::filesystem::path& exe, const Args& args,
                                 Inits&... inits)
    {
        ec.clear();
        failed_step_ = nullptr;
        detail::spawn_outcome out;

        std::vector<std::string> storage;
        std::vector<const char*> argv;
        argv.push_back(argv0 ? argv0 : exe.c_str());
        for (const auto& a : args)
        {
            std::string_view sv(a);
            if (sv.find('\0') != std::string_view::npos)
            {
                ec = errc::invalid_argument;
                failed_step_ = "argument contains a NUL byte";
                return out;
            }
            if constexpr (detail::c_string_like<decltype(a)>)
                argv.push_back(a.c_str());
            else
                argv.push_back(nullptr), storage.emplace_back(sv);
        }
        // Fill in copied arguments now that `storage` no longer reallocates.
        for (std::size_t i = 1, s = 0; i < argv.size(); ++i)
            if (!argv[i])
                argv[i] = storage[s++].c_str();
        argv.push_back(nullptr);
        const char* const* cmd_line = argv.data();

        ((ec ? void() : void(ec = detail::call_on_setup(*this, exe, cmd_line, inits))), ...);
        if (ec)
        {
            failed_step_ = "on_setup";
            (detail::call_on_error(*this, exe, cmd_line, ec, inits), ...);
            return out;
        }

        std::vector<int> keep;
        for (int fd : fd_whitelist)
            if (fd > 2)
                keep.push_back(fd);
        std::sort(keep.begin(), keep.end());
        keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

        struct hook_ctx
        {
            launcher* self;
            const process::v2::filesystem::path* exe;
            const char* const* argv;
            std::tuple<Inits&...> inits;
            error_code ec;
        } ctx{this, &exe, cmd_line, std::tuple<Inits&...>(inits...), {}};

        detail::spawn_request req;
        req.path = exe.c_str();
        req.argv = cmd_line;
        req.envp = env;
        req.keep_fds = keep.data();
        req.keep_count = keep.size();
        req.hook_ctx = &ctx;
        req.child_step = &child_step;
        req.cgroup_fd = into_cgroup;
        req.born_in_cgroup = &child_born_in_cgroup;
        req.child_hook = +[](void* p) noexcept -> int {
            auto& c = *static_cast<hook_ctx*>(p);
            const char* const* av = c.argv;
            std::apply(
                [&](auto&... i) {
                    ((c.ec ? void() : void(c.ec = detail::call_on_exec_setup(*c.self, *c.exe, av, i))), ...);
                },
                c.inits);
            return c.ec ? (c.ec.value() != 0 ? c.ec.value() : EINVAL) : 0;
        };
        child_step = nullptr;

        out = detail::spawn(req);
        if (out.ec)
        {
            failed_step_ = out.step;
            ec = ctx.ec ? ctx.ec : detail::spawn_error_code(out);
            (detail::call_on_error(*this, exe, cmd_line, ec, inits), ...);
            return out;
        }
        pid = out.pid;
        pidfd = out.pidfd;
        (detail::call_on_success(*this, exe, cmd_line, inits), ...);
        return out;
    }

private:
    const char* failed_step_ = nullptr;
};

/// Initializer: the child joins `group` before exec (cgroup.procs or
/// setpgid), so nothing it spawns is ever born outside the group.
class in_group
{
public:
    explicit in_group(const process_group& g) : group_(detail::access::state(g)) {}
    /// Internal: processkit itself reaps the child (no Process v2 handle does).
    in_group(const process_group& g, detail::reaped_by_processkit_t) : group_(detail::access::state(g)), owned_(true) {}

    error_code on_setup(launcher& l, const process::v2::filesystem::path&, const char* const*)
    {
        auto e = detail::prepare_join(group_, plan_);
        if (!e && plan_.cgroup_fd >= 0 && l.into_cgroup < 0)
            l.into_cgroup = plan_.cgroup_fd; // born in the cgroup: no migration
        return e.code();
    }
    error_code on_exec_setup(launcher& l, const process::v2::filesystem::path&, const char* const*)
    {
        if (plan_.cgroup_fd >= 0 && l.into_cgroup == plan_.cgroup_fd && l.child_born_in_cgroup)
            return {};
        int e = detail::join_in_child(plan_);
        if (e == 0)
            return {};
        l.child_step = "join process group";
        return error_code(e, boost::system::system_category());
    }
    void on_success(launcher& l, const process::v2::filesystem::path&, const char* const*)
    {
        int own = ::fcntl(l.pidfd, F_DUPFD_CLOEXEC, 3);
        if (own >= 0)
            record_ = detail::commit_join(plan_, l.pid, own, owned_);
        detail::abort_join(plan_);
    }
    void on_error(launcher&, const process::v2::filesystem::path&, const char* const*, const error_code&)
    {
        detail::abort_join(plan_);
    }

    /// The group's record of the launched child (after success).
    const std::shared_ptr<detail::child_record>& record() const noexcept { return record_; }

private:
    std::shared_ptr<detail::group_backend> group_;
    detail::join_plan plan_;
    std::shared_ptr<detail::child_record> record_;
    bool owned_ = false;
};

/// Initializer: the child changes to `dir` before exec; failure is
/// `errc::bad_working_directory`.
class start_dir
{
public:
    explicit start_dir(std::string dir) : dir_(std::move(dir)) {}
    error_code on_exec_setup(launcher& l, const process::v2::filesystem::path&, const char* const*)
    {
        if (::chdir(dir_.c_str()) == 0)
            return {};
        l.child_step = "chdir";
        return errc::bad_working_directory;
    }

private:
    std::string dir_;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX_LAUNCHER_HPP
