// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Shell-free pipelines and retries.
//
//   a | b | c                 stdout to stdin, child to child: the parent copies no byte
//   run(p), output_string(p)  every verb runs a pipeline, with pipefail
//   start(p)                  a live pipeline: the last stage's lines, the first one's stdin
//   cmd.retry(policy)         a failing run is attempted again, with backoff

#include <boost/processkit.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

namespace pk = boost::processkit;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void expect(bool ok, const char* what)
{
    if (!ok)
    {
        std::cout << "  UNEXPECTED: " << what << "\n";
        ++failures;
    }
}

pk::command shell(std::string script) { return pk::command("/bin/sh").args({"-c", std::move(script)}); }

} // namespace

int main()
{
    // 1. A chain without a shell: printf | sort | head -2.
    auto top = pk::run(pk::command("printf").arg("pear\\napple\\nfig\\n") | pk::command("sort") |
                       pk::command("head").arg("-2"));
    std::cout << "sorted, first two: " << (top ? top.value() : top.error().message()) << "\n";
    expect(top && top.value() == "apple\nfig", "the chain's output");

    // 2. Pipefail: the rightmost failing stage decides, and is named.
    auto failed = pk::output_string(pk::command("true") | shell("exit 3") | pk::command("cat"));
    expect(failed && failed.value().failed_stage == std::optional<std::size_t>(1), "stage 1 failed");
    if (failed)
        std::cout << "pipefail: stage " << failed.value().failed_stage.value_or(99) << " ("
                  << failed.value().stages[1].program << ") " << failed.value().outcome << "\n";
    auto checked = pk::run_unit(pk::command("true") | shell("exit 3") | pk::command("cat"));
    std::cout << "as an error: " << (checked ? std::string("none") : checked.error().message()) << "\n";
    expect(!checked && checked.error() == pk::errc::nonzero_exit, "run_unit reports the failure");

    // 3. `yes | head -1`: yes dies of SIGPIPE; mark it unchecked and the chain succeeds.
    auto y = pk::run(pk::command("yes").unchecked_in_pipe() | pk::command("head").arg("-1"));
    std::cout << "yes | head -1: " << (y ? y.value() : y.error().message()) << "\n";
    expect(y && y.value() == "y", "yes | head -1 with yes unchecked");

    // 4. A whole-chain timeout kills every stage and what they started.
    auto slow = pk::output_string((pk::command("sleep").arg("30") | pk::command("cat")).timeout(200ms));
    std::cout << "timeout: " << (slow ? (slow.value().timed_out() ? "timed out" : "ran") : "error") << "\n";
    expect(slow && slow.value().timed_out(), "the chain timed out");

    // 5. A live pipeline: write to the first stage, read the last one's lines.
    auto live = pk::start(pk::command("cat") | pk::command("tr").args({"a-z", "A-Z"}));
    expect(live.has_value(), "the live pipeline started");
    if (live)
    {
        auto in = live.value().std_in();
        (void)in.write_line("hello pipeline");
        in.close();
        auto line = live.value().stdout_lines().next();
        std::cout << "live: " << (line ? line.value() : line.error().message()) << "\n";
        expect(line && line.value() == "HELLO PIPELINE", "the live pipeline's line");
        expect(live.value().wait().has_value(), "the live pipeline ended");
    }

    // 6. Retry: a command that fails twice, then succeeds (a counter file).
    std::string counter = "/tmp/pk-example-retry-" + std::to_string(::getpid());
    pk::retry_policy policy;
    policy.max_attempts = 5;
    policy.initial_delay = 10ms;
    auto flaky = shell("n=$(cat " + counter + " 2>/dev/null || echo 0); echo $((n+1)) > " + counter + "; [ $n -ge 2 ]");
    auto again = pk::checked(flaky.retry(policy));
    std::remove(counter.c_str());
    std::cout << "retry: "
              << (again ? "succeeded after " + std::to_string(again.value().attempts) + " attempts"
                        : again.error().message())
              << "\n";
    expect(again && again.value().attempts == 3, "three attempts");

    std::cout << (failures ? "FAILED\n" : "ok\n");
    return failures ? 1 : 0;
}
