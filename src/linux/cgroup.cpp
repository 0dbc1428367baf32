// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "cgroup.hpp"
#include "procfs.hpp"
#include "../core/diagnostics.hpp"

#include "../posix/unique_fd.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;

// The cgroup2 mount (its mount point and the root it shows), preferring the
// conventional places: pure v2, then the hybrid layout.
bool find_cgroup2_mount(cgroup_host& h, std::string& mount_root)
{
    auto mountinfo = read_file("/proc/self/mountinfo");
    if (!mountinfo)
        return false;
    std::istringstream in(*mountinfo);
    std::string line;
    while (std::getline(in, line))
    {
        auto dash = line.find(" - ");
        if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0)
            continue;
        std::istringstream f(line.substr(0, dash));
        std::string id, parent, devno, root, point;
        f >> id >> parent >> devno >> root >> point;
        bool better = !h.mounted || point == "/sys/fs/cgroup" ||
                      (point == "/sys/fs/cgroup/unified" && h.mount != "/sys/fs/cgroup");
        if (better)
        {
            h.mounted = true;
            h.mount = point;
            mount_root = root;
        }
    }
    return h.mounted;
}

// This process's cgroup v2 path (the `0::` line of /proc/self/cgroup).
std::string own_cgroup()
{
    std::string own;
    if (auto self = read_file("/proc/self/cgroup"))
    {
        std::istringstream in(*self);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("0::", 0) == 0)
                own = line.substr(3);
    }
    return own;
}

// Whether sub-cgroups can be made below h.base and killed with cgroup.kill.
void check_delegation(cgroup_host& h)
{
    h.kill = ::access((h.base + "/cgroup.kill").c_str(), F_OK) == 0 ||
             ::access((h.mount + "/cgroup.kill").c_str(), F_OK) == 0;
    h.writable = ::access(h.base.c_str(), W_OK) == 0 && ::access((h.base + "/cgroup.procs").c_str(), W_OK) == 0;
    if (!h.writable)
    {
        h.reason = "own cgroup " + h.base + " is not writable (no delegation)";
        return;
    }
    if (h.kill)
        return;
    // cgroup.kill only shows in non-root cgroups; probe one to be sure.
    std::string probe_dir = h.base + "/processkit-probe-" + std::to_string(::getpid());
    if (::mkdir(probe_dir.c_str(), 0755) == 0)
    {
        h.kill = ::access((probe_dir + "/cgroup.kill").c_str(), F_OK) == 0;
        ::rmdir(probe_dir.c_str());
    }
    else
        h.writable = false;
    if (!h.writable)
        h.reason = "cannot create a sub-cgroup below " + h.base;
    else if (!h.kill)
        h.reason = "cgroup.kill is missing (kernel older than 5.14)";
}

// Finds the cgroup2 mount and this process's place in it.
cgroup_host probe()
{
    cgroup_host h;
    std::string mount_root;
    if (!find_cgroup2_mount(h, mount_root))
    {
        h.reason = "no cgroup2 filesystem is mounted";
        return h;
    }
    h.own = own_cgroup();
    if (h.own.empty())
    {
        h.reason = "/proc/self/cgroup has no cgroup v2 (0::) entry";
        return h;
    }
    std::string rel = h.own;
    if (mount_root != "/" && rel.rfind(mount_root, 0) == 0)
        rel = rel.substr(mount_root.size());
    h.base = h.mount + (rel == "/" ? std::string() : rel);
    check_delegation(h);
    if (h.usable())
        h.reason = "cgroup2 at " + h.mount + ", own cgroup " + h.own + " is writable, cgroup.kill present";
    return h;
}

} // namespace

