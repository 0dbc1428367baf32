// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_SPAWN_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_SPAWN_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_result.hpp>

#include "../backend/child_record.hpp"
#include "../backend/group_backend.hpp"
#include "../core/diagnostics.hpp"
#include "../posix/unique_fd.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// A command started in its own private group, with the parent's ends of
/// the pipes the command asked for (non-blocking).
struct started_child
{
    process_group group;
    std::shared_ptr<child_record> record;
    unique_fd stdin_w;  ///< write end of the child's stdin (stdin bytes, or interactive)
    unique_fd stdout_r; ///< read end of the child's stdout (stdio_mode::pipe)
    unique_fd stderr_r; ///< read end of the child's stderr (stdio_mode::pipe)
    /// A pipeline stage after the first: the read end of the pipe it reads
    /// from, kept (never read) to ask whether the stage before still writes
    /// (pipe_has_writer) when this one ends; closed then.
    unique_fd upstream_r;
};

/// Validates and resolves `cmd`, opens its stdio, creates a private group
/// and launches the child into it. With `interactive_stdin`, a default
/// (null) stdin becomes a pipe the caller can write to. On failure nothing is
/// left behind and the error carries the diagnostics.
/// `parent`: the group a group_runner joins (the child's private group is
/// then a subgroup of it); null for a group of its own.
result<started_child> spawn_run(const command& cmd, const process_group_options& opts,
                                const std::shared_ptr<group_backend>& parent, bool interactive_stdin);

/// The children of one run: one command's (its own group is the run's), or
/// a pipeline's stages, each in its own subgroup of the chain's group
/// (`stdin_w` only on the first, `stdout_r` only on the last).
struct started_run
{
    std::optional<process_group> chain; ///< a pipeline's group; unset for one command
    std::vector<started_child> stages;
};

/// Checks and resolves every stage (nothing runs unless all can start),
/// creates the chain's group (a subgroup of `parent` when not null, else a
/// private one) and spawns the stages connected by pipes. On failure
/// nothing is left behind; the error's diagnostics name the stage.
result<started_run> spawn_pipeline(const std::vector<command>& stages, const process_group_options& opts,
                                   const std::shared_ptr<group_backend>& parent, bool interactive_stdin);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_SPAWN_HPP
