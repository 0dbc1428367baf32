// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The file-system questions of planning a command, answered the POSIX way.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_POSIX

#  include "../backend/host_fs.hpp"

#  include <cerrno>
#  include <cstring>
#  include <sys/stat.h>
#  include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {

result<std::string> find_program(const std::string& name, const std::string& path_list)
{
    std::string searched;
    std::size_t begin = 0;
    for (;;)
    {
        auto end = path_list.find(':', begin);
        std::string dir = path_list.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
        if (dir.empty())
            dir = "."; // POSIX: an empty PATH entry is the current directory
        std::string candidate = dir + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (!searched.empty())
            searched += ':';
        searched += dir;
        if (end == std::string::npos)
            break;
        begin = end + 1;
    }
    diagnostics d;
    d.program = name;
    d.step = "PATH lookup";
    d.detail = "searched " + searched;
    return error(errc::program_not_found, std::move(d));
}

bool names_a_path(const std::string& program) noexcept { return program.find('/') != std::string::npos; }

const char* default_search_path() noexcept { return "/usr/local/bin:/usr/bin:/bin"; }

std::optional<std::string> directory_problem(const std::string& dir)
{
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
        return std::string(std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return std::string("not a directory");
    return std::nullopt;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_POSIX
