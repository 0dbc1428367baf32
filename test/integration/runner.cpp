// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The synchronous verbs of the runner: command options, verb semantics,
// timeouts, cancellation, capture, and no leftover processes or fds.

#define BOOST_TEST_MODULE runner
#include "pk_test.hpp"

#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/test/data/test_case.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <stop_token>
#include <sys/wait.h>
#include <thread>

namespace pk = boost::processkit;
namespace bdata = boost::unit_test::data;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const std::string& path, const std::string& content)
{
    std::ofstream(path, std::ios::binary) << content;
}

// Points fd 1 or 2 of this process at a file for the scope's lifetime.
struct redirect_fd
{
    int fd, saved;
    redirect_fd(int which, const std::string& path) : fd(which), saved(::dup(which))
    {
        std::cout.flush();
        int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ::dup2(f, fd);
        ::close(f);
    }
    ~redirect_fd()
    {
        ::dup2(saved, fd);
        ::close(saved);
    }
};

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// Program lookup, arguments, working directory, environment

BOOST_AUTO_TEST_CASE(run_trims_trailing_whitespace_only)
{
    BOOST_TEST(pk::run(pk_test::helper_command({"args", "  a b  "})).value() == "  a b");
    BOOST_TEST(pk::run(pk_test::helper_command({"args", "x", "y"})).value() == "x\ny");
    BOOST_TEST(pk::run(pk_test::helper_command({"exit", "0"})).value() == "");
}

BOOST_AUTO_TEST_CASE(free_one_liners)
{
    BOOST_TEST(pk::run(pk_test::helper(), {"args", "one", "two"}).value() == "one\ntwo");
    auto r = pk::output_string(pk_test::helper(), {"stderr-exit", "3", "boom"});
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().code().value_or(-1000) == 3);
    BOOST_TEST(r.value().std_err == "boom\n");
    PK_CHECK_ERRC(pk::run(pk_test::helper(), {"exit", "3"}), pk::errc::nonzero_exit);
}

BOOST_AUTO_TEST_CASE(path_lookup_uses_the_child_path_and_skips_non_executables)
{
    pk_test::temp_dir t;
    fs::create_directory(t / "d1");
    fs::create_directory(t / "d1/pk_helper"); // a directory: skipped
    fs::create_directory(t / "d2");
    write_file(t / "d2/pk_helper", "not a program\n"); // mode 0644: skipped
    std::string dir = fs::path(pk_test::helper()).parent_path().string();
    auto cmd = pk::command("pk_helper").env("PATH", t / "d1" + ":" + t / "d2" + ":" + dir);
    // argv[0] defaults to the program as given.
    BOOST_TEST(pk::run(pk::command(cmd).arg("argv0")).value() == "pk_helper");
    BOOST_TEST(pk::run(pk::command(cmd).args({"args", "found"})).value() == "found");
}

BOOST_AUTO_TEST_CASE(missing_program_lists_searched_directories)
{
    auto r = pk::run(pk::command("pk-no-such-program-7f3a").arg("x"));
    PK_CHECK_ERRC(r, pk::errc::program_not_found);
    BOOST_TEST_MESSAGE("message: " << r.error().message());
    BOOST_TEST(!r.error().diag().detail.empty());
    BOOST_TEST(r.error().diag().program == "pk-no-such-program-7f3a");
    const char* path = std::getenv("PATH");
    std::string parent_path = path ? path : "";
    if (parent_path.empty() || (":" + parent_path + ":").find(":/usr/bin:") != std::string::npos)
        BOOST_TEST(r.error().diag().detail.find("/usr/bin") != std::string::npos, r.error().diag().detail);
    BOOST_TEST(pk_test::own_children().empty(), "nothing spawned");
    // The command's own PATH is the one searched.
    auto c = pk::run(pk::command("pk-no-such-program-7f3a").env("PATH", "/pk-nonexistent-a:/pk-nonexistent-b"));
    PK_CHECK_ERRC(c, pk::errc::program_not_found);
    BOOST_TEST(c.error().diag().detail.find("/pk-nonexistent-a") != std::string::npos, c.error().diag().detail);
    BOOST_TEST(c.error().diag().detail.find("/pk-nonexistent-b") != std::string::npos, c.error().diag().detail);
}

