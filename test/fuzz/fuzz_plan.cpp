// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// libFuzzer target: command validation (detail::make_plan, src/plan.cpp)
// over a fuzzed command -- program, arguments, arg0, environment changes,
// inheritance (all, an allow-list, none), working directory, timeouts and
// accepted exit codes -- and a fuzzed parent environment. Invariants:
//
// - it never crashes, and fails only with invalid_argument,
//   program_not_found or bad_working_directory;
// - an error's message() never holds an argument or environment value
//   (diagnostics hold "only the program name"): every such value is wrapped
//   in a marker byte (0xFE) that no other field holds, and no message may
//   hold that byte; the one exemption is PATH, whose directories the
//   program_not_found detail lists by design (command.hpp);
// - no message holds a NUL byte;
// - a plan only comes from a command whose knobs mean something (positive
//   timeouts, a grace that is not negative, exit codes 0-255, at least one);
// - a plan holds what the command asked for: the arguments and arg0 as
//   given, "NAME=value" entries with unique names, no NUL, the command's
//   values, no removed variable, only allowed or set variables when the
//   inheritance is restricted, and a path that is the program itself (when
//   it holds a '/') or ends in "/program".
//
// Build and run: see test/fuzz/README.md.

#define PK_FUZZ_TARGET "fuzz_plan"
#include "fuzz_check.hpp"

#include "core/plan.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pk = boost::processkit;

namespace {

constexpr char marker = '\xFE';

/// A field that may show in messages: never holds the marker.
std::string plain(FuzzedDataProvider& fdp, std::size_t max)
{
    std::string s = fdp.ConsumeRandomLengthString(max);
    std::replace(s.begin(), s.end(), marker, '?');
    return s;
}

/// A value that must never show: the marker on both sides.
std::string secret(FuzzedDataProvider& fdp, std::size_t max) { return marker + plain(fdp, max) + marker; }

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

/// A short name, often one the environment logic treats specially.
std::string env_name(FuzzedDataProvider& fdp)
{
    static const char* const common[] = {"PATH", "HOME", "A", "B", "", "A=B", "LANG"};
    if (fdp.ConsumeBool())
        return common[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(common) - 1)];
    return plain(fdp, 12);
}

/// A program: a name for the PATH search, a path, or garbage.
std::string program_name(FuzzedDataProvider& fdp)
{
    static const char* const common[] = {"sh", "true", "/bin/sh", "./x", "no-such-program-here", "", "/", "."};
    if (fdp.ConsumeBool())
        return common[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(common) - 1)];
    return plain(fdp, 24);
}

/// A PATH: plain directories (PATH is listed in messages by design).
std::string path_value(FuzzedDataProvider& fdp)
{
    static const char* const common[] = {"/usr/bin:/bin", "", ":", "/nonexistent", "/bin::/usr/bin", "."};
    if (fdp.ConsumeBool())
        return common[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(common) - 1)];
    return plain(fdp, 40);
}

