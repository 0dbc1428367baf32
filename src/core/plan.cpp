// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "../backend/host_fs.hpp"
#include "plan.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

namespace boost {
namespace processkit {
namespace detail {
namespace {

error invalid(const command& cmd, std::string what)
{
    diagnostics d;
    d.program = cmd.program(); // diagnostics::message escapes a NUL byte
    d.step = "validate command";
    d.detail = std::move(what);
    return error(errc::invalid_argument, std::move(d));
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

// The run's knobs that cannot mean what the user wanted: a deadline that has
// already passed, an exit code set that accepts nothing or codes no process
// can exit with.
std::optional<error> check_knobs(const command& cmd)
{
    using zero = std::chrono::nanoseconds;
    if (cmd.timeout_value() && *cmd.timeout_value() <= zero(0))
        return invalid(cmd, "timeout must be positive");
    if (cmd.grace_value() && *cmd.grace_value() < zero(0))
        return invalid(cmd, "timeout_grace must not be negative");
    if (cmd.idle_timeout_value() && *cmd.idle_timeout_value() <= zero(0))
        return invalid(cmd, "idle_timeout must be positive");
    if (cmd.accepted_codes().empty())
        return invalid(cmd, "ok_codes is empty: no exit would be accepted");
    for (int code : cmd.accepted_codes())
        if (code < 0 || code > 255)
            return invalid(cmd, "ok_codes holds " + std::to_string(code) + ", outside the exit codes 0-255");
    return std::nullopt;
}

// The program, the arguments and arg0 as C strings.
std::optional<error> check_strings(const command& cmd)
{
    if (cmd.program().empty())
        return invalid(cmd, "empty program");
    if (has_nul(cmd.program()))
        return invalid(cmd, "NUL byte in the program name");
    for (std::size_t i = 0; i < cmd.arguments().size(); ++i)
        if (has_nul(cmd.arguments()[i]))
            return invalid(cmd, "NUL byte in argument " + std::to_string(i + 1));
    if (cmd.argv0() && has_nul(*cmd.argv0()))
        return invalid(cmd, "NUL byte in arg0");
    return std::nullopt;
}

using env_map = std::map<std::string, std::string>;

// What the child inherits: everything, an allow-list, or nothing.
env_map inherited_env(const command& cmd, const char* const* parent_env)
{
    env_map env;
    if (cmd.env_cleared())
        return env;
    for (auto p = parent_env; p && *p; ++p)
    {
        const char* eq = std::strchr(*p, '=');
        if (!eq)
            continue;
        std::string name(*p, eq);
        if (cmd.env_allow_list())
        {
            const auto& allow = *cmd.env_allow_list();
            if (std::find(allow.begin(), allow.end(), name) == allow.end())
                continue;
        }
        env.emplace(std::move(name), std::string(eq + 1));
    }
    return env;
}

// The command's changes on top of the inherited environment.
std::optional<error> apply_env_changes(const command& cmd, env_map& env)
{
    for (const auto& [name, value] : cmd.env_changes())
    {
        if (name.empty())
            return invalid(cmd, "empty environment variable name");
        if (has_nul(name))
            return invalid(cmd, "NUL byte in an environment variable name");
        // Only what stands before the '=' is named: the rest may be a value.
        if (auto eq = name.find('='); eq != std::string::npos)
            return invalid(cmd, "environment variable name \"" + name.substr(0, eq) +
                                    "\" is followed by '=': pass the name and the value separately");
        if (value && has_nul(*value))
            return invalid(cmd, "NUL byte in the value of environment variable " + name);
        if (value)
            env[name] = *value;
        else
            env.erase(name);
    }
    return std::nullopt;
}

std::optional<error> check_directory(const command& cmd)
{
    const auto& dir = cmd.working_directory();
    if (!dir)
        return std::nullopt;
    if (has_nul(*dir))
        return invalid(cmd, "NUL byte in the working directory");
    auto problem = directory_problem(*dir);
    if (!problem)
        return std::nullopt;
    diagnostics d;
    d.program = cmd.program();
    d.step = "chdir";
    d.detail = *dir + ": " + *problem;
    return error(errc::bad_working_directory, std::move(d));
}

// The program's path: as given when it names one, else searched in the
// child's PATH if the command sets one, else ours, else the POSIX default.
result<std::string> resolve_program(const std::string& program, const env_map& env, const char* const* parent_env)
{
    if (names_a_path(program))
        return program;
    auto it = env.find("PATH");
    const char* own = nullptr;
    for (auto p = parent_env; p && *p && !own; ++p)
        if (std::strncmp(*p, "PATH=", 5) == 0)
            own = *p + 5;
    std::string path_list = it != env.end() ? it->second : own ? own : default_search_path();
    return find_program(program, path_list);
}

} // namespace

result<spawn_plan> make_plan(const command& cmd, const char* const* parent_env)
{
    if (auto e = check_strings(cmd))
        return *e;
    if (auto e = check_knobs(cmd))
        return *e;
    env_map env = inherited_env(cmd, parent_env);
    if (auto e = apply_env_changes(cmd, env))
        return *e;
    if (auto e = check_directory(cmd))
        return *e;
    auto path = resolve_program(cmd.program(), env, parent_env);
    if (!path)
        return path.error();
    spawn_plan plan;
    plan.path = std::move(path).value();
    plan.args = cmd.arguments();
    plan.argv0 = cmd.argv0() ? *cmd.argv0() : cmd.program();
    plan.env.reserve(env.size());
    for (auto& [name, value] : env)
        plan.env.push_back(name + "=" + value);
    return plan;
}

error check_pipeline(const pipeline& p)
{
    const auto& stages = p.stages();
    auto at = [](error e, std::size_t i) {
        e.diag().stage = i;
        return e;
    };
    if (stages.size() < 2)
    {
        diagnostics d;
        d.program = stages.empty() ? std::string() : stages.front().program();
        d.step = "validate pipeline";
        d.detail = "a pipeline needs at least two stages";
        return error(errc::invalid_argument, std::move(d));
    }
    // The chain's knobs, checked as a command's would be.
    command knobs(stages.back().program());
    if (p.timeout_value())
        knobs.timeout(*p.timeout_value());
    if (p.grace_value())
        knobs.timeout_grace(*p.grace_value());
    if (p.idle_timeout_value())
        knobs.idle_timeout(*p.idle_timeout_value());
    if (auto e = check_knobs(knobs))
        return *e;
    for (std::size_t i = 0; i < stages.size(); ++i)
    {
        const command& c = stages[i];
        const char* chain_knob = c.timeout_value()                                      ? "timeout"
                                 : c.idle_timeout_value()                               ? "idle_timeout"
                                 : c.grace_value()                                      ? "timeout_grace"
                                 : c.cancel_token().stop_possible()                     ? "cancel_on"
                                 : c.retry_value()                                      ? "retry"
                                 : c.timeout_signal_value() != processkit::signal::term ? "timeout_signal"
                                                                                        : nullptr;
        if (chain_knob)
            return at(invalid(c, std::string(chain_knob) + " is set on a stage: set it on the pipeline"), i);
        if (i > 0 && c.stdin_config().type() != stdin_source::kind::null)
            return at(invalid(c, "the stage's stdin is set, but it reads the previous stage's stdout"), i);
        if (i + 1 < stages.size() && (c.stdout_config().type() != stdio_mode::kind::pipe || c.stdout_tee() ||
                                      !c.stdout_encoding_value().empty()))
            return at(
                invalid(c, "the stage's stdout (mode, tee or encoding) is set, but it feeds the next stage's stdin"),
                i);
    }
    return {};
}

} // namespace detail
} // namespace processkit
} // namespace boost
