// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_PLAN_HPP
#define BOOST_PROCESSKIT_SRC_CORE_PLAN_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/pipeline.hpp>

#include <string>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

/// A command checked and resolved, ready to spawn: everything the child
/// needs, computed in the parent.
struct spawn_plan
{
    std::string path;              ///< the executable, PATH already searched
    std::vector<std::string> args; ///< argv[1..]
    std::string argv0;
    std::vector<std::string> env; ///< "NAME=value" entries
};

/// Validates `cmd` (empty program, NUL bytes, bad env names, missing working
/// directory) and resolves the program on PATH. `parent_env` is the
/// environment to inherit from (normally `environ`).
result<spawn_plan> make_plan(const command& cmd, const char* const* parent_env);

/// The pipeline's own checks (see pipeline): at least two stages, the
/// chain's knobs valid, no stage setting what belongs to the chain or to a
/// pipe. The error's diagnostics name the stage.
error check_pipeline(const pipeline& p);

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_PLAN_HPP
