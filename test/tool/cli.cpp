// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// tool_cli: the processkit tool's command line (tools/processkit/cli.cpp),
// without spawning anything: durations, signals, mechanisms, --env entries,
// where PROGRAM starts, and messages that never repeat a value.

#define BOOST_TEST_MODULE tool_cli
#include <boost/test/unit_test.hpp>

#include "cli.hpp"

#include <chrono>
#include <csignal>
#include <string>
#include <variant>
#include <vector>

namespace tool = boost::processkit::tool;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

nanoseconds duration(const char* text) { return tool::parse_duration(text, "--timeout"); }

// The usage_error message for `args`, or "" if they parse.
std::string error_of(const std::vector<std::string>& args)
{
    try
    {
        (void)tool::parse_command_line(args);
    }
    catch (const tool::usage_error& e)
    {
        return e.what();
    }
    return "";
}

tool::run_options run_of(const std::vector<std::string>& args)
{
    return std::get<tool::run_options>(tool::parse_command_line(args));
}

} // namespace

BOOST_AUTO_TEST_CASE(durations_with_units)
{
    BOOST_TEST(duration("300ms").count() == nanoseconds(300ms).count());
    BOOST_TEST(duration("5s").count() == nanoseconds(5s).count());
    BOOST_TEST(duration("1.5s").count() == nanoseconds(1500ms).count());
    BOOST_TEST(duration("2m").count() == nanoseconds(2min).count());
    BOOST_TEST(duration("1h").count() == nanoseconds(1h).count());
    BOOST_TEST(duration("1d").count() == nanoseconds(24h).count());
    BOOST_TEST(duration("0.25ms").count() == nanoseconds(250us).count());
    BOOST_TEST(duration("7.25m").count() == nanoseconds(435s).count());
    BOOST_TEST(duration("1.000000001s").count() == 1000000001);
}

BOOST_AUTO_TEST_CASE(a_plain_number_is_seconds)
{
    BOOST_TEST(duration("10").count() == nanoseconds(10s).count());
    BOOST_TEST(duration("0.5").count() == nanoseconds(500ms).count());
    BOOST_TEST(duration(".5").count() == nanoseconds(500ms).count());
    BOOST_TEST(duration("0").count() == 0);
}

BOOST_AUTO_TEST_CASE(bad_durations_are_usage_errors_that_do_not_repeat_the_value)
{
    for (const char* text : {"abc", "5x", "5S", "1.5.5s", "s", ".s", "5.", "1e3", " 5s", "5 s", "", "5sec", "0x10",
                             "-1", "+5s", "-0.5", "99999999999999999999", "100000000d", "106752d"})
    {
        BOOST_TEST_CONTEXT("duration '" << text << "'")
        {
            BOOST_CHECK_THROW(duration(text), tool::usage_error);
            try
            {
                duration(text);
            }
            catch (const tool::usage_error& e)
            {
                BOOST_TEST(std::string(e.what()).starts_with("--timeout: "));
            }
        }
    }
    for (const char* text : {"s3cret", "5s3cret", "-s3cret", "1.s3cret", "1.5s3cret"})
    {
        BOOST_TEST_CONTEXT("duration '" << text << "'")
        {
            try
            {
                duration(text);
                BOOST_ERROR("accepted");
            }
            catch (const tool::usage_error& e)
            {
                BOOST_TEST(std::string(e.what()).find("s3cret") == std::string::npos);
            }
        }
    }
    // The largest duration a std::chrono::nanoseconds holds is accepted.
    BOOST_TEST(duration("106751d").count() == nanoseconds(106751 * 24h).count());
}

BOOST_AUTO_TEST_CASE(signals_by_name_and_number)
{
    BOOST_TEST(tool::parse_signal("TERM", "--signal") == SIGTERM);
    BOOST_TEST(tool::parse_signal("SIGTERM", "--signal") == SIGTERM);
    BOOST_TEST(tool::parse_signal("int", "--signal") == SIGINT);
    BOOST_TEST(tool::parse_signal("SigKill", "--signal") == SIGKILL);
    BOOST_TEST(tool::parse_signal("9", "--signal") == 9);
    BOOST_TEST(tool::parse_signal("USR1", "--signal") == SIGUSR1);
    for (const char* text : {"", "SIG", "0", "65", "999", "NOPE", "-9", "TERM ", "1000"})
        BOOST_CHECK_THROW(tool::parse_signal(text, "--signal"), tool::usage_error);
    BOOST_TEST(tool::signal_name(SIGINT) == "SIGINT");
}

BOOST_AUTO_TEST_CASE(env_entries)
{
    BOOST_TEST(tool::parse_env_entry("A=1", 1).first == "A");
    BOOST_TEST(tool::parse_env_entry("A=1", 1).second == "1");
    BOOST_TEST(tool::parse_env_entry("B=x=y", 1).second == "x=y");
    BOOST_TEST(tool::parse_env_entry("C=", 1).second == "");
    BOOST_CHECK_THROW(tool::parse_env_entry("s3cret", 1), tool::usage_error);
    BOOST_CHECK_THROW(tool::parse_env_entry("=s3cret", 1), tool::usage_error);
    BOOST_TEST(error_of({"run", "--env", "A=1", "--env", "s3cret", "--", "true"}) == "--env entry 2 is not NAME=VALUE");
}

