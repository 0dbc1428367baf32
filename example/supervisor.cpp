// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// A dev server kept alive with a readiness probe and a health check.
//
// The "server" is a small /bin/sh script (no other program is needed) that
// prints "listening on ...", then keeps a file "alive" in a scratch
// directory for as long as it is healthy. It counts its runs there, and
// misbehaves on purpose:
//
//   run 1  crashes (exit 3) a moment after getting ready: a restart follows;
//   run 2  wedges: it removes its "alive" file, the health check fails
//          twice in a row, the supervisor kills the tree and restarts it;
//   run 3  behaves, until stop(grace) sends it SIGTERM (it shuts down cleanly).
//
// The program reads the supervisor's events as they come, then prints the
// outcome. `pk::supervisor(cmd, options)` is served by processkit's own I/O
// thread, so the blocking `events().next()` can be called from main().

#include <boost/processkit.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <unistd.h>

namespace pk = boost::processkit;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

int failures = 0;
std::mutex out_mu; // main() and the server's tee handler both print

void say(const std::string& line)
{
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << line << "\n";
}

void expect(bool ok, const char* what)
{
    if (!ok)
    {
        say(std::string("  UNEXPECTED: ") + what);
        ++failures;
    }
}

long long ms(std::chrono::nanoseconds d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// $1 is the scratch directory. Each run bumps the counter in $1/runs.
const char* server_script = R"sh(
n=$(( $(cat "$1/runs" 2>/dev/null || echo 0) + 1 )); echo $n > "$1/runs"
trap 'echo "run $n: SIGTERM, shutting down"; rm -f "$1/alive"; exit 0' TERM
touch "$1/alive"
echo "run $n: listening on 127.0.0.1:8000"
case $n in
1) sleep 0.2; echo "run $n: segmentation fault, simulated" >&2; exit 3 ;;
2) sleep 0.3; echo "run $n: wedged"; rm -f "$1/alive" ;;
esac
while :; do sleep 1; done
)sh";

pk::command dev_server(const fs::path& dir)
{
    pk::output_buffer_policy tail; // the supervisor does not read stdout: keep only a tail of it
    tail.max_lines = 100;
    return pk::command("/bin/sh")
        .args({"-c", server_script, "dev-server", dir.string()})
        .output_buffer(tail)
        .on_stdout_line([](std::string_view line) { say("   [server] " + std::string(line)); });
}

pk::supervisor_options options(const fs::path& dir)
{
    pk::supervisor_options o;
    o.restart = pk::restart_policy::always;
    o.max_restarts = 5; // a bound, so that a broken example still ends
    o.initial_delay = 50ms;
    o.max_delay = 500ms;
    // Ready once it says it listens (a TCP server would use readiness_probe::port).
    o.ready = pk::readiness_probe::line(
        [](std::string_view line) { return line.find("listening on") != std::string_view::npos; }, 5s);
    // Healthy while its "alive" file exists. A callable runs on the supervisor's
    // executor: a stat is quick enough. Two failures in a row kill the run.
    const fs::path alive = dir / "alive";
    o.health = pk::health_check::of([alive] { return fs::exists(alive); }, 50ms, 2);
    return o;
}

void print_event(const pk::supervisor_event& e)
{
    std::ostringstream line;
    line << "   event " << e.what << ", run " << e.run_number;
    if (e.pid != 0)
        line << ", pid " << e.pid;
    if (e.what == pk::supervisor_event::kind::restarting)
        line << ", in " << ms(e.delay) << " ms";
    if (e.run)
    {
        const pk::supervised_run& r = *e.run;
        if (r.outcome)
            line << ": " << *r.outcome << " after " << ms(r.uptime) << " ms";
        else
            line << ": did not start (" << r.error.message() << ")";
        line << (r.succeeded ? ", succeeded" : ", failed") << (r.unhealthy ? ", unhealthy" : "")
             << (r.stopped ? ", stopped" : "");
        if (!r.std_err.empty())
            line << "; its stderr: " << r.std_err.substr(0, r.std_err.find('\n'));
    }
    if (e.what == pk::supervisor_event::kind::stopped)
        line << ": " << e.reason;
    say(line.str());
}

// Reads every event until the stream ends; stops supervision once run 3 has
// been ready for a little while.
void follow(pk::supervisor& sup)
{
    pk::supervisor_events events = sup.events();
    for (;;)
    {
        auto e = events.next();
        if (!e)
        {
            expect(e.error() == pk::errc::end_of_stream, "the event stream ends with end_of_stream");
            return;
        }
        print_event(e.value());
        if (e.value().what == pk::supervisor_event::kind::ready && e.value().run_number == 3)
        {
            std::this_thread::sleep_for(200ms); // a few health checks pass
            auto st = sup.status();
            say("   status: " + std::string(pk::to_string(st.state)) + ", pid " + std::to_string(st.pid) + ", " +
                std::to_string(st.restarts) + " restarts");
            expect(st.state == pk::supervisor_state::running, "run 3 is running");
            say("   stop(2s): SIGTERM to the tree, SIGKILL 2 s later if it is still there");
            sup.stop(2s);
        }
    }
}

void check(const pk::supervision_outcome& out)
{
    say("outcome: " + std::string(pk::to_string(out.reason)) + ", " + std::to_string(out.runs) + " runs, " +
        std::to_string(out.restarts) + " restarts, " + std::to_string(out.liveness_kills) + " liveness kill(s), " +
        std::to_string(ms(out.uptime)) + " ms up of " + std::to_string(ms(out.elapsed)) + " ms");
    expect(out.reason == pk::stop_reason::stopped, "ended by stop()");
    expect(out.runs == 3 && out.restarts == 2, "three runs");
    expect(out.liveness_kills == 1, "one liveness kill (run 2)");
    expect(out.last.stopped && !out.last.succeeded, "the last run was stopped");
    expect(out.last.outcome && *out.last.outcome == pk::run_outcome::exited(0), "run 3 shut down cleanly");
}

// This process's children (any state), from /proc: none should be left.
std::size_t children_left()
{
    std::size_t n = 0;
    for (const auto& task : fs::directory_iterator("/proc/self/task"))
    {
        std::ifstream in(task.path() / "children");
        for (int pid; in >> pid;)
            ++n;
    }
    return n;
}

} // namespace

int main()
{
    const fs::path dir = fs::temp_directory_path() / ("pk-supervisor-example-" + std::to_string(::getpid()));
    fs::create_directories(dir);

    pk::supervisor sup(dev_server(dir), options(dir));
    std::future<pk::supervision_outcome> done = sup.async_run(asio::use_future);
    follow(sup);
    try
    {
        check(done.get()); // the tree of the last run is gone by now
        expect(children_left() == 0, "no process left");
    }
    catch (const boost::system::system_error& e) // supervision could not go on (e.g. no /bin/sh)
    {
        say("supervision failed: " + e.code().message());
        ++failures;
    }
    fs::remove_all(dir);
    say(failures == 0 ? "supervisor: OK" : "supervisor: FAILED");
    return failures == 0 ? 0 : 1;
}
