// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The child side of every spawn. Between clone() and execve() only
// async-signal-safe system calls run: no allocation, no locks, no stdio.

#include <boost/processkit/detail/spawn.hpp>

#include "pidfd.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <csignal>
#include <string_view>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#  define CLONE_PIDFD 0x00001000
#endif

// clone3 (Linux 5.3; CLONE_CLEAR_SIGHAND 5.5, CLONE_INTO_CGROUP 5.7) needs a
// few lines of assembly: the child starts on its own stack inside the
// syscall, so it must not return through a C function's frame.
#if defined(__x86_64__) || defined(__aarch64__)
#  define BOOST_PROCESSKIT_HAS_CLONE3_TRAMPOLINE 1
#  ifndef SYS_clone3
#    define SYS_clone3 435
#  endif
extern "C" long boost_processkit_clone3(void* args, unsigned long size, int (*fn)(void*), void* arg);
#  if defined(__x86_64__)
// rdi = args, rsi = size, rdx = fn, rcx = arg. r8/r9 survive the syscall.
asm(".text\n"
    ".p2align 4\n"
    ".type boost_processkit_clone3,@function\n"
    ".hidden boost_processkit_clone3\n"
    "boost_processkit_clone3:\n"
    "  mov %rdx, %r8\n"
    "  mov %rcx, %r9\n"
    "  mov $435, %eax\n"
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jz 1f\n"
    "  ret\n"
    "1:\n"
    "  xor %ebp, %ebp\n"
    "  mov %r9, %rdi\n"
    "  call *%r8\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n" // exit: only this task (CLONE_VM shares the memory)
    "  syscall\n"
    "  hlt\n"
    ".size boost_processkit_clone3, .-boost_processkit_clone3\n");
#  else
// x0 = args, x1 = size, x2 = fn, x3 = arg. Every register but x0 survives svc.
asm(".text\n"
    ".p2align 4\n"
    ".type boost_processkit_clone3,%function\n"
    ".hidden boost_processkit_clone3\n"
    "boost_processkit_clone3:\n"
    "  mov x8, #435\n"
    "  svc #0\n"
    "  cbz x0, 1f\n"
    "  ret\n"
    "1:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, x3\n"
    "  blr x2\n"
    "  mov x8, #93\n" // exit
    "  svc #0\n"
    "  brk #0\n"
    ".size boost_processkit_clone3, .-boost_processkit_clone3\n");
#  endif
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
    child_stack()
    {
        base = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    }
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
    int max_fd;       // upper bound for the close() loop when close_range is missing
    volatile int err; // written by the child: 0 means execve succeeded
    const char* volatile step;
    bool handlers_cleared; // clone3 reset every handler already (CLONE_CLEAR_SIGHAND)
};

// The kernel's struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2).
struct clone3_args
{
    std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};
constexpr std::uint64_t clone_clear_sighand = 0x100000000ULL;
constexpr std::uint64_t clone_into_cgroup = 0x200000000ULL;

// Set once clone3 has proven unusable here (old kernel, seccomp filter).
std::atomic<bool> clone3_unusable{false};

void close_from(int lo, int hi_inclusive, int max_fd) noexcept
{
    if (lo > hi_inclusive)
        return;
    if (::syscall(SYS_close_range, static_cast<unsigned>(lo), static_cast<unsigned>(hi_inclusive), 0u) == 0)
        return;
    for (int fd = lo; fd <= hi_inclusive && fd < max_fd; ++fd)
        ::close(fd);
}

// The failed child ends here: a raw exit_group, not _exit(), and not marked
// noreturn. Before a noreturn call AddressSanitizer unpoisons "the stack" --
// of the thread it knows, which is not the child stack this code runs on --
// so every failed spawn printed a false-positive warning. (Should the call
// return, child_main returns the code and the trampoline exits with it.)
int child_exit(int code) noexcept
{
    ::syscall(SYS_exit_group, code);
    return code;
}

