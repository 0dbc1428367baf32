// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Live processes: `pk::start` returns a running_process whose output can be
// read line by line while it runs, whose stdin can be written, and whose
// whole tree dies on kill() or when the handle is destroyed.
//
//   1. a "server" that prints some lines, then "ready", then keeps running:
//      wait for readiness, read its lines, kill it;
//   2. an interactive `cat`: write a line, read it back, close stdin, wait.
//
// `pk::start(cmd)` serves the process on processkit's own I/O thread, so the
// blocking members (next(), wait(), ...) can be called from main().

#include <boost/processkit.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>

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

void server()
{
    std::cout << "1. a server that says \"ready\"\n";
    auto started = pk::start(
        pk::command("/bin/sh").args({"-c", "for i in 1 2 3; do echo line $i; sleep 0.1; done; echo ready; sleep 30"}));
    if (!started)
    {
        std::cout << "   start failed: " << started.error().message() << "\n";
        ++failures;
        return;
    }
    pk::running_process& p = started.value();
    std::cout << "   started pid " << p.pid() << "\n";

    // A readiness probe: at most 5 s for a line equal to "ready". It observes
    // the output without consuming it from the line streams.
    auto ready = p.wait_for_line([](std::string_view line) { return line == "ready"; }, 5s);
    expect(ready.has_value(), "the server became ready");
    if (!ready)
        std::cout << "   not ready: " << ready.error().message() << "\n";
    else
        std::cout << "   ready after " << std::chrono::duration_cast<std::chrono::milliseconds>(p.elapsed()).count()
                  << " ms\n";

    // Every line is still there to read, in order.
    pk::line_stream out = p.stdout_lines();
    for (int i = 0; i < 4; ++i)
    {
        auto line = out.next();
        expect(line.has_value(), "a line");
        if (!line)
            break;
        std::cout << "   stdout: " << line.value() << "\n";
    }

    // kill() takes down the whole tree (the shell and its `sleep 30`).
    expect(p.kill().has_value(), "kill");
    auto outcome = p.wait();
    expect(outcome && outcome.value() == pk::run_outcome::signalled(9), "killed by SIGKILL");
    if (outcome)
        std::cout << "   after kill(): " << outcome.value() << "\n";
}

void interactive_cat()
{
    std::cout << "2. an interactive cat\n";
    auto started = pk::start(pk::command("cat"));
    if (!started)
    {
        std::cout << "   start failed: " << started.error().message() << "\n";
        ++failures;
        return;
    }
    pk::running_process& p = started.value();
    pk::stdin_writer in = p.std_in();
    pk::line_stream out = p.stdout_lines();

    for (std::string text : {"hello", "processkit"})
    {
        auto written = in.write_line(text);
        expect(written.has_value(), "write_line");
        auto echoed = out.next();
        expect(echoed && echoed.value() == text, "cat echoes the line");
        if (echoed)
            std::cout << "   wrote \"" << text << "\", read back \"" << echoed.value() << "\"\n";
    }

    in.close(); // cat sees EOF and exits
    auto outcome = p.wait();
    expect(outcome && outcome.value() == pk::run_outcome::exited(0), "cat exits 0");
    if (outcome)
        std::cout << "   after close(): " << outcome.value() << "\n";
    auto end = out.next();
    expect(end.has_error() && end.error() == pk::errc::end_of_stream, "the stream has ended");
    auto late = in.write_line("too late");
    expect(late.has_error() && late.error() == pk::errc::stdin_closed, "stdin is closed");
    if (late.has_error())
        std::cout << "   writing after the exit: " << late.error().message() << "\n";
}

} // namespace

int main()
{
    server();
    interactive_cat();
    std::cout << (failures == 0 ? "live_server: OK\n" : "live_server: FAILED\n");
    return failures == 0 ? 0 : 1;
}
