// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "common.hpp"

#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace pkb {

config& cfg()
{
    static config c;
    return c;
}

long rss_kib()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

std::vector<int> list_children()
{
    std::vector<int> out;
    DIR* d = ::opendir("/proc/self/task");
    if (!d)
        return out;
    while (dirent* e = ::readdir(d))
    {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/children");
        int pid;
        while (f >> pid)
            out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

int count_children() { return static_cast<int>(list_children().size()); }

void split_lines(const char* p, std::size_t n, line_stats& st)
{
    const char* end = p + n;
    while (p < end)
    {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl)
        {
            // a last line without '\n'
            ++st.lines;
            st.bytes += static_cast<std::uint64_t>(end - p);
            return;
        }
        ++st.lines;
        st.bytes += static_cast<std::uint64_t>(nl - p);
        p = nl + 1;
    }
}

void line_reader::commit(std::size_t n)
{
    used_ += n;
    const char* p = buf_;
    const char* end = buf_ + used_;
    while (p < end)
    {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl)
            break;
        ++stats.lines;
        stats.bytes += static_cast<std::uint64_t>(nl - p);
        p = nl + 1;
    }
    std::size_t tail = static_cast<std::size_t>(end - p);
    if (tail == capacity)
    {
        // one line longer than the buffer: count it as a line of its own
        ++stats.lines;
        stats.bytes += tail;
        tail = 0;
    }
    else if (tail && p != buf_)
        std::memmove(buf_, p, tail);
    used_ = tail;
}

void line_reader::finish()
{
    if (used_)
    {
        ++stats.lines;
        stats.bytes += used_;
        used_ = 0;
    }
}

} // namespace pkb
