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

// ---------------------------------------------------------------- processkit supervise

namespace {

tool::supervise_options supervise_of(const std::vector<std::string>& args)
{
    return std::get<tool::supervise_options>(tool::parse_command_line(args));
}

// The usage_error message of `parse(text)`, or "" if it parses.
template <class Parse>
std::string value_error(Parse parse, const char* text)
{
    try
    {
        (void)parse(text);
    }
    catch (const tool::usage_error& e)
    {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_CASE(supervise_options_parse)
{
    namespace pk = boost::processkit;
    auto o = supervise_of({"supervise",
                           "--restart",
                           "always",
                           "--max-restarts=7",
                           "--backoff",
                           "50ms..2s",
                           "--storm",
                           "5/10s:30s",
                           "--health-cmd",
                           "  check\t--fast  x ",
                           "--health-interval",
                           "250ms",
                           "--health-failures",
                           "2",
                           "-k",
                           "1.5s",
                           "--mechanism",
                           "process_group",
                           "--",
                           "srv",
                           "-v"});
    BOOST_TEST((o.restart == pk::restart_policy::always));
    BOOST_TEST(*o.max_restarts == 7u);
    BOOST_TEST(o.backoff.min.count() == nanoseconds(50ms).count());
    BOOST_TEST(o.backoff.max.count() == nanoseconds(2s).count());
    BOOST_TEST(o.storm->failures == 5u);
    BOOST_TEST(o.storm->window.count() == nanoseconds(10s).count());
    BOOST_TEST(o.storm->pause.count() == nanoseconds(30s).count());
    BOOST_TEST((o.health_command == std::vector<std::string>{"check", "--fast", "x"}));
    BOOST_TEST(o.health_interval.count() == nanoseconds(250ms).count());
    BOOST_TEST(o.health_failures == 2u);
    BOOST_TEST(o.grace.count() == nanoseconds(1500ms).count());
    BOOST_TEST((o.group.mechanism == pk::mechanism_request::process_group));
    BOOST_TEST((o.program == std::vector<std::string>{"srv", "-v"}));
    // Defaults: the library's restart policy and backoff, run's grace, no storm, no health check.
    o = supervise_of({"supervise", "srv", "--restart", "never"});
    BOOST_TEST((o.program == std::vector<std::string>{"srv", "--restart", "never"}));
    BOOST_TEST((o.restart == pk::restart_policy::on_failure));
    BOOST_TEST(!o.max_restarts);
    BOOST_TEST(o.backoff.min.count() == nanoseconds(100ms).count());
    BOOST_TEST(o.backoff.max.count() == nanoseconds(30s).count());
    BOOST_TEST(!o.storm);
    BOOST_TEST(o.health_command.empty());
    BOOST_TEST(o.health_interval.count() == nanoseconds(10s).count());
    BOOST_TEST(o.health_failures == 3u);
    BOOST_TEST(o.grace.count() == nanoseconds(tool::default_grace).count());
    BOOST_TEST((o.group.mechanism == pk::mechanism_request::automatic));
    // Edge values that are allowed.
    o = supervise_of({"supervise", "--max-restarts", "0", "--backoff", "0..0", "--storm", "1/1ms:0", "--grace", "0",
                      "--restart", "on-failure", "true"});
    BOOST_TEST(*o.max_restarts == 0u);
    BOOST_TEST(o.backoff.max.count() == 0);
    BOOST_TEST(o.storm->pause.count() == 0);
    BOOST_TEST(o.grace.count() == 0);
}

BOOST_AUTO_TEST_CASE(supervise_value_parsers)
{
    namespace pk = boost::processkit;
    BOOST_TEST((tool::parse_restart_policy("never", "--restart") == pk::restart_policy::never));
    for (const char* text : {"", "Always", "on_failure", "onfailure", "never "})
        BOOST_CHECK_THROW(tool::parse_restart_policy(text, "--restart"), tool::usage_error);

    BOOST_TEST(tool::parse_count("0", "--max-restarts") == 0u);
    BOOST_TEST(tool::parse_count("1000000000", "--max-restarts") == 1000000000u);
    for (const char* text : {"", "-1", "+1", "1.5", "1e3", " 1", "0x10", "1000000001", "99999999999999999999999"})
        BOOST_CHECK_THROW(tool::parse_count(text, "--max-restarts"), tool::usage_error);

    auto backoff = tool::parse_backoff("1.5s..2m", "--backoff");
    BOOST_TEST(backoff.min.count() == nanoseconds(1500ms).count());
    BOOST_TEST(backoff.max.count() == nanoseconds(2min).count());
    backoff = tool::parse_backoff(".5..1", "--backoff");
    BOOST_TEST(backoff.min.count() == nanoseconds(500ms).count());
    BOOST_TEST(backoff.max.count() == nanoseconds(1s).count());
    for (const char* text : {"", "..", "1s", "1s..", "..1s", "1s...2s", "2s..1s", "1s-2s", "1s..2s..3s", "-1s..2s"})
        BOOST_CHECK_THROW(tool::parse_backoff(text, "--backoff"), tool::usage_error);

    auto storm = tool::parse_storm("3/1.5m:1h", "--storm");
    BOOST_TEST(storm.failures == 3u);
    BOOST_TEST(storm.window.count() == nanoseconds(90s).count());
    BOOST_TEST(storm.pause.count() == nanoseconds(1h).count());
    for (const char* text : {"", "5", "5/10s", "5:30s", "5:30s/10s", "0/10s:30s", "5/0:30s", "x/10s:30s",
                             "5/10s:", "/10s:30s", "5/10s:30s:1s", "5/10s:-1s"})
        BOOST_CHECK_THROW(tool::parse_storm(text, "--storm"), tool::usage_error);

    BOOST_TEST((tool::split_words(" a  b\tc\n") == std::vector<std::string>{"a", "b", "c"}));
    BOOST_TEST((tool::split_words("'a b'") == std::vector<std::string>{"'a", "b'"})); // no quoting
    BOOST_TEST(tool::split_words(" \t ").empty());
}

BOOST_AUTO_TEST_CASE(supervise_value_errors_name_the_option_not_the_value)
{
    auto restart = [](const char* t) { return tool::parse_restart_policy(t, "--restart"); };
    auto count = [](const char* t) { return tool::parse_count(t, "--max-restarts"); };
    auto backoff = [](const char* t) { return tool::parse_backoff(t, "--backoff"); };
    auto storm = [](const char* t) { return tool::parse_storm(t, "--storm"); };
    BOOST_TEST(value_error(restart, "s3cret") == "--restart: expected always, on-failure or never");
    BOOST_TEST(value_error(count, "s3cret").starts_with("--max-restarts: not a count"));
    BOOST_TEST(value_error(count, "123456789012") == "--max-restarts: the count is too large (at most 1000000000)");
    for (const char* text : {"s3cret", "s3cret..1s", "1s..s3cret", "1s..s3cret.."})
    {
        BOOST_TEST_CONTEXT("--backoff " << text)
        {
            BOOST_TEST(value_error(backoff, text).starts_with("--backoff: "));
            BOOST_TEST(value_error(backoff, text).find("s3cret") == std::string::npos);
        }
    }
    BOOST_TEST(value_error(backoff, "2s..1s") == "--backoff: MAX must not be shorter than MIN");
    for (const char* text : {"s3cret", "s3cret/1s:1s", "1/s3cret:1s", "1/1s:s3cret", "1/1s"})
    {
        BOOST_TEST_CONTEXT("--storm " << text)
        {
            BOOST_TEST(value_error(storm, text).starts_with("--storm: "));
            BOOST_TEST(value_error(storm, text).find("s3cret") == std::string::npos);
        }
    }
    BOOST_TEST(value_error(storm, "0/1s:1s") == "--storm: N must be at least 1");
    BOOST_TEST(value_error(storm, "1/0s:1s") == "--storm: WINDOW must be greater than zero");
}

BOOST_AUTO_TEST_CASE(supervise_usage_errors)
{
    BOOST_TEST(error_of({"supervise"}) == "no PROGRAM given");
    BOOST_TEST(error_of({"supervise", "--max-restarts", "2", "--"}) == "no PROGRAM given");
    BOOST_TEST(error_of({"supervise", "--restart=s3cret", "true"}) ==
               "--restart: expected always, on-failure or never");
    BOOST_TEST(error_of({"supervise", "--max-restarts", "-s3cret", "true"}).starts_with("--max-restarts: "));
    BOOST_TEST(error_of({"supervise", "--backoff", "s3cret", "true"}).starts_with("--backoff: "));
    BOOST_TEST(error_of({"supervise", "--storm", "s3cret", "true"}).starts_with("--storm: "));
    BOOST_TEST(error_of({"supervise", "--health-cmd", " ", "true"}) == "--health-cmd needs a program");
    BOOST_TEST(error_of({"supervise", "--health-interval", "1s", "true"}) == "--health-interval needs --health-cmd");
    BOOST_TEST(error_of({"supervise", "--health-failures", "2", "true"}) == "--health-failures needs --health-cmd");
    BOOST_TEST(error_of({"supervise", "--health-cmd", "c", "--health-interval", "0", "true"}) ==
               "--health-interval must be greater than zero");
    BOOST_TEST(error_of({"supervise", "--health-cmd", "c", "--health-interval", "s3cret", "true"})
                   .starts_with("--health-interval: not a duration"));
    BOOST_TEST(error_of({"supervise", "--health-cmd", "c", "--health-failures", "0", "true"}) ==
               "--health-failures must be at least 1");
    BOOST_TEST(error_of({"supervise", "--health-cmd", "c", "--health-failures", "s3cret", "true"})
                   .starts_with("--health-failures: not a count"));
    BOOST_TEST(error_of({"supervise", "--grace", "s3cret", "true"}).starts_with("--grace: not a duration"));
    BOOST_TEST(error_of({"supervise", "--mechanism", "s3cret", "true"}) ==
               "--mechanism: expected automatic, cgroup_v2 or process_group");
    BOOST_TEST(error_of({"supervise", "--timeout", "5s", "true"}) == "unknown option '--timeout'");
    BOOST_TEST(error_of({"supervise", "--storm=s3cret", "--storm=1/1s:1s", "true"}) ==
               "option '--storm' given more than once");
    BOOST_TEST(error_of({"supervise", "--backoff"}) == "option '--backoff' needs a value");
    for (const char* option : {"--restart", "--max-restarts", "--backoff", "--storm", "--health-interval",
                               "--health-failures", "--grace", "--mechanism"})
        BOOST_TEST_CONTEXT(option)
        {
            BOOST_TEST(error_of({"supervise", "--health-cmd", "c", option, "s3cret", "true"}).find("s3cret") ==
                       std::string::npos);
        }
}

BOOST_AUTO_TEST_CASE(supervise_help)
{
    for (auto args : std::vector<std::vector<std::string>>{{"supervise", "--help"},
                                                           {"supervise", "-h"},
                                                           {"help", "supervise"},
                                                           {"supervise", "--storm", "s3cret", "--help", "--", "true"}})
        BOOST_TEST(std::holds_alternative<tool::print_text>(tool::parse_command_line(args)));
    const auto help = std::get<tool::print_text>(tool::parse_command_line({"supervise", "--help"})).text;
    BOOST_TEST(help.starts_with("usage: processkit supervise"));
    for (const char* option : {"--restart", "--max-restarts", "--backoff", "--storm", "--health-cmd",
                               "--health-interval", "--health-failures", "--grace", "--mechanism"})
        BOOST_TEST_CONTEXT(option) { BOOST_TEST(help.find(option) != std::string::npos); }
    BOOST_TEST(help.find("without a shell") != std::string::npos);
    const auto top = std::get<tool::print_text>(tool::parse_command_line({"--help"})).text;
    BOOST_TEST(top.find("\n  supervise ") != std::string::npos);
    BOOST_TEST(error_of({"help", "s3cret"}) == "unknown command (expected run, supervise, doctor, demo or help)");
}