BOOST_AUTO_TEST_CASE(missing_or_non_executable_explicit_path)
{
    PK_CHECK_ERRC(pk::run(pk::command("/pk-nonexistent-dir/prog")), pk::errc::program_not_found);
    pk_test::temp_dir t;
    write_file(t / "script", "not a program\n"); // mode 0644
    BOOST_TEST(pk::run(pk::command(t / "script")).has_error(), "a non-executable file does not run");
}

BOOST_AUTO_TEST_CASE(working_directory)
{
    pk_test::temp_dir t;
    BOOST_TEST(pk::run(pk_test::helper_command({"cwd"}).cwd(t.path.string())).value() == t.path.string());
    write_file(t / "file", "x");
    for (std::string dir : {std::string("/pk-nonexistent-dir"), t / "file"})
    {
        BOOST_TEST_CONTEXT("cwd " << dir)
        {
            auto r = pk::run(pk_test::helper_command({"make-file", t / "spawned", "0"}).cwd(dir));
            PK_CHECK_ERRC(r, pk::errc::bad_working_directory);
            BOOST_TEST(pk_test::own_children().empty());
        }
    }
    BOOST_TEST(!fs::exists(t / "spawned"), "the child never ran");
}

BOOST_AUTO_TEST_CASE(env_set_remove_and_inherit)
{
    ::setenv("PK_T_KEEP", "parent", 1);
    ::setenv("PK_T_GONE", "parent", 1);
    auto out = pk::run(pk_test::helper_command({"env", "PK_T_KEEP", "PK_T_GONE", "PK_T_NEW"})
                           .env("PK_T_NEW", "a=b c")
                           .env_remove("PK_T_GONE"));
    ::unsetenv("PK_T_KEEP");
    ::unsetenv("PK_T_GONE");
    BOOST_TEST(out.value() == "PK_T_KEEP=parent\nPK_T_GONE unset\nPK_T_NEW=a=b c");
}

BOOST_AUTO_TEST_CASE(env_clear_starts_empty)
{
    BOOST_TEST(pk::run(pk_test::helper_command({"env-all"}).env_clear().env("ONLY", "x")).value() == "ONLY=x");
    BOOST_TEST(pk::run(pk_test::helper_command({"env-all"}).env_clear()).value() == "");
}

BOOST_AUTO_TEST_CASE(inherit_env_allow_list)
{
    ::setenv("PK_T_ALLOWED", "yes", 1);
    ::setenv("PK_T_DENIED", "no", 1);
    auto cmd = pk_test::helper_command({"env", "PK_T_ALLOWED", "PK_T_DENIED", "HOME", "PK_T_EXTRA"})
                   .inherit_env({"PK_T_ALLOWED", "HOME"})
                   .env("PK_T_EXTRA", "1");
    auto all = pk::run(pk_test::helper_command({"env-all"}).inherit_env({"PK_T_ALLOWED"}));
    auto out = pk::run(cmd);
    ::unsetenv("PK_T_ALLOWED");
    ::unsetenv("PK_T_DENIED");
    const char* home = std::getenv("HOME");
    std::string home_line = home ? std::string("HOME=") + home : "HOME unset";
    BOOST_TEST(out.value() == "PK_T_ALLOWED=yes\nPK_T_DENIED unset\n" + home_line + "\nPK_T_EXTRA=1");
    BOOST_TEST(all.value() == "PK_T_ALLOWED=yes", "only allowed names are inherited");
}

BOOST_AUTO_TEST_CASE(arg0_sets_argv0)
{
    BOOST_TEST(pk::run(pk_test::helper_command({"argv0"}).arg0("custom-name")).value() == "custom-name");
    BOOST_TEST(pk::run(pk_test::helper_command({"argv0"})).value() == pk_test::helper());
}

