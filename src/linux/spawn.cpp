// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The child side of every spawn. Between clone() and execve() only
// async-signal-safe system calls run: no allocation, no locks, no stdio.

#include <boost/processkit/detail/spawn.hpp>

#include "../detail/pidfd.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#  define CLONE_PIDFD 0x00001000
#endif

namespace boost {
namespace processkit {
namespace detail {
namespace {

constexpr std::size_t stack_size = 128 * 1024;

// One child stack per spawning thread, reused: a vfork-style child runs on it
// while this thread is suspended, so one is enough.
struct child_stack
{
    void* base = MAP_FAILED;
    child_stack() { base = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0); }
    ~child_stack()
    {
        if (base != MAP_FAILED)
            ::munmap(base, stack_size);
    }
    child_stack(const child_stack&) = delete;
    child_stack& operator=(const child_stack&) = delete;
};

struct child_args
{
    const spawn_request* req;
    const sigset_t* clean_mask;
    int max_fd;            // upper bound for the close() loop when close_range is missing
    volatile int err;      // written by the child: 0 means execve succeeded
    const char* volatile step;
};

void close_from(int lo, int hi_inclusive, int max_fd) noexcept
{
    if (lo > hi_inclusive)
        return;
    if (::syscall(SYS_close_range, static_cast<unsigned>(lo), static_cast<unsigned>(hi_inclusive), 0u) == 0)
        return;
    for (int fd = lo; fd <= hi_inclusive && fd < max_fd; ++fd)
        ::close(fd);
}

int child_main(void* p) noexcept
{
    auto& a = *static_cast<child_args*>(p);
    const spawn_request& req = *a.req;

    // Handlers installed by the parent must not run in the child; SIGPIPE and
    // SIGXFSZ go back to their defaults so pipelines behave as in a shell.
    for (int sig = 1; sig < NSIG; ++sig)
    {
        struct sigaction sa;
        if (::sigaction(sig, nullptr, &sa) != 0)
            continue;
        bool reset = sig == SIGPIPE || sig == SIGXFSZ;
        if ((sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != nullptr
                                        : (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN))
            reset = true;
        if (reset)
        {
            struct sigaction dfl = {};
            dfl.sa_handler = SIG_DFL;
            ::sigaction(sig, &dfl, nullptr);
        }
    }

    if (req.child_hook)
    {
        int e = req.child_hook(req.hook_ctx);
        if (e != 0)
        {
            a.step = (req.child_step && *req.child_step) ? *req.child_step : "exec setup";
            a.err = e;
            ::_exit(127);
        }
    }

    int lo = 3;
    for (std::size_t i = 0; i < req.keep_count; ++i)
    {
        int k = req.keep_fds[i];
        if (k < lo)
            continue;
        close_from(lo, k - 1, a.max_fd);
        lo = k + 1;
    }
    close_from(lo, INT_MAX, a.max_fd);

    ::sigprocmask(SIG_SETMASK, a.clean_mask, nullptr);
    ::execve(req.path, const_cast<char* const*>(req.argv), const_cast<char* const*>(req.envp));
    a.step = "execve";
    a.err = errno ? errno : ENOEXEC;
    ::_exit(127);
}

int open_fd_limit() noexcept
{
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX)
        return static_cast<int>(rl.rlim_cur);
    return 65536;
}

} // namespace

spawn_outcome spawn(const spawn_request& req) noexcept
{
    spawn_outcome out;
    thread_local child_stack stack;
    if (stack.base == MAP_FAILED)
    {
        out.ec = error_code(errno ? errno : ENOMEM, boost::system::system_category());
        out.step = "mmap child stack";
        return out;
    }

    sigset_t all, old, clean;
    ::sigfillset(&all);
    ::sigemptyset(&clean);
    child_args args{&req, &clean, open_fd_limit(), 0, nullptr};

    // Block every signal so that no handler of ours runs on the shared memory
    // in the child before it has reset the dispositions.
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    char* top = static_cast<char*>(stack.base) + stack_size;
    int pid = ::clone(&child_main, top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
    int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);

    if (pid < 0)
    {
        out.step = "clone";
        out.ec = clone_errno == EINVAL ? make_error_code(errc::pidfd_unavailable)
                                       : error_code(clone_errno, boost::system::system_category());
        return out;
    }
    if (args.err != 0)
    {
        // The child has exited already (CLONE_VFORK): reap it, leave no zombie.
        siginfo_t info;
        pidfd_wait(pidfd, info, WEXITED);
        ::close(pidfd);
        out.step = args.step;
        out.ec = error_code(args.err, boost::system::system_category());
        return out;
    }
    out.pid = pid;
    out.pidfd = pidfd;
    return out;
}

} // namespace detail
} // namespace processkit
} // namespace boost