/// A working directory: one that exists, one that does not, a file, garbage.
std::string directory(FuzzedDataProvider& fdp)
{
    static const char* const common[] = {"/", "/tmp", ".", "/nonexistent/dir", "/etc/passwd", ""};
    if (fdp.ConsumeBool())
        return common[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(common) - 1)];
    return plain(fdp, 24);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider fdp(data, size);

    // The parent's environment: "NAME=value" (or no '=' at all).
    std::vector<std::string> parent;
    for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(0, 6); i < n; ++i)
    {
        std::string name = env_name(fdp);
        // environ strings end at a NUL, and a name ends at the first '='.
        if (auto cut = std::min(name.find('\0'), name.find('=')); cut != std::string::npos)
            name.resize(cut);
        if (fdp.ConsumeIntegralInRange(0, 7) == 0)
        {
            parent.push_back(name); // no '=': skipped by make_plan
            continue;
        }
        std::string value = name == "PATH" ? path_value(fdp) : secret(fdp, 16);
        if (value.find('\0') != std::string::npos)
            value.resize(value.find('\0'));
        parent.push_back(name + "=" + value);
    }
    std::vector<const char*> parent_env;
    for (const auto& e : parent)
        parent_env.push_back(e.c_str());
    parent_env.push_back(nullptr);

    pk::command cmd(program_name(fdp));
    std::vector<std::string> args;
    for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(0, 5); i < n; ++i)
        args.push_back(secret(fdp, 24));
    cmd.args(args);
    std::optional<std::string> arg0;
    if (fdp.ConsumeIntegralInRange(0, 3) == 0)
    {
        arg0 = secret(fdp, 16);
        cmd.arg0(*arg0);
    }
    switch (fdp.ConsumeIntegralInRange(0, 3))
    {
    case 0: cmd.env_clear(); break;
    case 1: {
        std::vector<std::string> allow;
        for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(0, 3); i < n; ++i)
            allow.push_back(env_name(fdp));
        cmd.inherit_env(allow);
        break;
    }
    default: break; // inherit everything
    }
    for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(0, 5); i < n; ++i)
    {
        std::string name = env_name(fdp);
        if (fdp.ConsumeIntegralInRange(0, 4) == 0)
            cmd.env_remove(name);
        else
            cmd.env(name, name == "PATH" ? path_value(fdp) : secret(fdp, 24));
    }
    if (fdp.ConsumeBool())
        cmd.cwd(directory(fdp));
    // The run's knobs make_plan refuses when they cannot mean anything.
    using ns = std::chrono::nanoseconds;
    auto duration = [&] {
        return ns(fdp.ConsumeIntegralInRange<std::int64_t>(-2, 2) * (fdp.ConsumeBool() ? 1 : 1000000000));
    };
    std::optional<ns> timeout, grace, idle;
    if (fdp.ConsumeIntegralInRange(0, 3) == 0)
        cmd.timeout(*(timeout = duration()));
    if (fdp.ConsumeIntegralInRange(0, 3) == 0)
        cmd.timeout_grace(*(grace = duration()));
    if (fdp.ConsumeIntegralInRange(0, 3) == 0)
        cmd.idle_timeout(*(idle = duration()));
    std::vector<int> codes{0};
    if (fdp.ConsumeIntegralInRange(0, 3) == 0)
    {
        codes.clear();
        for (std::size_t i = 0, n = fdp.ConsumeIntegralInRange<std::size_t>(0, 3); i < n; ++i)
            codes.push_back(fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange(-1, 256) : fdp.ConsumeIntegral<int>());
        cmd.ok_codes(codes);
    }

    auto r = pk::detail::make_plan(cmd, parent_env.data());
    if (!r)
    {
        const pk::error& e = r.error();
        FUZZ_CHECK(e.code() == pk::errc::invalid_argument || e.code() == pk::errc::program_not_found ||
                       e.code() == pk::errc::bad_working_directory,
                   e.code().message());
        const std::string msg = e.message();
        FUZZ_CHECK(msg.find(marker) == std::string::npos, msg); // an argument or environment value leaked
        FUZZ_CHECK(!has_nul(msg), msg);
        return 0;
    }

    // A plan: everything as the command asked.
    const pk::detail::spawn_plan& plan = r.value();
    FUZZ_CHECK(!cmd.program().empty() && !has_nul(cmd.program()));
    FUZZ_CHECK(plan.args == args);
    FUZZ_CHECK(!timeout || *timeout > ns(0));
    FUZZ_CHECK(!grace || *grace >= ns(0));
    FUZZ_CHECK(!idle || *idle > ns(0));
    FUZZ_CHECK(!codes.empty());
    for (int c : codes)
        FUZZ_CHECK(c >= 0 && c <= 255, std::to_string(c));
    FUZZ_CHECK(plan.argv0 == (arg0 ? *arg0 : cmd.program()));
    if (cmd.program().find('/') != std::string::npos)
        FUZZ_CHECK(plan.path == cmd.program(), plan.path);
    else
    {
        const std::string tail = "/" + cmd.program();
        FUZZ_CHECK(plan.path.size() > tail.size() &&
                       plan.path.compare(plan.path.size() - tail.size(), tail.size(), tail) == 0,
                   plan.path);
    }
    std::map<std::string, std::string> env;
    for (const auto& entry : plan.env)
    {
        FUZZ_CHECK(!has_nul(entry), entry);
        auto eq = entry.find('=');
        FUZZ_CHECK(eq != std::string::npos, entry); // an empty name only comes from the parent
        FUZZ_CHECK(env.emplace(entry.substr(0, eq), entry.substr(eq + 1)).second, entry); // unique names
    }
    for (const auto& [name, value] : cmd.env_changes())
    {
        auto it = env.find(name);
        if (value)
            FUZZ_CHECK(it != env.end() && it->second == *value, name);
        else
            FUZZ_CHECK(it == env.end(), name);
    }
    for (const auto& [name, value] : env)
    {
        if (cmd.env_changes().count(name))
            continue;
        // Inherited: allowed, and as the parent had it (the first entry wins).
        FUZZ_CHECK(!cmd.env_cleared(), name);
        if (const auto& allow = cmd.env_allow_list())
            FUZZ_CHECK(std::find(allow->begin(), allow->end(), name) != allow->end(), name);
        const std::string prefix = name + "=";
        auto p = std::find_if(parent.begin(), parent.end(),
                              [&](const std::string& e) { return e.compare(0, prefix.size(), prefix) == 0; });
        FUZZ_CHECK(p != parent.end() && p->substr(prefix.size()) == value, name);
    }
    return 0;
}
