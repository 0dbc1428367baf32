// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_HOST_FS_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_HOST_FS_HPP

// What planning a command asks of the file system, per OS (POSIX:
// src/posix/find_program.cpp; Windows adds PATHEXT).

#include <boost/processkit/error.hpp>

#include <optional>
#include <string>

namespace boost {
namespace processkit {
namespace detail {

/// PATH search: the first executable regular file named `name` in the
/// `path_list` (the OS's separator); on failure the error's detail lists the
/// directories searched.
result<std::string> find_program(const std::string& name, const std::string& path_list);
/// Whether `program` names a file by path (then PATH is not searched).
bool names_a_path(const std::string& program) noexcept;
/// The search path when neither the command nor this process sets PATH.
const char* default_search_path() noexcept;
/// Why `dir` cannot be a working directory ("not a directory", the OS's
/// reason), or nullopt when it can.
std::optional<std::string> directory_problem(const std::string& dir);

/// A TCP connection to 127.0.0.1:`port` succeeds now (a readiness probe).
bool loopback_port_accepts(unsigned short port) noexcept;
/// `path` exists now (a readiness probe; follows symlinks).
bool path_exists(const std::string& path) noexcept;

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_HOST_FS_HPP
