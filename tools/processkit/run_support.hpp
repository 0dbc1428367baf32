// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// What `processkit run` (run.cpp) and `processkit supervise` (supervise.cpp)
// share: the signals they forward and the signalfd they read them from, how
// a failure to start is described and which exit status it gets, and the
// reaping of orphaned zombies. Defined in run.cpp, but for signal_source.

#ifndef BOOST_PROCESSKIT_TOOL_RUN_SUPPORT_HPP
#define BOOST_PROCESSKIT_TOOL_RUN_SUPPORT_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/processkit/error.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>
#include <utility>

namespace boost {
namespace processkit {
namespace tool {

/// The signals processkit sends on to the tree it runs.
inline constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

inline bool ignored_at_start(int sig)
{
    struct sigaction sa;
    return ::sigaction(sig, nullptr, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN;
}

/// The forwarded signals, from construction on: blocked in the calling thread
/// (and so in every thread it starts later) and read from a signalfd.
///
/// A SIGHUP ignored by whoever started processkit (nohup) stays ignored, for
/// processkit and the program. The others are received whatever their
/// disposition was, like timeout(1) does (a shell starts background jobs with
/// SIGINT and SIGQUIT ignored): an ignored signal is discarded even while
/// blocked, so they go back to the default action, which blocking keeps from
/// ever running.
class signal_source
{
public:
    explicit signal_source(asio::io_context& ctx) : fd_(ctx)
    {
        sigset_t set;
        ::sigemptyset(&set);
        for (int sig : forwarded_signals)
            if (sig != SIGHUP || !ignored_at_start(SIGHUP))
                ::sigaddset(&set, sig);
        ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
        struct sigaction dfl = {};
        dfl.sa_handler = SIG_DFL;
        for (int sig : forwarded_signals)
            if (::sigismember(&set, sig))
                ::sigaction(sig, &dfl, nullptr);
        const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
            throw boost::system::system_error(errno, boost::system::system_category(), "signalfd");
        fd_.assign(fd);
    }

    /// Calls `handler(info)` for the next signal; nothing once cancelled.
    template <class Handler>
    void async_next(Handler handler)
    {
        fd_.async_wait(asio::posix::descriptor_base::wait_read, [this, handler](error_code ec) mutable {
            if (ec)
                return;
            signalfd_siginfo info;
            const ssize_t n = ::read(fd_.native_handle(), &info, sizeof info);
            if (n != static_cast<ssize_t>(sizeof info))
                return async_next(std::move(handler)); // EAGAIN, EINTR: wait again
            handler(info);
        });
    }

    void cancel() { fd_.cancel(); }

private:
    asio::posix::stream_descriptor fd_;
};

/// What went wrong when the program did not start, naming the program but
/// none of its arguments, its environment or its working directory.
std::string describe_start_failure(const error& e);

/// timeout(1)'s status for a program that did not start: 127 not found, 126
/// found but not executable, 125 for anything else.
int start_failure_status(const error& e);

/// Reaps the zombies among processkit's children other than `direct`: members
/// of a tree orphaned and reparented to processkit (a subreaper, or PID 1 in
/// a container) that have exited. Only where `direct` is processkit's only
/// child the library waits for.
void reap_orphan_zombies(int direct);

/// How often orphaned zombies are looked for while a run goes on.
inline constexpr std::chrono::seconds orphan_reap_interval{1};

} // namespace tool
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_TOOL_RUN_SUPPORT_HPP
