// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_LINUX_PROCFS_HPP
#define BOOST_PROCESSKIT_SRC_LINUX_PROCFS_HPP

#include <boost/processkit/process_group.hpp>

#include <optional>
#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// Whole contents of a (small) file, or nullopt.
std::optional<std::string> read_file(const std::string& path);
/// Same, relative to a directory fd.
std::optional<std::string> read_file_at(int dirfd, const char* name);

/// Parsed /proc/<pid>/stat; nullopt if the process is gone. Zombies report state 'Z'.
struct proc_stat
{
    member_info info;
    char state = '?';
    int pgid = 0;
    int sid = 0;
};
std::optional<proc_stat> read_proc_stat(int pid);

/// Every pid in /proc.
std::vector<int> all_pids();
/// Direct children of `pid` (all threads), from /proc/<pid>/task/*/children.
std::vector<int> children_of(int pid);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_LINUX_PROCFS_HPP