BOOST_AUTO_TEST_CASE(invalid_input_spawns_nothing)
{
    pk_test::temp_dir t;
    const std::string marker = t / "spawned";
    auto base = [&] { return pk_test::helper_command({"make-file", marker, "0"}); };
    std::vector<std::pair<std::string, pk::command>> cases{
        {"empty program", pk::command("").args({"make-file", marker, "0"})},
        {"NUL in program", pk::command(pk_test::helper() + std::string("\0x", 2)).args({"make-file", marker, "0"})},
        {"NUL in argument", pk_test::helper_command({"make-file", marker, std::string("0\0x", 3)})},
        {"NUL in env value", base().env("PK_V", std::string("a\0b", 3))},
        {"NUL in env name", base().env(std::string("PK\0V", 4), "x")},
        {"'=' in env name", base().env("PK=V", "x")},
        {"empty env name", base().env("", "x")},
    };
    for (auto& [what, cmd] : cases)
    {
        BOOST_TEST_CONTEXT(what)
        {
            auto r = pk::run(cmd);
            PK_CHECK_ERRC(r, pk::errc::invalid_argument);
            BOOST_TEST(!r.error().diag().detail.empty(), "the diagnostics say which input is bad");
            BOOST_TEST(pk_test::own_children().empty());
        }
    }
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(!fs::exists(marker), "no child ever ran");
}

// ---------------------------------------------------------------------------
// Stdin and stdout/stderr routing

BOOST_AUTO_TEST_CASE(stdin_null_bytes_and_file)
{
    BOOST_TEST(pk::run(pk_test::helper_command({"count-stdin"})).value() == "0");
    BOOST_TEST(pk::run(pk_test::helper_command({"count-stdin"}).stdin_bytes("abc")).value() == "3");
    const std::string data("bin\0ary\n\xff line\n\n", 16);
    BOOST_TEST(pk::output_bytes(pk_test::helper_command({"cat"}).stdin_bytes(data)).value().std_out == data);
    pk_test::temp_dir t;
    write_file(t / "in", data);
    BOOST_TEST(
        pk::output_bytes(pk_test::helper_command({"cat"}).std_in(pk::stdin_source::file(t / "in"))).value().std_out ==
        data);
}

BOOST_AUTO_TEST_CASE(unopenable_stdio_files_fail_naming_the_step)
{
    for (auto cmd : {pk_test::helper_command({"count-stdin"}).std_in(pk::stdin_source::file("/pk-nonexistent-dir/in")),
                     pk_test::helper_command({"args", "x"}).std_out(pk::stdio_mode::file("/pk-nonexistent-dir/out")),
                     pk_test::helper_command({"args", "x"}).std_err(pk::stdio_mode::file("/pk-nonexistent-dir/err"))})
    {
        auto r = pk::run_unit(cmd);
        BOOST_TEST_REQUIRE(r.has_error());
        BOOST_TEST_MESSAGE("unopenable file: " << r.error().message());
        BOOST_TEST(r.error().code() != pk::errc::invalid_argument, r.error().message());
        BOOST_TEST(!r.error().diag().step.empty());
        BOOST_TEST(pk_test::children_after().empty());
    }
}

BOOST_AUTO_TEST_CASE(stdout_and_stderr_null)
{
    auto r = pk::output_string(
        pk_test::helper_command({"mixed", "3"}).std_out(pk::stdio_mode::null()).std_err(pk::stdio_mode::null()));
    BOOST_TEST(r.value().code().value_or(-1000) == 0);
    BOOST_TEST((r.value().std_out.empty() && r.value().std_err.empty()));
}

BOOST_AUTO_TEST_CASE(stdout_and_stderr_inherit)
{
    pk_test::temp_dir t;
    std::optional<pk::result<pk::process_result>> r;
    {
        redirect_fd out(STDOUT_FILENO, t / "out"), err(STDERR_FILENO, t / "err");
        r = pk::output_string(pk_test::helper_command({"mixed", "2"})
                                  .std_out(pk::stdio_mode::inherit())
                                  .std_err(pk::stdio_mode::inherit()));
    }
    BOOST_TEST_REQUIRE(r->has_value());
    BOOST_TEST(r->value().std_out == "");
    BOOST_TEST(r->value().std_err == "");
    BOOST_TEST(slurp(t / "out") == "out0\nout1\n");
    BOOST_TEST(slurp(t / "err") == "err0\nerr1\n");
}

