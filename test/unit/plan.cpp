// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Command validation, PATH lookup, environment and UTF-8 repair: no spawning.

#define BOOST_TEST_MODULE plan
#include "../../src/core/plan.hpp"
#include "../../src/core/utf8.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace pk = boost::processkit;
using pk::detail::make_plan;

namespace {
const char* parent_env[] = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C", nullptr};

bool has(const std::vector<std::string>& env, const std::string& entry)
{
    return std::find(env.begin(), env.end(), entry) != env.end();
}

pk::errc code_of(const pk::result<pk::detail::spawn_plan>& r)
{
    return static_cast<pk::errc>(r.error().code().value());
}
} // namespace

BOOST_AUTO_TEST_CASE(bad_input_is_invalid_argument)
{
    BOOST_TEST(code_of(make_plan(pk::command(""), parent_env)) == pk::errc::invalid_argument);
    BOOST_TEST(code_of(make_plan(pk::command(std::string("ls\0x", 4)), parent_env)) == pk::errc::invalid_argument);
    auto nul_arg = make_plan(pk::command("ls").arg("ok").arg(std::string("a\0b", 3)), parent_env);
    BOOST_TEST(code_of(nul_arg) == pk::errc::invalid_argument);
    BOOST_TEST(nul_arg.error().diag().detail == "NUL byte in argument 2");
    BOOST_TEST(code_of(make_plan(pk::command("ls").env("A=B", "x"), parent_env)) == pk::errc::invalid_argument);
    BOOST_TEST(code_of(make_plan(pk::command("ls").env("", "x"), parent_env)) == pk::errc::invalid_argument);
    BOOST_TEST(code_of(make_plan(pk::command("ls").env("A", std::string("x\0y", 3)), parent_env)) ==
               pk::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(path_lookup_names_where_it_searched)
{
    auto r = make_plan(pk::command("surely-not-a-program"), parent_env);
    BOOST_TEST(code_of(r) == pk::errc::program_not_found);
    BOOST_TEST(r.error().diag().detail == "searched /usr/bin:/bin");
    BOOST_TEST(r.error().message() == "\"surely-not-a-program\" not found (searched /usr/bin:/bin)");
    auto ls = make_plan(pk::command("ls"), parent_env);
    BOOST_TEST((ls.value().path == "/usr/bin/ls" || ls.value().path == "/bin/ls"));
}

BOOST_AUTO_TEST_CASE(child_path_wins_for_lookup)
{
    auto r = make_plan(pk::command("ls").env("PATH", "/nonexistent"), parent_env);
    BOOST_TEST(code_of(r) == pk::errc::program_not_found);
    BOOST_TEST(r.error().diag().detail == "searched /nonexistent");
}

BOOST_AUTO_TEST_CASE(paths_with_slash_are_not_searched)
{
    auto r = make_plan(pk::command("./relative/tool"), parent_env);
    BOOST_TEST(r.value().path == "./relative/tool");
}

BOOST_AUTO_TEST_CASE(missing_working_directory)
{
    auto r = make_plan(pk::command("ls").cwd("/nonexistent/dir"), parent_env);
    BOOST_TEST(code_of(r) == pk::errc::bad_working_directory);
    BOOST_TEST(r.error().diag().detail.find("/nonexistent/dir") == 0u);
    BOOST_TEST(code_of(make_plan(pk::command("ls").cwd("/etc/hostname"), parent_env)) ==
               pk::errc::bad_working_directory);
}

BOOST_AUTO_TEST_CASE(environment_inherit_change_clear_allow)
{
    auto all = make_plan(pk::command("ls").env("X", "1").env_remove("LANG"), parent_env).value();
    BOOST_TEST(has(all.env, "HOME=/root"));
    BOOST_TEST(has(all.env, "X=1"));
    BOOST_TEST(!has(all.env, "LANG=C"));
    auto cleared = make_plan(pk::command("/bin/ls").env_clear().env("ONLY", "me"), parent_env).value();
    BOOST_TEST(cleared.env == std::vector<std::string>{"ONLY=me"});
    auto allow = make_plan(pk::command("ls").inherit_env({"HOME", "PATH"}), parent_env).value();
    BOOST_TEST(allow.env.size() == 2u);
    BOOST_TEST(has(allow.env, "HOME=/root"));
}

BOOST_AUTO_TEST_CASE(argv0_defaults_to_program)
{
    BOOST_TEST(make_plan(pk::command("ls"), parent_env).value().argv0 == "ls");
    BOOST_TEST(make_plan(pk::command("ls").arg0("lister"), parent_env).value().argv0 == "lister");
}

BOOST_AUTO_TEST_CASE(utf8_repair)
{
    std::string ok = "caf\xc3\xa9 \xf0\x9f\x98\x80";
    std::string copy = ok;
    pk::detail::sanitize_utf8(copy);
    BOOST_TEST(copy == ok);
    std::string bad = "ok \xff\xfe bad \xe9 \xc0\xaf \xed\xa0\x80";
    pk::detail::sanitize_utf8(bad);
    const std::string r = "\xEF\xBF\xBD";
    BOOST_TEST(bad == "ok " + r + r + " bad " + r + " " + r + r + " " + r + r + r);
}
