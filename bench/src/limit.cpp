// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "limit.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#ifndef P_PIDFD
#  define P_PIDFD 3
#endif

namespace pkb {
namespace lim {
namespace {

[[noreturn]] void die(const char* what)
{
    throw std::runtime_error(std::string("limit: ") + what + ": " + std::strerror(errno));
}

struct child
{
    pid_t pid = -1;
    int pidfd = -1;
    int out = -1;
    int err = -1;
};

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// posix_spawn with stdin=/dev/null; stdout (and stderr unless `err_pipe` is
/// false: then /dev/null) on O_CLOEXEC pipes whose read ends we keep.
child spawn(const argv_t& args, bool err_pipe = true, bool new_pgroup = false)
{
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int o[2], e[2] = {-1, -1};
    if (::pipe2(o, O_CLOEXEC) != 0)
        die("pipe2");
    if (err_pipe && ::pipe2(e, O_CLOEXEC) != 0)
        die("pipe2");

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    if (err_pipe)
        posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    if (new_pgroup)
    {
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&at, 0);
    }
    child c;
    int rc = ::posix_spawn(&c.pid, argv[0], &fa, &at, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    ::close(o[1]);
    if (err_pipe)
        ::close(e[1]);
    if (rc != 0)
    {
        errno = rc;
        die("posix_spawn");
    }
    c.out = o[0];
    c.err = e[0];
    c.pidfd = pidfd_open(c.pid);
    if (c.pidfd < 0)
        die("pidfd_open");
    return c;
}

int reap(child& c)
{
    siginfo_t si{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(c.pidfd), &si, WEXITED) != 0)
        die("waitid");
    ::close(c.pidfd);
    c.pidfd = -1;
    return si.si_status;
}

/// One read() from `fd` into `out`; false at EOF (the caller closes).
bool pump(int fd, std::string* out)
{
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0)
    {
        if (out)
            out->append(buf, static_cast<std::size_t>(n));
        return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    return false;
}

} // namespace

std::string run_capture(const argv_t& argv)
{
    child c = spawn(argv);
    std::string out, err;
    pollfd fds[3] = {{c.out, POLLIN, 0}, {c.err, POLLIN, 0}, {c.pidfd, POLLIN, 0}};
    int open = 3;
    while (open > 0)
    {
        if (::poll(fds, 3, -1) < 0)
        {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (fds[0].revents && !pump(c.out, &out))
            ::close(c.out), fds[0].fd = -1, --open;
        if (fds[1].revents && !pump(c.err, &err))
            ::close(c.err), fds[1].fd = -1, --open;
        if (fds[2].revents)
        {
            reap(c);
            fds[2].fd = -1, --open;
        }
    }
    return out;
}

void fanout(const argv_t& argv, int total, int inflight)
{
    struct slot
    {
        child c;
        int open = 0;
        std::string out, err;
    };
    std::vector<slot> slots(static_cast<std::size_t>(inflight));
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    int started = 0, done = 0;
    auto add = [&](int fd, std::size_t s, int kind) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = (static_cast<std::uint64_t>(s) << 2) | static_cast<std::uint64_t>(kind);
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
    };
    auto start = [&](std::size_t s) {
        slot& sl = slots[s];
        sl.c = spawn(argv);
        sl.out.clear();
        sl.err.clear();
        sl.open = 3;
        add(sl.c.out, s, 0);
        add(sl.c.err, s, 1);
        add(sl.c.pidfd, s, 2);
        ++started;
    };
    for (std::size_t s = 0; s < slots.size() && started < total; ++s)
        start(s);
    epoll_event evs[64];
    while (done < total)
    {
        int n = ::epoll_wait(ep, evs, 64, -1);
        if (n < 0)
        {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i)
        {
            std::size_t s = evs[i].data.u64 >> 2;
            int kind = static_cast<int>(evs[i].data.u64 & 3);
            slot& sl = slots[s];
            bool closed = false;
            if (kind == 2)
            {
                ::epoll_ctl(ep, EPOLL_CTL_DEL, sl.c.pidfd, nullptr);
                reap(sl.c);
                closed = true;
            }
            else
            {
                int fd = kind == 0 ? sl.c.out : sl.c.err;
                if (!pump(fd, kind == 0 ? &sl.out : &sl.err))
                {
                    ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
                    ::close(fd);
                    closed = true;
                }
            }
            if (closed && --sl.open == 0)
            {
                ++done;
                if (started < total)
                    start(s);
            }
        }
    }
    ::close(ep);
}

std::string chain_capture(const std::vector<argv_t>& stages)
{
    const std::size_t n = stages.size();
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0)
        die("pipe2");
    std::vector<pid_t> pids;
    int in = -1, last_out = -1;
    for (std::size_t i = 0; i < n; ++i)
    {
        int o[2];
        if (::pipe2(o, O_CLOEXEC) != 0)
            die("pipe2");
        std::vector<char*> argv;
        for (auto& a : stages[i])
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (in < 0)
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        else
            posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, o[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        pid_t pid = -1;
        int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        // Only the children hold the ends between stages.
        if (in >= 0)
            ::close(in);
        ::close(o[1]);
        if (rc != 0)
        {
            errno = rc;
            die("posix_spawn");
        }
        pids.push_back(pid);
        if (i + 1 < n)
            in = o[0];
        else
            last_out = o[0];
    }
    ::close(err[1]);
    std::string out, errs;
    pollfd fds[2] = {{last_out, POLLIN, 0}, {err[0], POLLIN, 0}};
    int open = 2;
    while (open > 0)
    {
        if (::poll(fds, 2, -1) < 0)
        {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (fds[0].revents && !pump(last_out, &out))
            ::close(last_out), fds[0].fd = -1, --open;
        if (fds[1].revents && !pump(err[0], &errs))
            ::close(err[0]), fds[1].fd = -1, --open;
    }
    for (pid_t pid : pids)
    {
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            throw std::runtime_error("limit chain_capture: a stage failed: " + errs);
    }
    return out;
}

std::size_t capture_big(const argv_t& argv)
{
    child c = spawn(argv, /*err_pipe=*/false);
    std::size_t cap = 1 << 16, len = 0;
    char* buf = static_cast<char*>(std::malloc(cap));
    for (;;)
    {
        if (cap - len < 65536)
        {
            cap *= 2;
            buf = static_cast<char*>(std::realloc(buf, cap));
            if (!buf)
                die("realloc");
        }
        ssize_t n = ::read(c.out, buf + len, cap - len);
        if (n > 0)
            len += static_cast<std::size_t>(n);
        else if (n == 0)
            break;
        else if (errno != EINTR)
            die("read");
    }
    ::close(c.out);
    reap(c);
    std::free(buf);
    return len;
}

std::size_t read_discard(const argv_t& argv)
{
    child c = spawn(argv, false);
    static char buf[1 << 20];
    std::size_t len = 0;
    for (;;)
    {
        ssize_t n = ::read(c.out, buf, sizeof buf);
        if (n > 0)
            len += static_cast<std::size_t>(n);
        else if (n == 0)
            break;
        else if (errno != EINTR)
            die("read");
    }
    ::close(c.out);
    reap(c);
    return len;
}

std::size_t splice_null(const argv_t& argv)
{
    child c = spawn(argv, false);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    std::size_t len = 0;
    for (;;)
    {
        ssize_t n = ::splice(c.out, nullptr, null, nullptr, 1 << 20, SPLICE_F_MOVE);
        if (n > 0)
            len += static_cast<std::size_t>(n);
        else if (n == 0)
            break;
        else if (errno != EINTR)
            die("splice");
    }
    ::close(null);
    ::close(c.out);
    reap(c);
    return len;
}

line_stats stream_lines(const argv_t& argv)
{
    child c = spawn(argv, false);
    line_reader lr;
    for (;;)
    {
        ssize_t n = ::read(c.out, lr.space(), lr.room());
        if (n > 0)
            lr.commit(static_cast<std::size_t>(n));
        else if (n == 0)
            break;
        else if (errno != EINTR)
            die("read");
    }
    lr.finish();
    ::close(c.out);
    reap(c);
    return lr.stats;
}

double teardown_ms(const argv_t& tree_argv, int expected)
{
    child c = spawn(tree_argv, false, /*new_pgroup=*/true);
    std::string got;
    while (got.find("ready\n") == std::string::npos)
        if (!pump(c.out, &got))
            throw std::runtime_error("limit: tree exited before ready");
    // the tree's children exist once "ready" is printed
    std::int64_t t0 = now_ns();
    if (::kill(-c.pid, SIGKILL) != 0)
        die("killpg");
    int reaped = 0;
    while (reaped < expected)
    {
        int st;
        pid_t r = ::waitpid(-1, &st, __WALL);
        if (r > 0)
            ++reaped;
        else if (errno == ECHILD)
            break;
        else if (errno != EINTR)
            die("waitpid");
    }
    double ms = static_cast<double>(now_ns() - t0) * 1e-6;
    ::close(c.out);
    ::close(c.pidfd); // the leader was reaped by waitpid(-1)
    if (reaped != expected)
        throw std::runtime_error("limit: reaped " + std::to_string(reaped) + " of " + std::to_string(expected));
    return ms;
}

idle_result idle_exitlat(const argv_t& idle, int k, const argv_t& stamp, int m)
{
    idle_result res;
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    auto add = [&](int fd, std::uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
    };
    long rss0 = rss_kib();
    std::vector<child> idles;
    idles.reserve(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i)
    {
        idles.push_back(spawn(idle));
        auto& c = idles.back();
        std::uint64_t tag = static_cast<std::uint64_t>(i + 1) << 2;
        add(c.out, tag | 0);
        add(c.err, tag | 1);
        add(c.pidfd, tag | 2);
    }
    long rss1 = rss_kib();
    res.rss_kib_per_child = k ? static_cast<double>(rss1 - rss0) / k : 0.0;

    epoll_event evs[64];
    for (int j = 0; j < m; ++j)
    {
        child c = spawn(stamp);
        add(c.out, 0);
        add(c.err, 1);
        add(c.pidfd, 2);
        std::string out;
        int open = 3;
        std::int64_t t_done = 0;
        while (open > 0)
        {
            int n = ::epoll_wait(ep, evs, 64, -1);
            if (n < 0)
            {
                if (errno == EINTR)
                    continue;
                die("epoll_wait");
            }
            for (int i = 0; i < n; ++i)
            {
                std::uint64_t tag = evs[i].data.u64;
                if ((tag >> 2) != 0)
                    throw std::runtime_error("limit: an idle child woke up");
                int kind = static_cast<int>(tag & 3);
                if (kind == 2)
                {
                    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.pidfd, nullptr);
                    reap(c);
                    --open;
                }
                else
                {
                    int fd = kind == 0 ? c.out : c.err;
                    if (!pump(fd, kind == 0 ? &out : nullptr))
                    {
                        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
                        ::close(fd);
                        --open;
                    }
                }
            }
            t_done = now_ns();
        }
        res.latency_us.push_back(static_cast<double>(t_done - parse_stamp(out)) * 1e-3);
    }

    std::int64_t t0 = now_ns();
    for (auto& c : idles)
        ::kill(c.pid, SIGKILL);
    for (auto& c : idles)
    {
        reap(c);
        ::close(c.out);
        ::close(c.err);
    }
    res.teardown_ms = static_cast<double>(now_ns() - t0) * 1e-6;
    ::close(ep);
    return res;
}

} // namespace lim
} // namespace pkb