BOOST_AUTO_TEST_CASE(stdout_file_truncates_and_appends)
{
    pk_test::temp_dir t;
    write_file(t / "out", "old content that is longer\n");
    BOOST_TEST(
        pk::run_unit(pk_test::helper_command({"args", "new"}).std_out(pk::stdio_mode::file(t / "out"))).has_value());
    BOOST_TEST(slurp(t / "out") == "new\n");
    for (std::string word : {"first", "second"})
        BOOST_TEST(pk::run_unit(pk_test::helper_command({"args", word}).std_out(pk::stdio_mode::file(t / "out", true)))
                       .has_value());
    BOOST_TEST(slurp(t / "out") == "new\nfirst\nsecond\n");
    // A file that does not exist yet is created, in either mode.
    BOOST_TEST(pk::run(pk_test::helper_command({"err-lines", "2"}).std_err(pk::stdio_mode::file(t / "err", true)))
                   .has_value());
    BOOST_TEST(slurp(t / "err") == "line0\nline1\n");
}

BOOST_AUTO_TEST_CASE(stderr_merge_into_stdout)
{
    auto r = pk::output_string(pk_test::helper_command({"mixed", "3"}).std_err(pk::stdio_mode::merge()));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().std_out == "out0\nerr0\nout1\nerr1\nout2\nerr2\n");
    BOOST_TEST(r.value().std_err == "");
    pk_test::temp_dir t;
    auto f = pk::run_unit(pk_test::helper_command({"mixed", "2"})
                              .std_out(pk::stdio_mode::file(t / "both"))
                              .std_err(pk::stdio_mode::merge()));
    BOOST_TEST(f.has_value());
    BOOST_TEST(slurp(t / "both") == "out0\nerr0\nout1\nerr1\n");
}

// ---------------------------------------------------------------------------
// Verbs

BOOST_AUTO_TEST_CASE(ok_codes_accept_listed_exits)
{
    BOOST_TEST(pk::run(pk_test::helper_command({"exit", "3"}).ok_codes({0, 3})).has_value());
    auto c = pk::checked(pk_test::helper_command({"exit", "3"}).ok_codes({0, 3}));
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST(c.value().code().value_or(-1000) == 3);
    BOOST_TEST(c.value().accepted);
    BOOST_TEST(c.value().success());
    auto r = pk::run(pk_test::helper_command({"exit", "4"}).ok_codes({0, 3}));
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(r.error().diag().exit_code.value_or(-1000) == 4);
    PK_CHECK_ERRC(pk::run(pk_test::helper_command({"exit", "0"}).ok_codes({3})), pk::errc::nonzero_exit);
}

BOOST_AUTO_TEST_CASE(run_nonzero_exit_reports_code_and_stderr)
{
    auto r = pk::run(pk_test::helper_command({"stderr-exit", "3", "boom"}));
    PK_CHECK_ERRC(r, pk::errc::nonzero_exit);
    BOOST_TEST(r.error().diag().exit_code.value_or(-1000) == 3);
    BOOST_TEST(r.error().diag().program == pk_test::helper());
    BOOST_TEST(r.error().diag().stderr_tail.find("boom") != std::string::npos);
    BOOST_TEST(r.error().message().find("exited with code 3: boom") != std::string::npos, r.error().message());
    BOOST_TEST(r.error().message().find("\"" + pk_test::helper() + "\"") != std::string::npos, r.error().message());
}