namespace {

// cgroup.events read anew (a seq file: pread at 0 regenerates it) into `buf`;
// false when it cannot be read (the cgroup is gone).
bool read_events(int events_fd, char (&buf)[256]) noexcept
{
    ssize_t n;
    do
        n = ::pread(events_fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

// Waits up to `ms` for cgroup.events to change (it raises POLLPRI on every
// change after the last read of this descriptor).
void wait_events(int events_fd, long long ms) noexcept
{
    pollfd p{events_fd, POLLPRI, 0};
    ::poll(&p, 1, static_cast<int>(ms));
}

} // namespace

bool cgroup_populated(const cgroup_dir& dir) noexcept { return cgroup_events_populated(dir.events_fd); }

bool cgroup_events_populated(int events_fd) noexcept
{
    char buf[256];
    if (events_fd < 0 || !read_events(events_fd, buf))
        return false; // gone: nothing can live in it
    return std::strstr(buf, "populated 1") != nullptr;
}

namespace {

// The sub-cgroups (directories) of a cgroup directory.
std::vector<std::string> sub_cgroups(const std::string& path)
{
    std::vector<std::string> subs;
    if (DIR* d = ::opendir(path.c_str()))
    {
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                subs.push_back(path + "/" + e->d_name);
        ::closedir(d);
    }
    return subs;
}

void rmdir_tree(const std::string& path)
{
    for (auto& s : sub_cgroups(path))
        rmdir_tree(s);
    for (int attempt = 0; attempt < 200; ++attempt)
    {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT)
            return;
        if (errno != EBUSY)
            return;
        ::usleep(1000); // the kernel finishes releasing exited tasks
    }
}

void collect_pids(const std::string& path, std::vector<int>& out)
{
    if (auto text = read_file(path + "/cgroup.procs"))
    {
        std::istringstream in(*text);
        int pid;
        while (in >> pid)
            out.push_back(pid);
    }
    for (auto& s : sub_cgroups(path))
        collect_pids(s, out);
}

std::string fd_path(int dirfd)
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    char buf[4096];
    ssize_t n = ::readlink(link, buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Removes `path` and the cgroups below it (a group_runner's run-N), if all
// are empty: one try each, no wait (EBUSY while populated: then it is not
// ours to judge).
void remove_if_empty(const std::string& path)
{
    for (auto& s : sub_cgroups(path))
        remove_if_empty(s);
    ::rmdir(path.c_str());
}

// Empty cgroups left in `base` by processkit owners that died without
// tearing down (a SIGKILLed owner): removed when this process first looks.
void remove_stale(const std::string& base)
{
    DIR* d = ::opendir(base.c_str());
    if (!d)
        return;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d))
    {
        int pid = 0;
        if (e->d_type != DT_DIR || std::sscanf(e->d_name, "processkit-%d-", &pid) != 1 || pid <= 0)
            continue;
        if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
            stale.push_back(base + "/" + e->d_name);
    }
    ::closedir(d);
    for (auto& path : stale)
        remove_if_empty(path);
}

// Parked empty cgroups of this process, removed at exit.
std::atomic<bool> pool_destroyed{false}; // trivially destructible: safe to read late in exit

// A process forked from the owner (without exec) inherits the pool but must
// neither hand out nor remove the owner's cgroups: only `owner` uses it.
struct cgroup_pool
{
    static constexpr std::size_t capacity = 32;
    std::mutex mu;
    std::vector<cgroup_dir> dirs;
    const pid_t owner = ::getpid();
    bool mine() const noexcept { return ::getpid() == owner; }
    ~cgroup_pool()
    {
        pool_destroyed = true;
        for (auto& d : dirs)
        {
            if (!mine())
                d.path.clear(); // close the inherited fds only
            cgroup_remove(d);
        }
    }
};

cgroup_pool& pool()
{
    static cgroup_pool p;
    return p;
}

} // namespace

const cgroup_host& host_cgroup()
{
    static const cgroup_host h = [] {
        cgroup_host probed = probe();
        if (probed.usable())
            remove_stale(probed.base);
        return probed;
    }();
    return h;
}

result<cgroup_dir> cgroup_take(const cgroup_host& host)
{
    if (!pool_destroyed)
    {
        auto& p = pool();
        std::lock_guard<std::mutex> lk(p.mu);
        if (!p.dirs.empty() && p.mine())
        {
            cgroup_dir d = std::move(p.dirs.back());
            p.dirs.pop_back();
            return d;
        }
    }
    return cgroup_create(host);
}

bool cgroup_park(cgroup_dir& dir) noexcept
{
    try
    {
        if (pool_destroyed || dir.dirfd < 0 || cgroup_populated(dir))
            return false;
        auto& p = pool();
        std::lock_guard<std::mutex> lk(p.mu);
        if (p.dirs.size() >= cgroup_pool::capacity || !p.mine())
            return false;
        p.dirs.push_back(std::move(dir));
        dir = cgroup_dir{};
        return true;
    }
    catch (...)
    {
        return false;
    }
}

namespace {

// mkdir `prefix` + a number not taken yet, then open what a group keeps.
result<cgroup_dir> create_numbered(const std::string& prefix)
{
    static std::atomic<unsigned> counter{0};
    cgroup_dir dir;
    for (int attempt = 0;; ++attempt)
    {
        dir.path = prefix + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
        if (::mkdir(dir.path.c_str(), 0755) == 0)
            break;
        if (errno != EEXIST || attempt > 100)
            return sys_error(errno, {}, "mkdir cgroup", dir.path);
    }
    dir.dirfd = above_stdio(::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.dirfd >= 0)
        dir.procs_fd = above_stdio(::openat(dir.dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC));
    if (dir.procs_fd >= 0)
        dir.events_fd = above_stdio(::openat(dir.dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC));
    if (dir.dirfd < 0 || dir.procs_fd < 0 || dir.events_fd < 0)
    {
        int e = errno;
        cgroup_remove(dir);
        return sys_error(e, {}, "open cgroup", dir.path);
    }
    return dir;
}

} // namespace

result<cgroup_dir> cgroup_create(const cgroup_host& host)
{
    return create_numbered(host.base + "/processkit-" + std::to_string(::getpid()) + "-");
}

result<cgroup_dir> cgroup_create_below(const std::string& parent) { return create_numbered(parent + "/run-"); }

error cgroup_write(int dirfd, const char* file, const std::string& value) noexcept
{
    int fd = ::openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sys_error(errno, {}, file);
    ssize_t n = ::write(fd, value.data(), value.size());
    int e = errno;
    ::close(fd);
    if (n < 0)
        return sys_error(e, {}, file);
    return {};
}

bool cgroup_wait_empty(const cgroup_dir& dir, std::chrono::milliseconds timeout) noexcept
{
    auto deadline = clock::now() + timeout;
    for (;;)
    {
        if (!cgroup_populated(dir))
            return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0)
            return false;
        wait_events(dir.events_fd, std::min<long long>(left, 50)); // re-checked at least every 50 ms
    }
}

