// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_SCRIPTED_CHILD_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_SCRIPTED_CHILD_HPP

// The fake backend: a child with no process behind it. Its stdout, stderr
// and stdin are real in-process pipes, its exit is scripted, its group is a
// group_backend that only answers for it. The capture op and the live
// process code drive it exactly as they drive a spawned child (the same
// pipe readers, exit watch, run machine and teardown), which lets unit tests
// run them without a process and lets a test double hand out a real
// running_process.

#include <boost/processkit/command.hpp>
#include <boost/processkit/signal.hpp>

#include "spawn.hpp"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// The child's side of a scripted child, and what was done to it.
/// Thread-safe: a test drives it from any thread.
class scripted_process
{
public:
    scripted_process(int pid, std::string program) : pid_(pid), program_(std::move(program)) {}
    scripted_process(const scripted_process&) = delete;
    scripted_process& operator=(const scripted_process&) = delete;

    int pid() const noexcept { return pid_; }
    const std::string& program() const noexcept { return program_; }

    /// Writes to the child's stdout (0) or stderr (1), blocking while the
    /// pipe is full. false when nobody reads it any more, or the stream is
    /// not a pipe (not captured) or was closed.
    bool write(int stream, std::string_view data);
    /// Closes the child's end of a stream: the parent sees EOF.
    void close_output(int stream);
    /// What the parent has written to the child's stdin so far and is there
    /// now (non-blocking); `eof` is set once the parent closed it.
    std::string read_stdin(bool& eof);

    /// The child exits with `code` / dies of `s`: its streams close, its exit
    /// watch fires. The first end wins; false if it had ended already.
    bool exit(int code);
    bool die(processkit::signal s);
    /// Signals the child ignores (it never ignores kill).
    void ignore(processkit::signal s);
    /// Every signal the group delivered to it, in order (kill included).
    std::vector<processkit::signal> signals() const;
    bool ended() const;

    // The group's side (src/posix/scripted_child.cpp).
    void deliver(processkit::signal s);
    void attach(std::shared_ptr<child_record> record, unique_fd out, unique_fd err, unique_fd in, bool merged);

private:
    bool end(exit_status st);
    void close_all_locked();

    const int pid_;
    const std::string program_;
    mutable std::mutex mu_;
    std::shared_ptr<child_record> record_;
    unique_fd out_[2];    ///< the child's stdout and stderr write ends
    unique_fd in_;        ///< the child's stdin read end (non-blocking)
    bool merged_ = false; ///< stderr goes to stdout's pipe
    std::set<processkit::signal> ignored_;
    std::vector<processkit::signal> signals_;
};

/// A started_child for `cmd` with no process: pipes as `cmd` asks for them
/// (a pipe for stdout/stderr in pipe mode, stderr merged into stdout, stdin
/// bytes or `interactive_stdin`), a scripted record and a scripted group.
/// Other stdio modes (inherit, files, null) give the child no such stream.
/// `control` is how the caller plays the child.
result<started_child> start_scripted(const command& cmd, bool interactive_stdin,
                                     std::shared_ptr<scripted_process>& control);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_SCRIPTED_CHILD_HPP