BOOST_AUTO_TEST_CASE(signalled_child)
{
    auto r = pk::run(pk_test::helper_command({"kill-self", "9"}));
    PK_CHECK_ERRC(r, pk::errc::signalled);
    BOOST_TEST(r.error().diag().signal.value_or(-1000) == 9);
    auto o = pk::output_string(pk_test::helper_command({"kill-self", "9"}));
    BOOST_TEST_REQUIRE(o.has_value());
    BOOST_TEST(!o.value().code().has_value(), "no exit code, never -1");
    BOOST_TEST(o.value().signal().value_or(-1000) == 9);
    BOOST_TEST(!o.value().success());
    BOOST_TEST(!o.value().timed_out());
    PK_CHECK_ERRC(o.value().ensure_success(), pk::errc::signalled);
    PK_CHECK_ERRC(pk::exit_code(pk_test::helper_command({"kill-self", "9"})), pk::errc::missing_exit_code);
}

BOOST_AUTO_TEST_CASE(run_unit_and_checked)
{
    BOOST_TEST(pk::run_unit(pk_test::helper_command({"lines", "2"})).has_value());
    PK_CHECK_ERRC(pk::run_unit(pk_test::helper_command({"exit", "5"})), pk::errc::nonzero_exit);
    auto c = pk::checked(pk_test::helper_command({"lines", "2"}));
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST(c.value().std_out == "line0\nline1\n", "checked does not trim");
    BOOST_TEST(c.value().code().value_or(-1000) == 0);
    auto e = pk::checked(pk_test::helper_command({"stderr-exit", "3", "boom"}));
    PK_CHECK_ERRC(e, pk::errc::nonzero_exit);
    BOOST_TEST(e.error().diag().exit_code.value_or(-1000) == 3);
}

BOOST_AUTO_TEST_CASE(output_verbs_never_fail_on_exit)
{
    for (bool bytes : {false, true})
    {
        BOOST_TEST_CONTEXT((bytes ? "output_bytes" : "output_string"))
        {
            auto cmd = pk_test::helper_command({"stderr-exit", "3", "boom"});
            auto r = bytes ? pk::output_bytes(cmd) : pk::output_string(cmd);
            BOOST_TEST_REQUIRE(r.has_value());
            auto& res = r.value();
            BOOST_TEST(res.code().value_or(-1000) == 3);
            BOOST_TEST(!res.success());
            BOOST_TEST(!res.accepted);
            BOOST_TEST(!res.timed_out());
            BOOST_TEST(res.std_out == "");
            BOOST_TEST(res.std_err == "boom\n");
            BOOST_TEST(res.duration.count() > 0);
            BOOST_TEST(res.diagnostics.program == pk_test::helper());
            auto ok = res.ensure_success();
            PK_CHECK_ERRC(ok, pk::errc::nonzero_exit);
            BOOST_TEST(ok.error().diag().exit_code.value_or(-1000) == 3);
        }
    }
    auto good = pk::output_string(pk_test::helper_command({"lines", "1"})).value();
    BOOST_TEST(good.success());
    BOOST_TEST(good.ensure_success().has_value());
}

BOOST_AUTO_TEST_CASE(exit_code_and_probe_verbs)
{
    BOOST_TEST(pk::exit_code(pk_test::helper_command({"exit", "0"})).value() == 0);
    BOOST_TEST(pk::exit_code(pk_test::helper_command({"exit", "7"})).value() == 7);
    BOOST_TEST(pk::probe(pk_test::helper_command({"exit", "0"})).value() == true);
    BOOST_TEST(pk::probe(pk_test::helper_command({"exit", "1"})).value() == false);
    auto r = pk::probe(pk_test::helper_command({"exit", "2"}));
    PK_CHECK_ERRC(r, pk::errc::unexpected_probe_code);
    BOOST_TEST(r.error().diag().exit_code.value_or(-1000) == 2);
}

BOOST_AUTO_TEST_CASE(first_line_verb)
{
    BOOST_TEST(pk::first_line(pk_test::helper_command({"lines", "5"})).value() == "line0");
    PK_CHECK_ERRC(pk::first_line(pk_test::helper_command({"exit", "0"})), pk::errc::empty_output);
    BOOST_TEST(pk::first_line(pk_test::helper_command({"exit", "3"})).has_error(), "an unaccepted exit is an error");
}

