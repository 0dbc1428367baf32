// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_LINUX_CGROUP_HPP
#define BOOST_PROCESSKIT_SRC_LINUX_CGROUP_HPP

#include <boost/processkit/error.hpp>
#include <boost/processkit/mechanism.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// The cgroup v2 facts of this host: where the unified hierarchy is mounted
/// (pure v2 at /sys/fs/cgroup or hybrid at /sys/fs/cgroup/unified, found in
/// /proc/self/mountinfo), this process's own cgroup, and whether a private
/// sub-cgroup with cgroup.kill can be made below it.
struct cgroup_host
{
    bool mounted = false;
    std::string mount;
    std::string own;  ///< relative to the hierarchy root, e.g. "/" or "/user.slice/x.scope"
    std::string base; ///< absolute directory new groups are created in
    bool writable = false;
    bool kill = false;
    std::string reason;
    bool usable() const { return mounted && writable && kill; }
};

/// Probed once per process and cached.
const cgroup_host& host_cgroup();

/// A private cgroup: directory fd and an open cgroup.procs for children to join.
struct cgroup_dir
{
    std::string path;
    int dirfd = -1;
    int procs_fd = -1;
    int events_fd = -1; ///< cgroup.events, kept open: one pread tells `populated`
};

result<cgroup_dir> cgroup_create(const cgroup_host& host);
/// A new cgroup below `parent` (a group's own cgroup), for one run in it.
result<cgroup_dir> cgroup_create_below(const std::string& parent);
/// Like cgroup_create, but first takes an empty cgroup this process parked
/// earlier (cgroup_park). Creating and removing a cgroup per short run costs
/// more than the run's own cgroup work: the kernel destroys cgroups in the
/// background, and a mkdir right after an rmdir waits for that.
result<cgroup_dir> cgroup_take(const cgroup_host& host);
/// Parks an empty cgroup for reuse (bounded pool; removed at exit). The
/// caller guarantees nothing can tell it was used: never killed, never
/// frozen, no setting written, its path never handed out. False: the pool is
/// full or the cgroup is populated, and the caller removes it.
bool cgroup_park(cgroup_dir& dir) noexcept;
/// If populated: cgroup.kill, without waiting (`killed` says whether it was
/// written: an empty cgroup is left as it is).
error cgroup_kill(const cgroup_dir& dir, bool& killed) noexcept;
/// Whether the cgroup (or a sub-cgroup) has a live process (`populated 1`),
/// read with one pread from its open cgroup.events; false once it is gone.
bool cgroup_populated(const cgroup_dir& dir) noexcept;
/// The same from an open cgroup.events (a seq file: pread at 0 reads it anew).
bool cgroup_events_populated(int events_fd) noexcept;
/// Waits until `populated 0` without killing (bounded by `timeout`); true if empty.
bool cgroup_wait_empty(const cgroup_dir& dir, std::chrono::milliseconds timeout) noexcept;
/// rmdir (sub-cgroups first); closes the fds.
void cgroup_remove(cgroup_dir& dir) noexcept;
/// Pids of the cgroup and its sub-cgroups.
std::vector<int> cgroup_pids(int dirfd);
error cgroup_freeze(const cgroup_dir& dir, bool frozen) noexcept;
error cgroup_write(int dirfd, const char* file, const std::string& value) noexcept;

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_LINUX_CGROUP_HPP