int child_main(void* p) noexcept
{
    auto& a = *static_cast<child_args*>(p);
    const spawn_request& req = *a.req;

    // Handlers installed by the parent must not run in the child; SIGPIPE and
    // SIGXFSZ go back to their defaults so pipelines behave as in a shell.
    for (int sig = 1; sig < NSIG; ++sig)
    {
        if (a.handlers_cleared && sig != SIGPIPE && sig != SIGXFSZ)
            continue; // handlers are SIG_DFL already; ignored signals stay ignored
        struct sigaction sa;
        if (::sigaction(sig, nullptr, &sa) != 0)
            continue;
        bool reset = (sig == SIGPIPE || sig == SIGXFSZ) && sa.sa_handler != SIG_DFL;
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
            return child_exit(127);
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
    return child_exit(127);
}

int open_fd_limit() noexcept
{
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX)
        return static_cast<int>(rl.rlim_cur);
    return 65536;
}

#ifdef BOOST_PROCESSKIT_HAS_CLONE3_TRAMPOLINE
// clone3: the child is born in its cgroup (no migration afterwards) with
// clean handlers. -1 when clone3 cannot do it (then clone() gives the
// definitive answer); an unusable clone3 is not tried again.
int try_clone3(const spawn_request& req, child_args& args, void* stack, int& pidfd) noexcept
{
    if (clone3_unusable.load(std::memory_order_relaxed))
        return -1;
    clone3_args ca{};
    ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | clone_clear_sighand;
    ca.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
    ca.exit_signal = SIGCHLD;
    ca.stack = reinterpret_cast<std::uintptr_t>(stack);
    ca.stack_size = stack_size;
    if (req.cgroup_fd >= 0)
    {
        ca.flags |= clone_into_cgroup;
        ca.cgroup = static_cast<std::uint64_t>(req.cgroup_fd);
    }
    args.handlers_cleared = true;
    if (req.born_in_cgroup)
        *req.born_in_cgroup = req.cgroup_fd >= 0;
    long r = boost_processkit_clone3(&ca, sizeof ca, &child_main, &args);
    if (r >= 0)
        return static_cast<int>(r);
    // Not available (ENOSYS, E2BIG, EINVAL: older kernel, filter) or refused
    // for this cgroup.
    if (r == -ENOSYS || r == -E2BIG || r == -EINVAL || r == -EPERM)
        clone3_unusable.store(true, std::memory_order_relaxed);
    args.handlers_cleared = false;
    if (req.born_in_cgroup)
        *req.born_in_cgroup = false;
    pidfd = -1;
    return -1;
}
#endif

// Clones the child with every signal blocked, so that no handler of ours
// runs on the shared memory in the child before it has reset the
// dispositions. Returns the pid, or -1 with `clone_errno`.
int clone_child(const spawn_request& req, child_args& args, void* stack, int& pidfd, int& clone_errno) noexcept
{
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    int pid = -1;
#ifdef BOOST_PROCESSKIT_HAS_CLONE3_TRAMPOLINE
    pid = try_clone3(req, args, stack, pidfd);
#else
    (void)req;
#endif
    if (pid < 0)
    {
        char* top = static_cast<char*>(stack) + stack_size;
        pid = ::clone(&child_main, top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
        clone_errno = errno;
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return pid;
}

} // namespace

error_code spawn_error_code(const spawn_outcome& out) noexcept
{
    const std::string_view step = out.step ? out.step : "";
    if (step == "chdir")
        return errc::bad_working_directory;
    if (step == "execve" && out.ec == error_code(ENOENT, boost::system::system_category()))
        return errc::program_not_found;
    return out.ec;
}

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
    sigset_t clean;
    ::sigemptyset(&clean);
    child_args args{&req, &clean, open_fd_limit(), 0, nullptr, false};
    int pidfd = -1, clone_errno = 0;
    int pid = clone_child(req, args, stack.base, pidfd, clone_errno);
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