BOOST_AUTO_TEST_CASE(output_bytes_are_exact)
{
    auto r = pk::output_bytes(pk_test::helper_command({"bytes", "1000000"}));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().std_out.size() == 1000000u);
    BOOST_TEST(pk_test::pattern_mismatch(r.value().std_out) == r.value().std_out.size());
    BOOST_TEST(!r.value().std_out_truncated);
}

BOOST_AUTO_TEST_CASE(output_string_replaces_invalid_utf8)
{
    auto s = pk::output_string(pk_test::helper_command({"bad-utf8"}));
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s.value().std_out ==
               "ok " + pk_test::fffd + pk_test::fffd + " bad\ncaf\xc3\xa9\nlatin1 caf" + pk_test::fffd + "\n");
    auto b = pk::output_bytes(pk_test::helper_command({"bad-utf8"}));
    BOOST_TEST_REQUIRE(b.has_value());
    BOOST_TEST(b.value().std_out == "ok \xff\xfe bad\ncaf\xc3\xa9\nlatin1 caf\xe9\n");
}

BOOST_AUTO_TEST_CASE(default_runner_and_job_runner)
{
    BOOST_TEST(&pk::default_runner() == &pk::default_runner());
    BOOST_TEST(pk::default_runner().run(pk_test::helper_command({"args", "d"})).value() == "d");
    pk::process_group_options o;
    o.mechanism = pk::mechanism_request::process_group;
    pk::job_runner r(o);
    BOOST_TEST(r.run(pk_test::helper_command({"args", "j"})).value() == "j");
    BOOST_TEST(r.probe(pk_test::helper_command({"exit", "1"})).value() == false);
}

// ---------------------------------------------------------------------------
// Timeouts

BOOST_AUTO_TEST_CASE(timeout_is_recorded_by_output_string)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_string(pk_test::helper_command({"sleep", "30000"}).timeout(200ms));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("timed out after " << ms << " ms");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(!r.value().code().has_value(), "no exit code, never -1");
    BOOST_TEST(!r.value().success());
    BOOST_TEST(r.value().duration.count() > 0);
    BOOST_TEST(ms >= 150);
    BOOST_TEST(ms < 5000);
    PK_CHECK_ERRC(r.value().ensure_success(), pk::errc::timed_out);
}

// This process's cgroups in the hierarchy (runs park theirs for reuse).
std::size_t own_cgroups(const std::string& base)
{
    std::size_t n = 0;
    std::string prefix = "processkit-" + std::to_string(::getpid()) + "-";
    for (auto& e : fs::directory_iterator(base))
        if (e.is_directory() && e.path().filename().string().rfind(prefix, 0) == 0)
            ++n;
    return n;
}

BOOST_AUTO_TEST_CASE(runs_reuse_untouched_cgroups_and_drop_killed_ones,
                     *boost::unit_test::precondition(pk_test::needs_cgroup()))
{
    pk::job_runner runner(pk::process_group_options{pk::mechanism_request::cgroup_v2});
    std::string base =
        fs::path(pk::process_group(pk::process_group_options{pk::mechanism_request::cgroup_v2}).cgroup_path())
            .parent_path()
            .string();
    std::size_t before = own_cgroups(base);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(runner.run(pk_test::helper_command({"args", "x"})).value() == "x");
    // A clean run parks its cgroup; the next run takes it again.
    BOOST_TEST(own_cgroups(base) == std::max<std::size_t>(before, 1));

    // A killed cgroup is never reused (the kernel would kill a child born in it).
    std::size_t parked = own_cgroups(base);
    BOOST_TEST_REQUIRE(parked >= 1u);
    auto r = runner.output_string(pk_test::helper_command({"sleep", "30000"}).timeout(100ms));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(own_cgroups(base) == parked - 1);
    BOOST_TEST(runner.run(pk_test::helper_command({"args", "after"})).value() == "after");
}

