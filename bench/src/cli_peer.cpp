// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "cli_peer.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pkb {
namespace cli {
namespace {

[[noreturn]] void die(const char* what)
{
    throw std::runtime_error(std::string("cli peer: ") + what + ": " + std::strerror(errno));
}

} // namespace

std::string feed_capture(const argv_t& args, const std::string& input)
{
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
        die("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0)
    {
        ::close(in[1]), ::close(out[0]), ::close(err[0]);
        errno = rc;
        die("posix_spawnp");
    }
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    std::string o, e;
    std::size_t written = 0;
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    if (input.empty())
        ::close(in[1]), fds[2].fd = -1;
    int open = fds[2].fd >= 0 ? 3 : 2;
    char buf[65536];
    while (open > 0)
    {
        if (::poll(fds, 3, -1) < 0)
        {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (int i = 0; i < 2; ++i)
            if (fds[i].revents)
            {
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n > 0)
                    (i == 0 ? o : e).append(buf, static_cast<std::size_t>(n));
                else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                    ::close(fds[i].fd), fds[i].fd = -1, --open;
            }
        if (fds[2].revents)
        {
            ssize_t n = ::write(in[1], input.data() + written, input.size() - written);
            if (n > 0)
                written += static_cast<std::size_t>(n);
            if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size())
                ::close(in[1]), fds[2].fd = -1, --open;
        }
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        throw std::runtime_error(args[0] + " failed (status " + std::to_string(st) + "): " + e.substr(0, 300));
    return o;
}

} // namespace cli
} // namespace pkb
