// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The `processkit` command-line tool:
//   processkit doctor [--json]          what containment this host gives, and why
//   processkit demo [--mechanism M]     start a process tree in a group, destroy
//                                       the group, show that nothing survived
//   processkit run [OPTIONS] [--] PROGRAM [ARGS...]
//                                       run PROGRAM in a private group with the
//                                       terminal's stdio; when it exits, times out
//                                       or processkit gets a signal, its whole tree
//                                       is killed before processkit exits
//   processkit supervise [OPTIONS] [--] PROGRAM [ARGS...]
//                                       run PROGRAM as `run` does, and start it
//                                       again when it ends (restart policy,
//                                       backoff, crash storms, a health check)
// `processkit --help` and `processkit COMMAND --help` describe the options.
//
// cli.cpp parses the command line (cli_values.cpp the option values),
// run.cpp supervises a run, supervise.cpp restarts one, doctor.cpp and
// demo.cpp are the other two commands.

#include "cli.hpp"
#include "commands.hpp"

#include <exception>
#include <iostream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace tool = boost::processkit::tool;

namespace {

int execute(const tool::invocation& what)
{
    return std::visit(
        [](const auto& o) -> int {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, tool::print_text>)
            {
                std::cout << o.text << std::flush;
                return std::cout ? 0 : tool::exit_status::failure;
            }
            else if constexpr (std::is_same_v<T, tool::run_options>)
                return tool::run(o);
            else if constexpr (std::is_same_v<T, tool::supervise_options>)
                return tool::supervise(o);
            else if constexpr (std::is_same_v<T, tool::doctor_options>)
                return tool::doctor(o);
            else
                return tool::demo(o);
        },
        what);
}

} // namespace

int main(int argc, char** argv)
{
    try
    {
        return execute(tool::parse_command_line(std::vector<std::string>(argv + 1, argv + argc)));
    }
    catch (const tool::usage_error& e)
    {
        const std::string command = e.command().empty() ? "processkit" : "processkit " + e.command();
        std::cerr << command << ": " << e.what() << "\nTry '" << command << " --help'.\n";
        return tool::exit_status::failure;
    }
    catch (const std::exception& e)
    {
        // Library errors name the program, never its arguments or environment.
        std::cerr << "processkit: " << e.what() << "\n";
        return tool::exit_status::failure;
    }
}
