// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The subcommands of the `processkit` tool. Each returns the tool's exit status.

#ifndef BOOST_PROCESSKIT_TOOL_COMMANDS_HPP
#define BOOST_PROCESSKIT_TOOL_COMMANDS_HPP

#include "cli.hpp"

namespace boost {
namespace processkit {
namespace tool {

/// `processkit run`: runs the program in a private group with inherited
/// stdio, forwards the signals processkit receives to its whole tree, and
/// returns once the tree is gone (run.cpp).
int run(const run_options& options);

/// `processkit supervise`: runs the program as `run` does and starts it again
/// as the restart policy says, writing one line per event on stderr; the
/// signals processkit receives stop supervision and the tree (supervise.cpp).
int supervise(const supervise_options& options);

/// `processkit doctor`: what containment this host gives, and why (doctor.cpp).
int doctor(const doctor_options& options);

/// `processkit demo`: a process tree in a group, the group destroyed, the
/// survivors counted (demo.cpp).
int demo(const demo_options& options);

} // namespace tool
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_TOOL_COMMANDS_HPP
