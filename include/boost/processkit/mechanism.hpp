// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_MECHANISM_HPP
#define BOOST_PROCESSKIT_MECHANISM_HPP

#include <boost/processkit/config.hpp>

#include <iosfwd>
#include <string>

namespace boost {
namespace processkit {

/// The kernel object that contains a process group's tree.
enum class mechanism
{
    cgroup_v2,      ///< Linux cgroup v2: a private cgroup, killed with cgroup.kill
    process_group,  ///< POSIX process group (killpg); a child calling setsid() escapes it
    job_object,     ///< Windows Job Object
    process_reaper, ///< FreeBSD procctl(PROC_REAP_*)
    scripted,       ///< no process at all: a test double's scripted child (nothing to contain)
};

/// Which mechanism a group should use.
enum class mechanism_request
{
    automatic,     ///< the strongest the host offers (cgroup_v2, else process_group)
    cgroup_v2,     ///< cgroup v2 or an error; never a silent downgrade
    process_group, ///< force the POSIX process-group fallback
};

/// "cgroup_v2", "process_group", "job_object" or "process_reaper".
BOOST_PROCESSKIT_DECL const char* to_string(mechanism m) noexcept;
/// "automatic", "cgroup_v2" or "process_group".
BOOST_PROCESSKIT_DECL const char* to_string(mechanism_request m) noexcept;
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, mechanism m);
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, mechanism_request m);

/// What containment this host gives, found without spawning anything.
struct containment_report
{
    processkit::mechanism mechanism = processkit::mechanism::process_group;
    bool cgroup2_mounted = false; ///< a cgroup2 hierarchy is mounted
    std::string cgroup2_mount;    ///< where (e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified)
    std::string own_cgroup;       ///< this process's cgroup (the `0::` line of /proc/self/cgroup)
    bool writable = false;        ///< sub-cgroups can be created below own_cgroup
    bool cgroup_kill = false;     ///< cgroup.kill is available (Linux 5.14+)
    bool pidfd = false;           ///< pidfd exit watching works
    std::string reason;           ///< why this mechanism, in one sentence
};

/// Report the mechanism a default `process_group` would get here, and why.
/// Spawns nothing; reads /proc and the cgroup filesystem.
BOOST_PROCESSKIT_DECL containment_report host_containment();

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_MECHANISM_HPP
