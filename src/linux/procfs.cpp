// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "procfs.hpp"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace boost {
namespace processkit {
namespace detail {
namespace {

std::optional<std::string> read_fd(int fd)
{
    std::string out;
    char buf[4096];
    for (;;)
    {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
        {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::vector<int> numeric_entries(const std::string& dir)
{
    std::vector<int> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return out;
    while (dirent* e = ::readdir(d))
    {
        char* end = nullptr;
        long v = std::strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && v > 0)
            out.push_back(static_cast<int>(v));
    }
    ::closedir(d);
    return out;
}

} // namespace

std::optional<std::string> read_file(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    return read_fd(fd);
}

std::optional<std::string> read_file_at(int dirfd, const char* name)
{
    int fd = ::openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    return read_fd(fd);
}

std::optional<proc_stat> read_proc_stat(int pid)
{
    auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text)
        return std::nullopt;
    // "pid (comm) S ppid pgrp session ..." -- comm may contain spaces and ')'.
    auto open = text->find('(');
    auto close = text->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= text->size())
        return std::nullopt;
    proc_stat st;
    st.info.pid = pid;
    st.info.name = text->substr(open + 1, close - open - 1);
    const char* p = text->c_str() + close + 2;
    st.state = *p;
    std::vector<unsigned long long> fields; // fields 4.. (ppid onwards)
    char* end = nullptr;
    p += 1;
    while (*p)
    {
        unsigned long long v = std::strtoull(p, &end, 10);
        if (end == p)
        {
            // negative numbers (e.g. tty_nr -1 never, but priority may be): skip token
            while (*p && *p != ' ')
                ++p;
            fields.push_back(0);
        }
        else
        {
            fields.push_back(v);
            p = end;
        }
        while (*p == ' ')
            ++p;
        if (fields.size() >= 19)
            break;
    }
    if (fields.size() < 19)
        return std::nullopt;
    st.info.ppid = static_cast<int>(fields[0]);
    st.pgid = static_cast<int>(fields[1]);
    st.sid = static_cast<int>(fields[2]);
    st.info.start_time = fields[18]; // field 22: starttime
    return st;
}

std::vector<int> all_pids() { return numeric_entries("/proc"); }

std::vector<int> children_of(int pid)
{
    std::vector<int> out;
    std::string task = "/proc/" + std::to_string(pid) + "/task";
    for (int tid : numeric_entries(task))
    {
        auto text = read_file(task + "/" + std::to_string(tid) + "/children");
        if (!text)
            continue;
        const char* p = text->c_str();
        char* end = nullptr;
        for (;;)
        {
            long v = std::strtol(p, &end, 10);
            if (end == p)
                break;
            out.push_back(static_cast<int>(v));
            p = end;
        }
    }
    return out;
}

} // namespace detail
} // namespace processkit
} // namespace boost