BOOST_AUTO_TEST_CASE(a_forked_copy_leaves_the_parked_cgroups_alone,
                     *boost::unit_test::precondition(pk_test::needs_cgroup()))
{
    pk::job_runner runner(pk::process_group_options{pk::mechanism_request::cgroup_v2});
    BOOST_TEST(runner.run(pk_test::helper_command({"args", "x"})).value() == "x");
    std::string base =
        fs::path(pk::process_group(pk::process_group_options{pk::mechanism_request::cgroup_v2}).cgroup_path())
            .parent_path()
            .string();
    std::size_t parked = own_cgroups(base);
    BOOST_TEST_REQUIRE(parked >= 1u);
    // A fork without exec that exits normally runs the static destructors,
    // the pool's among them: it must not remove this process's cgroups.
    pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0)
        std::exit(0);
    int status = 0;
    BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST(own_cgroups(base) == parked);
    BOOST_TEST(runner.run(pk_test::helper_command({"args", "still"})).value() == "still");
}

BOOST_AUTO_TEST_CASE(timeout_is_an_error_for_run)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::run(pk_test::helper_command({"sleep", "30000"}).timeout(200ms));
    BOOST_TEST(pk_test::ms_since(t0) < 5000);
    PK_CHECK_ERRC(r, pk::errc::timed_out);
    BOOST_TEST_REQUIRE(r.error().diag().timeout.has_value());
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(*r.error().diag().timeout).count() == 200);
    BOOST_TEST_MESSAGE("message: " << r.error().message());
}

BOOST_DATA_TEST_CASE(timeout_kills_grandchild_holding_stdout, bdata::make(pk_test::mechanisms()), m)
{
    pk::process_group_options o;
    o.mechanism = m;
    pk::job_runner runner(o);
    auto t0 = std::chrono::steady_clock::now();
    auto r = runner.output_string(pk_test::helper_command({"spawn-sleeper", "30000"}).timeout(200ms));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE(m << ": returned after " << ms << " ms");
    BOOST_TEST(ms < 5000, "a grandchild holding stdout does not keep the run alive");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().timed_out());
    auto pids = pk_test::pid_lines(r.value().std_out);
    BOOST_TEST_WARN(pids.size() == 1u, "the grandchild reported its pid before the timeout");
    BOOST_TEST(pk_test::survivors(pids).empty(), "the grandchild is gone");
    BOOST_TEST(pk_test::children_after().empty());
}

BOOST_AUTO_TEST_CASE(timeout_grace_then_kill)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_string(pk_test::helper_command({"ignore-term", "30000"})
                                   .timeout(200ms)
                                   .timeout_grace(300ms)
                                   .timeout_signal(pk::signal::term));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("term-ignoring child ended after " << ms << " ms");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().timed_out());
    BOOST_TEST(ms < 5000);
    // Once "ready" is out SIGTERM is ignored, so only the SIGKILL after the grace ends it.
    if (r.value().std_out == "ready\n")
        BOOST_TEST(ms >= 450);
    // A child that honours the first signal ends without waiting for the grace.
    auto t1 = std::chrono::steady_clock::now();
    auto s = pk::output_string(pk_test::helper_command({"sleep", "30000"}).timeout(200ms).timeout_grace(20000ms));
    BOOST_TEST(pk_test::ms_since(t1) < 5000);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s.value().timed_out());
}

BOOST_AUTO_TEST_CASE(child_finishing_before_timeout_is_unaffected)
{
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::checked(pk_test::helper_command({"args", "quick"}).timeout(20s));
    BOOST_TEST(pk_test::ms_since(t0) < 5000, "a pending timeout does not delay completion");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(!r.value().timed_out());
    BOOST_TEST(r.value().std_out == "quick\n");
}

// ---------------------------------------------------------------------------
// Cancellation