BOOST_AUTO_TEST_CASE(program_and_arguments_are_untouched)
{
    auto o = run_of({"run", "--", "ls", "-l", "--timeout", "x"});
    BOOST_TEST((o.program == std::vector<std::string>{"ls", "-l", "--timeout", "x"}));
    // Without "--", PROGRAM is the first argument that is not an option or an option's value.
    o = run_of({"run", "--timeout", "5s", "-k", "1s", "ls", "-l", "--json"});
    BOOST_TEST((o.program == std::vector<std::string>{"ls", "-l", "--json"}));
    BOOST_TEST(!o.json);
    BOOST_TEST(o.timeout->count() == nanoseconds(5s).count());
    BOOST_TEST(o.grace.count() == nanoseconds(1s).count());
    o = run_of({"run", "--", "--", "-"});
    BOOST_TEST((o.program == std::vector<std::string>{"--", "-"}));
    o = run_of({"run", "-", "x"});
    BOOST_TEST((o.program == std::vector<std::string>{"-", "x"}));
}

BOOST_AUTO_TEST_CASE(run_options_parse)
{
    auto o = run_of({"run", "--timeout=1.5s", "--idle-timeout", "300ms", "--grace=0", "-sINT", "--cwd", "/tmp", "--env",
                     "A=1", "--env=B=2", "--json", "--mechanism", "process_group", "--", "true"});
    BOOST_TEST(o.timeout->count() == nanoseconds(1500ms).count());
    BOOST_TEST(o.idle_timeout->count() == nanoseconds(300ms).count());
    BOOST_TEST(o.grace.count() == 0);
    BOOST_TEST(o.timeout_signal == SIGINT);
    BOOST_TEST(*o.cwd == "/tmp");
    BOOST_TEST(o.env.size() == 2u);
    BOOST_TEST(o.env[1].first == "B");
    BOOST_TEST(o.env[1].second == "2");
    BOOST_TEST(o.json);
    BOOST_TEST((o.group.mechanism == boost::processkit::mechanism_request::process_group));
    // Defaults.
    o = run_of({"run", "true"});
    BOOST_TEST(!o.timeout);
    BOOST_TEST(!o.idle_timeout);
    BOOST_TEST(o.grace.count() == nanoseconds(tool::default_grace).count());
    BOOST_TEST(o.timeout_signal == SIGTERM);
    BOOST_TEST((o.group.mechanism == boost::processkit::mechanism_request::automatic));
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_option_not_the_value)
{
    BOOST_TEST(error_of({"run", "--timeout", "0", "true"}) == "--timeout must be greater than zero");
    BOOST_TEST(error_of({"run", "--idle-timeout", "0s", "true"}) == "--idle-timeout must be greater than zero");
    BOOST_TEST(error_of({"run", "--bogus=s3cret", "true"}) == "unknown option '--bogus'");
    BOOST_TEST(error_of({"run", "-Xs3cret", "true"}) == "unknown option '-X'");
    BOOST_TEST(error_of({"run", "--timeout"}) == "option '--timeout' needs a value");
    BOOST_TEST(error_of({"run", "--json=s3cret", "true"}) == "option '--json' takes no value");
    BOOST_TEST(error_of({"run", "--timeout=1", "--timeout=2", "true"}) == "option '--timeout' given more than once");
    BOOST_TEST(error_of({"run", "--time", "5s", "true"}) == "unknown option '--time'");
    BOOST_TEST(error_of({"run"}) == "no PROGRAM given");
    BOOST_TEST(error_of({"s3cret"}).find("s3cret") == std::string::npos);
    BOOST_TEST(error_of({"doctor", "s3cret"}) == "doctor takes no arguments");
    BOOST_TEST(error_of({"run", "--mechanism", "s3cret", "true"}).find("s3cret") == std::string::npos);
    BOOST_TEST(error_of({}) == "no command given");
}

BOOST_AUTO_TEST_CASE(help_and_version)
{
    for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                           {"-h"},
                                                           {"help"},
                                                           {"run", "--help"},
                                                           {"help", "run"},
                                                           {"doctor", "-h"},
                                                           {"demo", "--help"},
                                                           {"--version"}})
        BOOST_TEST(std::holds_alternative<tool::print_text>(tool::parse_command_line(args)));
    const auto run_help = std::get<tool::print_text>(tool::parse_command_line({"run", "--help"})).text;
    BOOST_TEST(run_help.find("A plain number is seconds") != std::string::npos);
    BOOST_TEST(run_help.find("--idle-timeout") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(durations_read_back)
{
    BOOST_TEST(tool::format_duration(300ms) == "300ms");
    BOOST_TEST(tool::format_duration(1500ms) == "1.5s");
    BOOST_TEST(tool::format_duration(5s) == "5s");
    BOOST_TEST(tool::format_duration(90s) == "90s");
    BOOST_TEST(tool::format_duration(2min) == "2m");
    BOOST_TEST(tool::format_duration(2h) == "2h");
    BOOST_TEST(tool::format_duration(250us) == "0.25ms");
}
