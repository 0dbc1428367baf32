// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include "cli.hpp"

#include <boost/processkit/config.hpp>
#include <boost/program_options.hpp>
#include <boost/version.hpp>

#include <sstream>

namespace boost {
namespace processkit {
namespace tool {
namespace {

namespace po = boost::program_options;
using std::chrono::nanoseconds;

// ---------------------------------------------------------------- help texts

constexpr const char* top_usage = "usage: processkit COMMAND [OPTIONS] [ARGS...]\n"
                                  "       processkit --help | --version\n"
                                  "\n"
                                  "Runs programs so that nothing they start outlives them: the program's whole\n"
                                  "process tree lives in a private cgroup v2 (or a POSIX process group) that is\n"
                                  "killed when the program ends, times out, or processkit is interrupted.\n"
                                  "\n"
                                  "Commands:\n"
                                  "  run        run a program; its whole tree ends with it\n"
                                  "  supervise  run a program and start it again when it ends (restart policy,\n"
                                  "             backoff, crash-storm pause, health check)\n"
                                  "  doctor     show what containment this host gives, and why\n"
                                  "  demo       start a process tree in a group, destroy the group, show that\n"
                                  "             nothing survived\n"
                                  "  help       show a command's help (as does 'processkit COMMAND --help')\n";

constexpr const char* run_usage = "usage: processkit run [OPTIONS] [--] PROGRAM [ARGS...]\n"
                                  "\n"
                                  "Runs PROGRAM with processkit's stdin, stdout and stderr in a private group\n"
                                  "(a cgroup v2 if the host allows, else a POSIX process group). When PROGRAM\n"
                                  "exits, times out, or processkit receives a signal, everything PROGRAM started\n"
                                  "is killed, and processkit exits only once the whole tree is gone.\n"
                                  "PROGRAM and every argument after it are passed on untouched: options after\n"
                                  "PROGRAM are PROGRAM's own; '--' ends processkit's options explicitly.\n";

constexpr const char* run_epilogue = "\n"
                                     "Durations: a number and a unit, ms, s, m, h or d: 300ms, 5s, 1.5s, 2m.\n"
                                     "A plain number is seconds, as in timeout(1).\n"
                                     "\n"
                                     "Signals: SIGINT (Ctrl-C), SIGTERM, SIGHUP and SIGQUIT sent to processkit are\n"
                                     "sent on to the whole tree (one the terminal sent to the program as well is\n"
                                     "not sent twice); what is left of the tree after the grace period is killed\n"
                                     "with SIGKILL, and a second such signal kills it at once. processkit then\n"
                                     "exits with 128 + the signal's number (130 for SIGINT), like timeout(1).\n"
                                     "A SIGHUP that is ignored when processkit starts (nohup) stays ignored.\n"
                                     "\n"
                                     "Exit status:\n"
                                     "  N        PROGRAM exited with code N\n"
                                     "  124      --timeout or --idle-timeout expired (the tree was killed)\n"
                                     "  125      a usage error, or processkit itself failed\n"
                                     "  126      PROGRAM was found but could not be run\n"
                                     "  127      PROGRAM was not found\n"
                                     "  128+N    PROGRAM was killed by signal N, or processkit received signal N\n";

constexpr const char* supervise_usage =
    "usage: processkit supervise [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM as 'processkit run' does (its whole tree in a private group, with\n"
    "processkit's stdout and stderr, but /dev/null for stdin) and starts it again\n"
    "when it ends, as --restart says, after a backoff. Each run's tree is gone\n"
    "before the next run starts, and none is left when processkit exits.\n"
    "processkit writes one line per event on stderr, each beginning with\n"
    "'processkit: ' (started, exited, restarting, storm pause, unhealthy, stopped);\n"
    "stdout is PROGRAM's alone. PROGRAM and every argument after it are passed on\n"
    "untouched.\n";

constexpr const char* supervise_epilogue =
    "\n"
    "Durations: a number and a unit, ms, s, m, h or d: 300ms, 5s, 1.5s, 2m.\n"
    "A plain number is seconds.\n"
    "\n"
    "A run fails when it does not exit 0, or is killed for failing its health check.\n"
    "--health-cmd is split at whitespace into a program and its arguments and run\n"
    "without a shell: quotes, $VARIABLES, pipes and redirections mean nothing in it.\n"
    "A check passes when it exits 0 within --health-interval.\n"
    "\n"
    "Signals: SIGINT (Ctrl-C), SIGTERM, SIGHUP and SIGQUIT sent to processkit end\n"
    "supervision: the current tree gets SIGTERM, and SIGKILL after the grace period\n"
    "or at a second such signal. processkit then exits with 128 + the signal's number\n"
    "(130 for SIGINT). A SIGHUP that is ignored when processkit starts stays ignored.\n"
    "\n"
    "Exit status:\n"
    "  N        the last run exited with code N\n"
    "  125      a usage error, or processkit itself failed\n"
    "  126      PROGRAM was found but could not be run\n"
    "  127      PROGRAM was not found\n"
    "  128+N    the last run was killed by signal N (137: SIGKILL, as after a failed\n"
    "           health check), or processkit received signal N\n";

constexpr const char* doctor_usage = "usage: processkit doctor [--json]\n"
                                     "\n"
                                     "Shows which containment a process tree gets on this host (cgroup v2 or a\n"
                                     "POSIX process group) and why, without starting anything. Exits 0 when exits\n"
                                     "can be watched safely (pidfd), else 1.\n";

constexpr const char* demo_usage = "usage: processkit demo [--mechanism M]\n"
                                   "\n"
                                   "Starts a three-level process tree in a group, destroys the group and shows\n"
                                   "that no process of the tree survived (exit status 0), or lists the survivors\n"
                                   "(exit status 1).\n";

constexpr const char* mechanism_help = "containment: automatic (the default: cgroup v2 if the host allows, else a "
                                       "process group), cgroup_v2 (fail if unavailable) or process_group";

// ---------------------------------------------------------------- option tables

po::options_description top_options()
{
    po::options_description d("Options");
    d.add_options()                           //
        ("help,h", "show this help and exit") //
        ("version", "show processkit's version and exit");
    return d;
}

po::options_description run_option_table()
{
    po::options_description d("Options");
    d.add_options()                                                              //
        ("help,h", "show this help and exit")                                    //
        ("mechanism", po::value<std::string>()->value_name("M"), mechanism_help) //
        ("timeout", po::value<std::string>()->value_name("D"),
         "kill the whole tree when PROGRAM runs longer than D (exit status 124)") //
        ("idle-timeout", po::value<std::string>()->value_name("D"),
         "kill the whole tree when it writes nothing to stdout or stderr for D "
         "(exit status 124); PROGRAM's output then goes through pipes and is "
         "passed on line by line, as UTF-8 text") //
        ("signal,s", po::value<std::string>()->value_name("SIG"),
         "on a timeout, send SIG to the tree first (default TERM), and SIGKILL "
         "after the grace period") //
        ("grace,k", po::value<std::string>()->value_name("D"),
         "time between the first signal to the tree and SIGKILL (default 5s; 0: "
         "SIGKILL right after the signal)")                                        //
        ("cwd", po::value<std::string>()->value_name("DIR"), "run PROGRAM in DIR") //
        ("env", po::value<std::vector<std::string>>()->value_name("NAME=VALUE"),
         "set NAME in PROGRAM's environment (repeatable)") //
        ("json", "when the run is over, print its result on stdout as one JSON "
                 "object: outcome, code, signal, duration (seconds), mechanism, "
                 "exit_status, received_signal");
    return d;
}

po::options_description supervise_option_table()
{
    po::options_description d("Options");
    d.add_options()                           //
        ("help,h", "show this help and exit") //
        ("restart", po::value<std::string>()->value_name("WHEN"),
         "when to start PROGRAM again: always, on-failure (the default: after a run "
         "that failed) or never") //
        ("max-restarts", po::value<std::string>()->value_name("N"),
         "start PROGRAM again at most N times in all, then exit with the last run's "
         "status (default: no limit)") //
        ("backoff", po::value<std::string>()->value_name("MIN..MAX"),
         "wait MIN before the first restart, twice as long before each next one, at "
         "most MAX (default 100ms..30s; back to MIN after a run that lasted 30s)") //
        ("storm", po::value<std::string>()->value_name("N/WINDOW:PAUSE"),
         "after N failed runs within WINDOW, pause restarting for PAUSE (for example "
         "5/10s:30s; default: no pause)") //
        ("health-cmd", po::value<std::string>()->value_name("CMD"),
         "while a run is up, run CMD every --health-interval as a liveness check (no "
         "shell: see below); after --health-failures failed checks in a row the run's "
         "tree is killed (SIGKILL)") //
        ("health-interval", po::value<std::string>()->value_name("D"),
         "time between health checks, and the time limit of each (default 10s)") //
        ("health-failures", po::value<std::string>()->value_name("K"),
         "failed health checks in a row that kill the run (default 3)") //
        ("grace,k", po::value<std::string>()->value_name("D"),
         "on a signal to processkit, time between SIGTERM to the tree and SIGKILL "
         "(default 5s; 0: SIGKILL at once)") //
        ("mechanism", po::value<std::string>()->value_name("M"), mechanism_help);
    return d;
}

po::options_description doctor_option_table()
{
    po::options_description d("Options");
    d.add_options()                           //
        ("help,h", "show this help and exit") //
        ("json", "print the report as one JSON object");
    return d;
}

po::options_description demo_option_table()
{
    po::options_description d("Options");
    d.add_options()                           //
        ("help,h", "show this help and exit") //
        ("mechanism", po::value<std::string>()->value_name("M"), mechanism_help);
    return d;
}

std::string help_text(const char* usage, const po::options_description& options, const char* epilogue = "")
{
    std::ostringstream os;
    os << usage << "\n" << options << epilogue;
    return os.str();
}

std::string version_text()
{
    std::ostringstream os;
    os << "processkit " << BOOST_PROCESSKIT_VERSION / 100000 << '.' << BOOST_PROCESSKIT_VERSION / 100 % 1000 << '.'
       << BOOST_PROCESSKIT_VERSION % 100 << " (Boost " << BOOST_VERSION / 100000 << '.' << BOOST_VERSION / 100 % 1000
       << '.' << BOOST_VERSION % 100 << ")\n";
    return os.str();
}

// ---------------------------------------------------------------- splitting

// The options of a subcommand, and PROGRAM [ARGS...]: everything after "--",
// or from the first argument that is not an option (nor an option's value) on.
struct split_args
{
    std::vector<std::string> options;
    std::vector<std::string> rest;
};

// An option token whose value is the next token ("--timeout 5s", "-k 5s"),
// as opposed to "--timeout=5s", "-k5s" or a flag.
bool value_follows(const std::string& token, const po::options_description& table)
{
    std::string name;
    if (token.starts_with("--"))
    {
        if (token.find('=') != std::string::npos)
            return false;
        name = token.substr(2);
    }
    else if (token.size() == 2)
        name = token; // program_options finds short options as "-k"
    else
        return false;
    const po::option_description* d = table.find_nothrow(name, false);
    return d && d->semantic()->max_tokens() > 0;
}

split_args split_at_program(const std::vector<std::string>& args, std::size_t first,
                            const po::options_description& table)
{
    split_args out;
    for (std::size_t i = first; i < args.size(); ++i)
    {
        const std::string& token = args[i];
        if (token == "--")
        {
            out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            break;
        }
        if (token.size() < 2 || token[0] != '-')
        {
            out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        out.options.push_back(token);
        if (value_follows(token, table) && i + 1 < args.size())
            out.options.push_back(args[++i]);
    }
    return out;
}

// ---------------------------------------------------------------- program_options, safely

// The option an error is about, without any value glued to it
// ("--env=SECRET" -> "--env", "-kSECRET" -> "-k").
std::string option_of(const po::error_with_option_name& e)
{
    std::string name = e.get_option_name();
    if (name.starts_with("--"))
        return name.substr(0, name.find('='));
    if (name.starts_with("-"))
        return name.substr(0, 2);
    return name;
}

// program_options' own messages may quote a whole token, value included.
std::string describe(const po::error& e)
{
    const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
    if (!named)
        return "invalid command line";
    const std::string option = "'" + option_of(*named) + "'";
    if (dynamic_cast<const po::unknown_option*>(&e))
        return "unknown option " + option;
    if (dynamic_cast<const po::multiple_occurrences*>(&e))
        return "option " + option + " given more than once";
    if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&e))
        switch (syntax->kind())
        {
        case po::invalid_syntax::missing_parameter: return "option " + option + " needs a value";
        case po::invalid_syntax::empty_adjacent_parameter: return "option " + option + " needs a value after '='";
        case po::invalid_syntax::extra_parameter: return "option " + option + " takes no value";
        default: break;
        }
    return "invalid use of option " + option;
}

po::variables_map parse_options(const std::vector<std::string>& tokens, const po::options_description& table,
                                const std::string& command)
{
    namespace style = po::command_line_style;
    po::variables_map vm;
    try
    {
        po::store(po::command_line_parser(tokens)
                      .options(table)
                      .style(style::default_style & ~style::allow_guessing & ~style::allow_sticky)
                      .run(),
                  vm);
        po::notify(vm);
    }
    catch (const po::error& e)
    {
        throw usage_error(command, describe(e));
    }
    return vm;
}

const std::string* string_value(const po::variables_map& vm, const char* name)
{
    return vm.count(name) ? &vm[name].as<std::string>() : nullptr;
}

// ---------------------------------------------------------------- subcommands

void expect_no_arguments(const split_args& split, const std::string& command)
{
    if (!split.rest.empty())
        throw usage_error(command, command + " takes no arguments");
}

nanoseconds positive_duration(const std::string& text, const char* option)
{
    const nanoseconds d = parse_duration(text, option);
    if (d <= nanoseconds::zero())
        throw usage_error("", std::string(option) + " must be greater than zero");
    return d;
}

invocation parse_run(const std::vector<std::string>& args)
{
    const std::string command = "run";
    const po::options_description table = run_option_table();
    const split_args split = split_at_program(args, 1, table);
    const po::variables_map vm = parse_options(split.options, table, command);
    if (vm.count("help"))
        return print_text{help_text(run_usage, table, run_epilogue)};
    try
    {
        run_options o;
        if (auto* m = string_value(vm, "mechanism"))
            o.group.mechanism = parse_mechanism(*m, "--mechanism");
        if (auto* t = string_value(vm, "timeout"))
            o.timeout = positive_duration(*t, "--timeout");
        if (auto* t = string_value(vm, "idle-timeout"))
            o.idle_timeout = positive_duration(*t, "--idle-timeout");
        if (auto* g = string_value(vm, "grace"))
            o.grace = parse_duration(*g, "--grace");
        if (auto* s = string_value(vm, "signal"))
            o.timeout_signal = parse_signal(*s, "--signal");
        if (auto* dir = string_value(vm, "cwd"))
        {
            if (dir->empty())
                throw usage_error("", "--cwd needs a directory");
            o.cwd = *dir;
        }
        if (vm.count("env"))
        {
            std::size_t index = 0;
            for (const std::string& entry : vm["env"].as<std::vector<std::string>>())
                o.env.push_back(parse_env_entry(entry, ++index));
        }
        o.json = vm.count("json") > 0;
        if (split.rest.empty())
            throw usage_error("", "no PROGRAM given");
        o.program = split.rest;
        return o;
    }
    catch (const usage_error& e)
    {
        throw usage_error(command, e.what());
    }
}

// The health check of `processkit supervise`: --health-interval and
// --health-failures mean nothing without --health-cmd.
void parse_health(const po::variables_map& vm, supervise_options& o)
{
    if (auto* cmd = string_value(vm, "health-cmd"))
    {
        o.health_command = split_words(*cmd);
        if (o.health_command.empty())
            throw usage_error("", "--health-cmd needs a program");
    }
    for (const char* option : {"health-interval", "health-failures"})
        if (vm.count(option) && o.health_command.empty())
            throw usage_error("", std::string("--") + option + " needs --health-cmd");
    if (auto* t = string_value(vm, "health-interval"))
        o.health_interval = positive_duration(*t, "--health-interval");
    if (auto* k = string_value(vm, "health-failures"))
    {
        o.health_failures = parse_count(*k, "--health-failures");
        if (o.health_failures == 0)
            throw usage_error("", "--health-failures must be at least 1");
    }
}

invocation parse_supervise(const std::vector<std::string>& args)
{
    const std::string command = "supervise";
    const po::options_description table = supervise_option_table();
    const split_args split = split_at_program(args, 1, table);
    const po::variables_map vm = parse_options(split.options, table, command);
    if (vm.count("help"))
        return print_text{help_text(supervise_usage, table, supervise_epilogue)};
    try
    {
        supervise_options o;
        if (auto* m = string_value(vm, "mechanism"))
            o.group.mechanism = parse_mechanism(*m, "--mechanism");
        if (auto* r = string_value(vm, "restart"))
            o.restart = parse_restart_policy(*r, "--restart");
        if (auto* n = string_value(vm, "max-restarts"))
            o.max_restarts = parse_count(*n, "--max-restarts");
        if (auto* b = string_value(vm, "backoff"))
            o.backoff = parse_backoff(*b, "--backoff");
        if (auto* s = string_value(vm, "storm"))
            o.storm = parse_storm(*s, "--storm");
        parse_health(vm, o);
        if (auto* g = string_value(vm, "grace"))
            o.grace = parse_duration(*g, "--grace");
        if (split.rest.empty())
            throw usage_error("", "no PROGRAM given");
        o.program = split.rest;
        return o;
    }
    catch (const usage_error& e)
    {
        throw usage_error(command, e.what());
    }
}

invocation parse_doctor(const std::vector<std::string>& args)
{
    const std::string command = "doctor";
    const po::options_description table = doctor_option_table();
    const split_args split = split_at_program(args, 1, table);
    const po::variables_map vm = parse_options(split.options, table, command);
    if (vm.count("help"))
        return print_text{help_text(doctor_usage, table)};
    expect_no_arguments(split, command);
    doctor_options o;
    o.json = vm.count("json") > 0;
    return o;
}

invocation parse_demo(const std::vector<std::string>& args)
{
    const std::string command = "demo";
    const po::options_description table = demo_option_table();
    const split_args split = split_at_program(args, 1, table);
    const po::variables_map vm = parse_options(split.options, table, command);
    if (vm.count("help"))
        return print_text{help_text(demo_usage, table)};
    expect_no_arguments(split, command);
    demo_options o;
    try
    {
        if (auto* m = string_value(vm, "mechanism"))
            o.mechanism = parse_mechanism(*m, "--mechanism");
    }
    catch (const usage_error& e)
    {
        throw usage_error(command, e.what());
    }
    return o;
}

// The help of one command, for `processkit help COMMAND`.
std::string command_help(const std::string& command)
{
    if (command == "run")
        return help_text(run_usage, run_option_table(), run_epilogue);
    if (command == "supervise")
        return help_text(supervise_usage, supervise_option_table(), supervise_epilogue);
    if (command == "doctor")
        return help_text(doctor_usage, doctor_option_table());
    if (command == "demo")
        return help_text(demo_usage, demo_option_table());
    if (command == "help")
        return help_text(top_usage, top_options());
    throw usage_error("", "unknown command (expected run, supervise, doctor, demo or help)");
}

} // namespace

// ---------------------------------------------------------------- entry point

invocation parse_command_line(const std::vector<std::string>& args)
{
    const po::options_description table = top_options();
    const split_args split = split_at_program(args, 0, table);
    const po::variables_map vm = parse_options(split.options, table, "");
    if (vm.count("help"))
        return print_text{help_text(top_usage, table)};
    if (vm.count("version"))
        return print_text{version_text()};
    if (split.rest.empty())
        throw usage_error("", "no command given");
    // The subcommands parse the arguments after the command name.
    std::vector<std::string> sub(split.rest.begin(), split.rest.end());
    const std::string& command = sub.front();
    if (command == "run")
        return parse_run(sub);
    if (command == "supervise")
        return parse_supervise(sub);
    if (command == "doctor")
        return parse_doctor(sub);
    if (command == "demo")
        return parse_demo(sub);
    if (command == "help")
    {
        if (sub.size() > 2)
            throw usage_error("", "help takes at most one COMMAND");
        return print_text{sub.size() == 2 ? command_help(sub[1]) : help_text(top_usage, table)};
    }
    throw usage_error("", "unknown command (expected run, supervise, doctor, demo or help)");
}

} // namespace tool
} // namespace processkit
} // namespace boost