BOOST_AUTO_TEST_CASE(stop_token_cancels_running_tree)
{
    std::stop_source stop;
    auto t0 = std::chrono::steady_clock::now();
    std::jthread stopper([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    auto r = pk::run(pk_test::helper_command({"tree", "2", "30000"}).cancel_on(stop.get_token()));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("cancelled after " << ms << " ms");
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(ms < 5000);
    BOOST_TEST(pk_test::children_after().empty(), "the whole tree is gone");
}

BOOST_AUTO_TEST_CASE(stopped_token_spawns_nothing)
{
    pk_test::temp_dir t;
    std::stop_source stop;
    stop.request_stop();
    auto r = pk::run(pk_test::helper_command({"make-file", t / "made", "0"}).cancel_on(stop.get_token()));
    PK_CHECK_ERRC(r, pk::errc::cancelled);
    BOOST_TEST(pk_test::own_children().empty());
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(!fs::exists(t / "made"), "the child never ran");
}

// ---------------------------------------------------------------------------
// Capture and resources

BOOST_AUTO_TEST_CASE(capture_never_deadlocks)
{
    constexpr std::size_t big = 64u << 20, in = 16u << 20;
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_bytes(
        pk_test::helper_command({"flood", std::to_string(big), std::to_string(big), std::to_string(in)})
            .stdin_bytes(std::string(in, 'x')));
    BOOST_TEST_MESSAGE("64 MiB out + 64 MiB err + 16 MiB in in " << pk_test::ms_since(t0) << " ms");
    BOOST_TEST_REQUIRE(r.has_value());
    auto& res = r.value();
    BOOST_TEST(res.code().value_or(-1000) == 0, "the child read all of stdin");
    BOOST_TEST(res.std_out.size() == big);
    BOOST_TEST(res.std_err.size() == big);
    BOOST_TEST(!res.std_out_truncated);
    BOOST_TEST(!res.std_err_truncated);
    BOOST_TEST(static_cast<unsigned char>(res.std_out.at(big - 1)) == (big - 1) % 251);
    BOOST_TEST(pk_test::pattern_mismatch(res.std_out) == big);
    BOOST_TEST(pk_test::pattern_mismatch(res.std_err) == big);
}

BOOST_AUTO_TEST_CASE(child_not_reading_stdin_is_not_an_error)
{
    struct sigaction sa
    {};
    ::sigaction(SIGPIPE, nullptr, &sa);
    BOOST_TEST_MESSAGE("SIGPIPE disposition is " << (sa.sa_handler == SIG_DFL ? "default" : "not default"));
    std::string eight_mib(8u << 20, 'y');
    auto r = pk::output_bytes(pk_test::helper_command({"exit", "0"}).stdin_bytes(eight_mib));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r.value().code().value_or(-1000) == 0);
    BOOST_TEST(r.value().success());
    BOOST_TEST(pk::run_unit(pk_test::helper_command({"exit", "0"}).stdin_bytes(eight_mib)).has_value());
    BOOST_TEST(pk::run(pk_test::helper_command({"read-line-echo", "p:"}).stdin_bytes("one\n" + eight_mib)).value() ==
               "p:got:one");
}

BOOST_AUTO_TEST_CASE(no_fd_leak)
{
    pk_test::temp_dir t;
    std::stop_source stopped;
    stopped.request_stop();
    auto batch = [&] {
        for (int i = 0; i < 4; ++i)
        {
            (void)pk::run(pk_test::helper_command({"args", "x"}));
            (void)pk::output_string(pk_test::helper_command({"stderr-exit", "3", "boom"}));
            (void)pk::output_bytes(pk_test::helper_command({"cat"}).stdin_bytes("abc"));
            (void)pk::run(pk::command("pk-no-such-program-7f3a"));
            (void)pk::run_unit(pk_test::helper_command({"args", "f"})
                                   .std_out(pk::stdio_mode::file(t / "f"))
                                   .std_err(pk::stdio_mode::merge()));
        }
        (void)pk::run(pk_test::helper_command({"sleep", "30000"}).timeout(50ms));
        (void)pk::run(pk_test::helper_command({"exit", "0"}).cancel_on(stopped.get_token()));
    };
    batch(); // warm up: lazily created runner state is not a leak
    auto before = pk_test::own_fds();
    batch();
    auto after = pk_test::own_fds();
    for (int i = 0; i < 100 && after != before; ++i)
    {
        std::this_thread::sleep_for(10ms);
        after = pk_test::own_fds();
    }
    BOOST_TEST(before == after, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
