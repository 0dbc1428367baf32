// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The synchronous verbs: run a command to completion and get its output.
//
//   pk::run            trimmed stdout, or an error (non-zero exit, signal, timeout)
//   pk::output_string  the whole process_result; a non-zero exit is not an error
//   pk::probe, pk::first_line, ...
//
// and the two ways to handle errors: test the `result` (`has_error()`,
// `error().message()`), or call `.value()` and catch `error_with_diagnostics`.
// Every run gets a private process group: whatever it spawns dies with it.

#include <boost/processkit.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace pk = boost::processkit;
using namespace std::chrono_literals;

namespace {

int failures = 0;

// `s` in quotes, newlines shown as \n, so multi-line output prints on one line.
std::string shown(const std::string& s)
{
    std::string out = "\"";
    for (char c : s)
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out + "\"";
}

void expect(bool ok, const char* what)
{
    if (!ok)
    {
        std::cout << "  UNEXPECTED: " << what << "\n";
        ++failures;
    }
}

} // namespace

int main()
{
    // 1. The one-liner: program, arguments, trimmed stdout.
    std::cout << "1. pk::run(\"echo\", {\"hello\", \"processkit\"})\n";
    pk::result<std::string> hello = pk::run("echo", {"hello", "processkit"});
    expect(hello.has_value(), "echo succeeds");
    if (hello)
        std::cout << "   -> " << shown(hello.value()) << "\n";
    expect(hello && hello.value() == "hello processkit", "the output is trimmed");

    // 2. The full result. A non-zero exit is recorded, not an error.
    std::cout << "2. pk::output_string of a command that writes both streams and exits 3\n";
    auto full = pk::output_string("/bin/sh", {"-c", "echo to stdout; echo to stderr >&2; exit 3"});
    expect(full.has_value(), "output_string does not fail on an exit code");
    if (full)
    {
        const pk::process_result& r = full.value();
        std::cout << "   outcome: " << r.outcome << ", success(): " << std::boolalpha << r.success() << "\n"
                  << "   std_out: " << shown(r.std_out) << ", std_err: " << shown(r.std_err) << "\n";
        expect(r.code() == 3, "exit code 3");
        expect(r.std_out == "to stdout\n" && r.std_err == "to stderr\n", "both streams captured");
        // ensure_success() turns the exit into the error `run` would report.
        auto ok = r.ensure_success();
        expect(ok.has_error() && ok.error() == pk::errc::nonzero_exit, "ensure_success reports nonzero_exit");
    }

    // 3. A command with a working directory, an environment variable, stdin
    //    bytes and a timeout.
    std::cout << "3. a command with cwd, env, stdin bytes and a timeout\n";
    auto cmd = pk::command("/bin/sh")
                   .args({"-c", "pwd; echo \"$GREETING\"; tr a-z A-Z"})
                   .cwd("/tmp")
                   .env("GREETING", "hi from the environment")
                   .stdin_bytes("shout this\n")
                   .timeout(10s);
    auto knobs = pk::run(cmd);
    expect(knobs.has_value(), "the configured command succeeds");
    if (knobs)
        std::cout << "   -> " << shown(knobs.value()) << "\n";
    expect(knobs && knobs.value() == "/tmp\nhi from the environment\nSHOUT THIS", "cwd, env and stdin applied");

    // 4. A timeout kills the whole tree; for `run` it is errc::timed_out.
    std::cout << "4. a run that exceeds its 200 ms timeout\n";
    auto t0 = std::chrono::steady_clock::now();
    auto slow = pk::run(pk::command("sleep").arg("30").timeout(200ms));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    expect(slow.has_error() && slow.error() == pk::errc::timed_out, "timed_out");
    if (slow.has_error())
        std::cout << "   error after " << ms << " ms: " << slow.error().message() << "\n";

    // 5. Error handling by testing the result: the message names the
    //    program, the status and the stderr tail.
    std::cout << "5. errors as values: has_error(), error().message()\n";
    auto failed = pk::run("/bin/sh", {"-c", "echo 'fatal: no such widget' >&2; exit 2"});
    expect(failed.has_error(), "exit 2 is an error for run");
    if (failed.has_error())
    {
        std::cout << "   " << failed.error().message() << "\n";
        expect(failed.error() == pk::errc::nonzero_exit, "nonzero_exit");
        expect(failed.error().diag().exit_code == 2, "the diagnostics hold the exit code");
    }
    auto missing = pk::run(pk::command("pk-example-no-such-program"));
    expect(missing.has_error() && missing.error() == pk::errc::program_not_found, "program_not_found");
    if (missing.has_error())
        std::cout << "   " << missing.error().message() << "\n";

    // 6. Error handling with exceptions: `.value()` on an error throws
    //    error_with_diagnostics (a boost::system::system_error).
    std::cout << "6. errors as exceptions: .value() throws error_with_diagnostics\n";
    try
    {
        std::string never = pk::run("/bin/sh", {"-c", "echo 'permission denied' >&2; exit 13"}).value();
        expect(false, "value() should have thrown");
    }
    catch (const pk::error_with_diagnostics& e)
    {
        std::cout << "   caught: " << e.what() << "\n";
        expect(e.code() == pk::errc::nonzero_exit && e.diag().exit_code == 13, "the exception carries the code");
    }

    // 7. More verbs: exit 0/1 as a boolean, the first line of stdout.
    std::cout << "7. pk::probe and pk::first_line\n";
    auto is_dir = pk::probe(pk::command("test").args({"-d", "/tmp"}));
    auto first = pk::first_line(pk::command("/bin/sh").args({"-c", "echo alpha; echo beta"}));
    expect(is_dir && is_dir.value(), "/tmp is a directory");
    expect(first && first.value() == "alpha", "first line");
    if (is_dir && first)
        std::cout << "   probe(test -d /tmp) -> " << is_dir.value() << ", first_line -> " << shown(first.value())
                  << "\n";

    std::cout << (failures == 0 ? "run_and_capture: OK\n" : "run_and_capture: FAILED\n");
    return failures == 0 ? 0 : 1;
}
