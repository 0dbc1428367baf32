// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Scenario 9's shared measurement: the burst (ticker + trigger), the io
// thread's schedstat figures and the containment check (see ticker.hpp).

#include "ticker.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unistd.h>

namespace pkb {

sched_times thread_sched()
{
    // "cpu-time-ns run-queue-wait-ns timeslices" of the calling thread.
    sched_times t;
    if (FILE* f = std::fopen("/proc/thread-self/schedstat", "r"))
    {
        unsigned long long cpu = 0, wait = 0;
        if (std::fscanf(f, "%llu %llu", &cpu, &wait) == 2)
        {
            t.cpu_ms = static_cast<double>(cpu) * 1e-6;
            t.runq_wait_ms = static_cast<double>(wait) * 1e-6;
            t.ok = true;
        }
        std::fclose(f);
    }
    return t;
}

bool run_burst(boost::asio::io_context& ctx, const std::vector<int>& pids, int lead_ms, int window_ms,
               const burst_progress& prog, lim::lateness_result& res)
{
    using clock = ticker::clock;
    using std::chrono::milliseconds;
    ctx.restart(); // it stops whenever it runs out of work (e.g. after the ready phase)
    ticker tk(ctx.get_executor());
    auto t0 = clock::now();
    auto trigger = t0 + milliseconds(lead_ms);
    auto window_end = trigger + milliseconds(window_ms);
    tk.start(t0, milliseconds(1), trigger, [&](clock::time_point next) {
        return next < window_end || prog.done < prog.n || next < prog.t_all_done + milliseconds(20);
    });
    std::thread signaller([&] {
        std::this_thread::sleep_until(trigger);
        for (int pid : pids)
            ::kill(pid, SIGUSR1);
    });
    auto hard = trigger + std::chrono::seconds(30);
    sched_times s0 = thread_sched();
    while (!tk.done() && clock::now() < hard)
        ctx.run_for(milliseconds(50));
    sched_times s1 = thread_sched();
    signaller.join();
    bool finished = tk.done();
    if (!finished)
    {
        tk.cancel(); // let the cancelled tick complete before `tk` goes
        ctx.restart();
        ctx.poll();
    }

    res.late_ms = std::move(tk.late_ms);
    res.lead_max_ms = 0;
    for (double x : tk.lead_ms)
        res.lead_max_ms = std::max(res.lead_max_ms, x);
    res.all_exited_ms = prog.n == 0 ? 0
                        : prog.done == prog.n
                            ? std::chrono::duration<double, std::milli>(prog.t_all_done - trigger).count()
                            : -1;
    res.sched_ok = s0.ok && s1.ok;
    res.io_cpu_ms = s1.cpu_ms - s0.cpu_ms;
    res.io_runq_wait_ms = s1.runq_wait_ms - s0.runq_wait_ms;
    return finished;
}

int kill_survivors(const std::vector<int>& gpids)
{
    int alive = 0;
    for (int g : gpids)
    {
        if (g <= 0 || ::kill(g, 0) != 0)
            continue;
        char path[64], st[512];
        std::snprintf(path, sizeof path, "/proc/%d/stat", g);
        bool zombie = false;
        if (FILE* f = std::fopen(path, "r"))
        {
            if (std::fgets(st, sizeof st, f))
                if (const char* rp = std::strrchr(st, ')'))
                    zombie = rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
            std::fclose(f);
        }
        if (!zombie)
        {
            ++alive;
            ::kill(g, SIGKILL);
        }
    }
    return alive;
}

} // namespace pkb