error cgroup_kill(const cgroup_dir& dir, bool& killed) noexcept
{
    killed = false;
    if (!cgroup_populated(dir))
        return {};
    killed = true; // even if the write fails half-way: never reuse this cgroup
    return cgroup_write(dir.dirfd, "cgroup.kill", "1");
}

void cgroup_remove(cgroup_dir& dir) noexcept
{
    for (int fd : {dir.events_fd, dir.procs_fd, dir.dirfd})
        if (fd >= 0)
            ::close(fd);
    dir.events_fd = dir.procs_fd = dir.dirfd = -1;
    if (!dir.path.empty())
    {
        try
        {
            rmdir_tree(dir.path);
        }
        catch (...)
        {
        }
    }
}

std::vector<int> cgroup_pids(int dirfd)
{
    std::vector<int> out;
    collect_pids(fd_path(dirfd), out);
    return out;
}

error cgroup_freeze(const cgroup_dir& dir, bool frozen) noexcept
{
    if (auto e = cgroup_write(dir.dirfd, "cgroup.freeze", frozen ? "1" : "0"))
        return e;
    // Wait (bounded) until the kernel reports the new state.
    auto deadline = clock::now() + std::chrono::seconds(5);
    const char* want = frozen ? "frozen 1" : "frozen 0";
    char buf[256];
    while (clock::now() < deadline)
    {
        if (!read_events(dir.events_fd, buf) || std::strstr(buf, want))
            break;
        wait_events(dir.events_fd, 50);
    }
    return {};
}

} // namespace detail
} // namespace processkit
} // namespace boost
