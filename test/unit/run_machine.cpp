// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The run machine, driven by event scripts: each step is one event and the
// exact actions it must produce (anything else fails the step).

#define BOOST_TEST_MODULE run_machine
#include "../../src/core/run_machine.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>

namespace pk = boost::processkit;
using namespace boost::processkit::detail;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

constexpr timer_kind deadline = timer_kind::deadline, idle = timer_kind::idle, grace = timer_kind::grace;
constexpr std::size_t idx(timer_kind k) { return static_cast<std::size_t>(k); }

// The machine only forwards the soft signal: any value does.
const pk::signal custom_signal = static_cast<pk::signal>(10);

child_exit code(int c) { return {true, c, true}; }
child_exit killed_by(int sig) { return {false, sig, true}; }
child_exit lost() { return {false, 0, false}; }

run_limits limits(std::optional<nanoseconds> timeout, std::optional<nanoseconds> idle_timeout = std::nullopt,
                  std::optional<nanoseconds> grace_period = std::nullopt)
{
    run_limits l;
    l.timeout = timeout;
    l.idle_timeout = idle_timeout;
    l.grace = grace_period;
    return l;
}

// run_actions without the generations, which the script tracks itself.
struct expected
{
    std::optional<pk::signal> signal;
    std::array<std::optional<nanoseconds>, timer_kind_count> arm{};
    std::array<bool, timer_kind_count> disarm{};
    bool close_stdin = false, start_teardown = false, exited = false, complete = false, refused = false;
    std::optional<std::size_t> kill_child;
    friend bool operator==(const expected&, const expected&) = default;
};

expected strip(const run_actions& a)
{
    expected e{a.signal, {}, a.disarm, a.close_stdin, a.start_teardown, a.exited, a.complete, a.refused, a.kill_child};
    for (std::size_t k = 0; k < timer_kind_count; ++k)
        if (a.arm[k])
            e.arm[k] = a.arm[k]->after;
    return e;
}

std::string describe(const expected& e)
{
    static const char* names[] = {"deadline", "idle", "grace"};
    std::ostringstream os;
    os << '{';
    if (e.signal)
        os << " signal="
           << (*e.signal == pk::signal::kill   ? "kill"
               : *e.signal == pk::signal::term ? "term"
                                               : std::to_string(static_cast<int>(*e.signal)));
    for (std::size_t k = 0; k < timer_kind_count; ++k)
    {
        if (e.arm[k])
            os << " arm-" << names[k] << '=' << e.arm[k]->count() << "ns";
        if (e.disarm[k])
            os << " disarm-" << names[k];
    }
    for (auto [on, name] : {std::pair{e.close_stdin, "close_stdin"},
                            {e.start_teardown, "start_teardown"},
                            {e.exited, "exited"},
                            {e.complete, "complete"},
                            {e.refused, "refused"}})
        if (on)
            os << ' ' << name;
    if (e.kill_child)
        os << " kill-child=" << *e.kill_child;
    os << " }";
    return os.str();
}

// An event script, in the manner of Boost.MySQL's algo tests: events and the
// actions each must produce, run in one go by run().
class script
{
public:
    explicit script(run_limits l, std::size_t children = 1, std::size_t streams = 0)
        : limits_(l), machine_(l, children, streams)
    {
    }
    script(const script&) = delete;
    ~script()
    {
        if (!ran_)
            BOOST_ERROR("a script was built but never run");
    }

    // Events.
    script& started() { return call("started", &run_machine::on_started); }
    script& output(std::size_t s) { return call("output", &run_machine::on_output, s); }
    script& eof(std::size_t s) { return call("eof", &run_machine::on_stream_eof, s); }
    script& output_limit(std::size_t s) { return call("output_limit", &run_machine::on_output_limit, s); }
    script& exit(std::size_t c, child_exit how = code(0)) { return call("exit", &run_machine::on_exit, c, how, false); }
    /// An exit while the child before still writes into this one.
    script& exit_writing(std::size_t c, child_exit how = code(0))
    {
        return call("exit_writing", &run_machine::on_exit, c, how, true);
    }
    script& cancel(cancel_grade g) { return call("cancel", &run_machine::on_cancel, g); }
    script& request_teardown() { return call("request_teardown", &run_machine::request_teardown); }
    script& teardown_done(bool ok = true) { return call("teardown_done", &run_machine::on_teardown_done, ok); }
    /// Fires the latest arm of `k` (or an arm `back` arms before it).
    script& timer(timer_kind k, std::size_t back = 0)
    {
        return event("timer", [this, k, back](run_machine& m) {
            auto& gens = issued_[idx(k)];
            BOOST_TEST_REQUIRE(gens.size() > back, "the script fires a timer that was never armed");
            return m.on_timer(k, gens[gens.size() - 1 - back]);
        });
    }
    script& stale_timer(timer_kind k) { return timer(k, 1); }
    script& timer_generation(timer_kind k, std::uint64_t gen)
    {
        return call("timer_generation", &run_machine::on_timer, k, gen);
    }

    // What the last event must do.
    script& expect_signal(pk::signal s)
    {
        return expect([s](expected& e) { e.signal = s; });
    }
    script& expect_arm(timer_kind k) { return expect_arm(k, default_after(k)); }
    script& expect_arm(timer_kind k, nanoseconds after)
    {
        return expect([=](expected& e) { e.arm[idx(k)] = after; });
    }
    script& expect_disarm(timer_kind k)
    {
        return expect([k](expected& e) { e.disarm[idx(k)] = true; });
    }
    script& expect_close_stdin()
    {
        return expect([](expected& e) { e.close_stdin = true; });
    }
    script& expect_teardown()
    {
        return expect([](expected& e) { e.start_teardown = true; });
    }
    script& expect_exited()
    {
        return expect([](expected& e) { e.exited = true; });
    }
    script& expect_complete()
    {
        return expect([](expected& e) { e.complete = true; });
    }
    script& expect_refused()
    {
        return expect([](expected& e) { e.refused = true; });
    }
    script& expect_kill(std::size_t child)
    {
        return expect([child](expected& e) { e.kill_child = child; });
    }

    /// A look at the machine between two events.
    script& check(std::function<void(const run_machine&)> fn)
    {
        steps_.push_back({"check", {}, {}, std::move(fn)});
        return *this;
    }

    /// Runs every step; returns the machine for a final look.
    const run_machine& run()
    {
        ran_ = true;
        for (std::size_t i = 0; i < steps_.size(); ++i)
            run_step(i, steps_[i]);
        return machine_;
    }

private:
    struct step
    {
        std::string name;
        std::function<run_actions(run_machine&)> fire;
        expected want;
        std::function<void(const run_machine&)> look;
    };

    script& event(std::string name, std::function<run_actions(run_machine&)> fire)
    {
        steps_.push_back({std::move(name), std::move(fire), {}, {}});
        return *this;
    }

    template <class... A>
    script& call(const char* name, run_actions (run_machine::*fn)(A...) noexcept, std::type_identity_t<A>... args)
    {
        return event(name, [=](run_machine& m) { return (m.*fn)(args...); });
    }

    script& expect(std::function<void(expected&)> set)
    {
        BOOST_TEST_REQUIRE((!steps_.empty() && steps_.back().fire), "an expectation needs an event before it");
        set(steps_.back().want);
        return *this;
    }

    nanoseconds default_after(timer_kind k) const
    {
        const auto& d = k == deadline ? limits_.timeout : k == idle ? limits_.idle_timeout : limits_.grace;
        BOOST_TEST_REQUIRE(d.has_value(), "expect_arm without a duration needs that limit set");
        return *d;
    }

    void run_step(std::size_t i, const step& s)
    {
        BOOST_TEST_CONTEXT("step " << i << " (" << s.name << ")")
        {
            if (!s.fire)
                return s.look(machine_);
            run_actions got = s.fire(machine_);
            BOOST_TEST(describe(strip(got)) == describe(s.want));
            BOOST_TEST((strip(got) == s.want)); // in case two differ yet print alike
            for (std::size_t k = 0; k < timer_kind_count; ++k)
                if (got.arm[k])
                {
                    BOOST_TEST(got.arm[k]->generation != 0u);
                    BOOST_TEST(seen_.insert(got.arm[k]->generation).second, "a generation is never reused");
                    issued_[k].push_back(got.arm[k]->generation);
                }
        }
    }

    run_limits limits_;
    run_machine machine_;
    std::vector<step> steps_;
    std::array<std::vector<std::uint64_t>, timer_kind_count> issued_;
    std::set<std::uint64_t> seen_;
    bool ran_ = false;
};

} // namespace

// ------------------------------------------------------------ capture_fsm's cases

BOOST_AUTO_TEST_CASE(completes_only_after_exit_teardown_and_every_stream)
{
    script(limits(std::nullopt), 1, 2)
        .started()
        .eof(0)
        .eof(0) // reported twice: still one stream
        .exit(0)
        .expect_close_stdin()
        .expect_teardown() // leftovers of the tree die with the child
        .teardown_done()
        .expect_exited()
        .check([](const run_machine& m) { BOOST_TEST(!m.completed()); })
        .eof(1)
        .expect_complete()
        .eof(1) // at most once
        .eof(0)
        .run();
}

BOOST_AUTO_TEST_CASE(no_streams_completes_on_exit_and_teardown)
{
    script(limits(std::nullopt))
        .started()
        .exit(0, code(3))
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .check([](const run_machine& m) {
            BOOST_TEST(m.completed());
            BOOST_TEST((m.status(0) == code(3)));
            BOOST_TEST((m.cause() == end_cause::none));
        })
        .run();
}

BOOST_AUTO_TEST_CASE(timeout_without_grace_kills_at_once)
{
    script(limits(5s), 1, 1)
        .started()
        .expect_arm(deadline)
        .timer(deadline)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) { BOOST_TEST(m.timed_out()); })
        .timer(deadline) // once
        .run();
}

BOOST_AUTO_TEST_CASE(timeout_with_grace_signals_then_kills)
{
    script(limits(5s, std::nullopt, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .output(0)
        .timer(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .timer(grace)
        .expect_signal(pk::signal::kill)
        .exit(0, killed_by(9))
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .eof(0)
        .expect_complete()
        .check([](const run_machine& m) {
            BOOST_TEST(m.timed_out()); // exit after timeout reports timed out
            BOOST_TEST(!m.idle_expired());
            BOOST_TEST(m.kill_sent());
            BOOST_TEST((m.status(0) == killed_by(9)));
        })
        .run();
}

BOOST_AUTO_TEST_CASE(grace_after_exit_does_nothing)
{
    script(limits(5s, std::nullopt, 2s))
        .started()
        .expect_arm(deadline)
        .timer(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .exit(0, killed_by(15))
        .expect_disarm(grace)
        .expect_close_stdin()
        .expect_teardown()
        .timer(grace) // its wait had completed before the disarm
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .check([](const run_machine& m) {
            BOOST_TEST(m.timed_out());
            BOOST_TEST(!m.kill_sent());
        })
        .run();
}

BOOST_AUTO_TEST_CASE(timeout_after_exit_is_ignored)
{
    script(limits(5s), 1, 1)
        .started()
        .expect_arm(deadline)
        .exit(0)
        .expect_disarm(deadline)
        .expect_close_stdin()
        .expect_teardown()
        .timer(deadline)
        .check([](const run_machine& m) { BOOST_TEST(!m.timed_out()); })
        .run();
}

BOOST_AUTO_TEST_CASE(cancel_kills_and_is_reported)
{
    script(limits(std::nullopt), 1, 1)
        .started()
        .cancel(cancel_grade::terminal)
        .expect_signal(pk::signal::kill)
        .cancel(cancel_grade::terminal)
        .exit(0, killed_by(9))
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .eof(0)
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST(m.cancelled()); })
        .run();
}

BOOST_AUTO_TEST_CASE(cancel_after_completion_is_ignored)
{
    script(limits(std::nullopt))
        .started()
        .exit(0)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .cancel(cancel_grade::terminal)
        .check([](const run_machine& m) { BOOST_TEST(!m.cancelled()); })
        .run();
}

// ------------------------------------------------------------ timers

BOOST_AUTO_TEST_CASE(soft_signal_is_the_one_passed_in)
{
    auto l = limits(5s, std::nullopt, 0ns);
    l.soft_signal = custom_signal;
    script(l)
        .started()
        .expect_arm(deadline)
        .timer(deadline)
        .expect_signal(custom_signal)
        .expect_arm(grace, 0ns)
        .timer(grace)
        .expect_signal(pk::signal::kill)
        .run();
}

BOOST_AUTO_TEST_CASE(output_rearms_idle_and_silence_expires_it)
{
    script(limits(std::nullopt, 1s), 1, 2)
        .started()
        .expect_arm(idle)
        .output(0)
        .expect_arm(idle)
        .output(1)
        .expect_arm(idle)
        .stale_timer(idle) // had fired before output(1) re-armed it
        .timer(idle, 2)
        .timer(idle)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) {
            BOOST_TEST(m.timed_out());
            BOOST_TEST(m.idle_expired());
        })
        .output(0) // nothing to re-arm once the run is being ended
        .run();
}

BOOST_AUTO_TEST_CASE(idle_expiry_with_grace_stops_the_deadline)
{
    script(limits(10s, 1s, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .timer(idle)
        .expect_disarm(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .output(0) // the grace is not extended by output
        .timer(deadline)
        .timer(grace)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) {
            BOOST_TEST(m.idle_expired());
            BOOST_TEST((m.cause() == end_cause::timed_out));
        })
        .run();
}

BOOST_AUTO_TEST_CASE(deadline_stops_idle_and_is_not_idle)
{
    script(limits(10s, 1s), 1, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .timer(deadline)
        .expect_disarm(idle)
        .expect_signal(pk::signal::kill)
        .timer(idle) // queued before the disarm: at most one timeout
        .check([](const run_machine& m) {
            BOOST_TEST(m.timed_out());
            BOOST_TEST(!m.idle_expired());
        })
        .run();
}

BOOST_AUTO_TEST_CASE(stale_and_foreign_generations_are_ignored)
{
    script(limits(10s, 1s), 1, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .output(0)
        .expect_arm(idle)
        .stale_timer(idle)
        .timer_generation(idle, 0)
        .timer_generation(idle, 1000)
        .check([](const run_machine& m) { BOOST_TEST(!m.timed_out()); })
        .timer(idle)
        .expect_disarm(deadline)
        .expect_signal(pk::signal::kill)
        .timer(idle) // the same wait reported twice
        .run();
}

BOOST_AUTO_TEST_CASE(a_generation_belongs_to_its_kind)
{
    run_machine m(limits(10s, 1s), 1, 0);
    auto a = m.on_started();
    BOOST_TEST_REQUIRE(a.arm_of(idle).has_value());
    BOOST_TEST((m.on_timer(deadline, a.arm_of(idle)->generation) == run_actions{}));
    BOOST_TEST((m.on_timer(grace, a.arm_of(deadline)->generation) == run_actions{}));
    BOOST_TEST(!m.timed_out());
    BOOST_TEST(m.on_timer(deadline, a.arm_of(deadline)->generation).disarms(idle));
}

// ------------------------------------------------------------ cancellation

BOOST_AUTO_TEST_CASE(terminal_cancel_kills_and_stops_timers)
{
    script(limits(10s, 1s, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .cancel(cancel_grade::terminal)
        .expect_disarm(deadline)
        .expect_disarm(idle)
        .expect_signal(pk::signal::kill)
        .timer(deadline)
        .output(0)
        .exit(0, killed_by(9))
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .eof(0)
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST(m.cancelled()); })
        .run();
}

BOOST_AUTO_TEST_CASE(partial_cancel_signals_waits_the_grace_then_kills)
{
    script(limits(10s, std::nullopt, 2s))
        .started()
        .expect_arm(deadline)
        .cancel(cancel_grade::partial)
        .expect_disarm(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .cancel(cancel_grade::partial) // already under way
        .timer(deadline)
        .timer(grace)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) {
            BOOST_TEST(m.cancelled());
            BOOST_TEST(!m.timed_out());
        })
        .run();
}

BOOST_AUTO_TEST_CASE(partial_cancel_without_grace_kills_at_once)
{
    script(limits(std::nullopt))
        .started()
        .cancel(cancel_grade::partial)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) { BOOST_TEST(m.cancelled()); })
        .run();
}

BOOST_AUTO_TEST_CASE(terminal_cancel_cuts_a_partial_cancels_grace_short)
{
    script(limits(std::nullopt, std::nullopt, 2s))
        .started()
        .cancel(cancel_grade::partial)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .cancel(cancel_grade::terminal)
        .expect_disarm(grace)
        .expect_signal(pk::signal::kill)
        .timer(grace)
        .cancel(cancel_grade::terminal)
        .run();
}

BOOST_AUTO_TEST_CASE(total_cancel_is_refused_once_started)
{
    script(limits(10s))
        .started()
        .expect_arm(deadline)
        .cancel(cancel_grade::total)
        .expect_refused()
        .exit(0)
        .expect_disarm(deadline)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST((m.cause() == end_cause::none)); })
        .run();
}

BOOST_AUTO_TEST_CASE(every_grade_is_honoured_before_start)
{
    for (auto g : {cancel_grade::terminal, cancel_grade::partial, cancel_grade::total})
    {
        BOOST_TEST_CONTEXT("grade " << static_cast<int>(g))
        script(limits(10s, 1s), 1, 1)
            .cancel(g)
            .expect_complete() // nothing spawned: nothing to undo
            .started()         // the driver must not spawn; if it does, nothing is armed
            .exit(0)
            .eof(0)
            .cancel(g)
            .check([](const run_machine& m) {
                BOOST_TEST(m.cancelled());
                BOOST_TEST(m.completed());
                BOOST_TEST(!m.started());
            })
            .run();
    }
}

BOOST_AUTO_TEST_CASE(cancel_after_every_exit_is_ignored)
{
    script(limits(std::nullopt), 1, 1)
        .started()
        .exit(0)
        .expect_close_stdin()
        .expect_teardown()
        .cancel(cancel_grade::terminal)
        .cancel(cancel_grade::total) // no refusal either: the run is ending anyway
        .teardown_done()
        .expect_exited()
        .eof(0)
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST(!m.cancelled()); })
        .run();
}

// ------------------------------------------------------------ output limit, precedence

BOOST_AUTO_TEST_CASE(output_limit_kills_and_is_reported)
{
    script(limits(10s, 1s), 1, 2)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .output_limit(1)
        .expect_disarm(deadline)
        .expect_disarm(idle)
        .expect_signal(pk::signal::kill)
        .output_limit(0)
        .cancel(cancel_grade::terminal) // killed already; the limit came first
        .exit(0, killed_by(9))
        .expect_close_stdin()
        .expect_teardown()
        .eof(0)
        .eof(1)
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .check([](const run_machine& m) {
            BOOST_TEST(m.output_limited());
            BOOST_TEST(!m.cancelled());
        })
        .run();
}

BOOST_AUTO_TEST_CASE(output_limit_after_exit_is_recorded_without_a_kill)
{
    script(limits(std::nullopt), 1, 1)
        .started()
        .exit(0)
        .expect_close_stdin()
        .expect_teardown()
        .output_limit(0) // what was left in the pipe still exceeded the bound
        .teardown_done()
        .expect_exited()
        .eof(0)
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST(m.output_limited()); })
        .run();
}

BOOST_AUTO_TEST_CASE(timed_out_then_cancelled_reports_timed_out)
{
    script(limits(10s, std::nullopt, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .timer(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .cancel(cancel_grade::terminal)
        .expect_disarm(grace)
        .expect_signal(pk::signal::kill) // hastened
        .output_limit(0)
        .check([](const run_machine& m) { BOOST_TEST((m.cause() == end_cause::timed_out)); })
        .run();
}

BOOST_AUTO_TEST_CASE(timed_out_then_output_limit_kills_during_the_grace)
{
    script(limits(10s, std::nullopt, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .timer(deadline)
        .expect_signal(pk::signal::term)
        .expect_arm(grace)
        .output_limit(0)
        .expect_disarm(grace)
        .expect_signal(pk::signal::kill)
        .check([](const run_machine& m) { BOOST_TEST(m.timed_out()); })
        .run();
}

BOOST_AUTO_TEST_CASE(cancelled_then_limit_reports_cancelled)
{
    script(limits(10s), 1, 1)
        .started()
        .expect_arm(deadline)
        .cancel(cancel_grade::terminal)
        .expect_disarm(deadline)
        .expect_signal(pk::signal::kill)
        .output_limit(0)
        .timer(deadline)
        .check([](const run_machine& m) { BOOST_TEST(m.cancelled()); })
        .run();
}

// ------------------------------------------------------------ several children

BOOST_AUTO_TEST_CASE(three_children_two_streams_in_every_order)
{
    // Events 0-2: the exits; 3-4: the EOFs. Teardown is reported either
    // right after the last exit or at the very end.
    std::array<int, 5> order{0, 1, 2, 3, 4};
    int runs = 0;
    do
        for (bool late_teardown : {false, true})
        {
            BOOST_TEST_CONTEXT("order " << order[0] << order[1] << order[2] << order[3] << order[4]
                                        << (late_teardown ? " late" : " early"))
            {
                script s(limits(10s), 3, 2);
                s.started().expect_arm(deadline);
                int exits = 0, eofs = 0;
                bool torn_down = false;
                for (int e : order)
                {
                    if (e < 3)
                    {
                        s.exit(static_cast<std::size_t>(e), code(e));
                        if (++exits == 3)
                        {
                            s.expect_disarm(deadline).expect_close_stdin().expect_teardown();
                            if (!late_teardown)
                            {
                                s.teardown_done().expect_exited();
                                torn_down = true;
                                if (eofs == 2)
                                    s.expect_complete();
                            }
                        }
                    }
                    else if (s.eof(static_cast<std::size_t>(e - 3)); ++eofs == 2 && torn_down)
                        s.expect_complete();
                }
                if (late_teardown)
                    s.teardown_done().expect_exited().expect_complete();
                s.exit(1, code(7)); // reported twice: the first status stays
                const run_machine& m = s.run();
                BOOST_TEST(m.completed());
                BOOST_TEST(m.all_exited());
                for (int c = 0; c < 3; ++c)
                    BOOST_TEST((m.status(static_cast<std::size_t>(c)) == code(c)));
                ++runs;
            }
        }
    while (std::next_permutation(order.begin(), order.end()));
    BOOST_TEST(runs == 240);
}

BOOST_AUTO_TEST_CASE(teardown_waits_for_the_last_child)
{
    script(limits(10s), 3, 0)
        .started()
        .expect_arm(deadline)
        .exit(2, killed_by(13))
        .exit(0)
        .exit(0, code(5)) // reported twice: the first status stays, and it is not a third exit
        .check([](const run_machine& m) {
            BOOST_TEST((m.status(0) == code(0)));
            BOOST_TEST(m.exited_count() == 2u);
            BOOST_TEST(!m.exited(1));
            BOOST_TEST(!m.teardown_started());
        })
        .teardown_done() // never asked for: ignored
        .exit(1)
        .expect_disarm(deadline)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .run();
}

BOOST_AUTO_TEST_CASE(an_early_exit_kills_the_writer_before_it_and_so_up_the_chain)
{
    // A pipeline of four: stage 2 ends while stage 1 still writes into it.
    script s(limits(10s), 4, 0);
    const run_machine& m = s.started()
                               .expect_arm(deadline)
                               .exit_writing(2, code(1))
                               .expect_kill(1)
                               .check([](const run_machine& m) {
                                   BOOST_TEST(!m.torn_down(0));
                                   BOOST_TEST(m.torn_down(1));
                                   BOOST_TEST(!m.torn_down(2));
                               })
                               .exit_writing(1, killed_by(9)) // its death: stage 0 still writes into it
                               .expect_kill(0)
                               .exit(0, killed_by(9))
                               .exit(3)
                               .expect_disarm(deadline)
                               .expect_close_stdin()
                               .expect_teardown()
                               .teardown_done()
                               .expect_exited()
                               .expect_complete()
                               .run();
    BOOST_TEST(m.torn_down(0));
    BOOST_TEST(!m.torn_down(3));
    BOOST_TEST((m.cause() == end_cause::none));
}

BOOST_AUTO_TEST_CASE(a_stage_done_writing_is_left_to_end)
{
    // Stage 1 closed its output (it is exiting on its own): nothing is killed.
    script(limits(10s), 3, 0)
        .started()
        .expect_arm(deadline)
        .exit(2)
        .exit(1)
        .exit(0)
        .expect_disarm(deadline)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .run();
    // A writer that has exited already is not killed either.
    script(limits(10s), 3, 0)
        .started()
        .expect_arm(deadline)
        .exit(1)
        .exit_writing(2)
        .exit(0)
        .expect_disarm(deadline)
        .expect_close_stdin()
        .expect_teardown()
        .run();
}

BOOST_AUTO_TEST_CASE(an_exit_after_the_teardown_started_kills_nothing_more)
{
    script(limits(10s), 3, 0)
        .started()
        .expect_arm(deadline)
        .request_teardown()
        .expect_disarm(deadline)
        .expect_teardown()
        .exit(2) // sealed: the teardown kills the whole tree anyway
        .exit(0)
        .exit(1)
        .expect_close_stdin()
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .run();
}

BOOST_AUTO_TEST_CASE(requested_teardown_before_the_last_exit)
{
    script(limits(10s, 1s), 2, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .exit(0, code(1))
        .request_teardown()
        .expect_disarm(deadline)
        .expect_disarm(idle)
        .expect_teardown()
        .request_teardown()
        .output(0)
        .cancel(cancel_grade::terminal) // the tree is going anyway
        .teardown_done()
        .eof(0)
        .exit(1, killed_by(9))
        .expect_close_stdin()
        .expect_exited()
        .expect_complete()
        .check([](const run_machine& m) { BOOST_TEST((m.cause() == end_cause::none)); })
        .run();
}

// ------------------------------------------------------------ teardown, completion

BOOST_AUTO_TEST_CASE(failed_teardown_completes_without_waiting_for_eof)
{
    script(limits(std::nullopt), 1, 2)
        .started()
        .eof(1)
        .exit(0)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done(false)
        .expect_exited()
        .expect_complete()
        .eof(0)
        .check([](const run_machine& m) {
            BOOST_TEST(m.teardown_failed());
            BOOST_TEST(m.open_streams() == 1u);
        })
        .run();
}

BOOST_AUTO_TEST_CASE(successful_teardown_is_not_a_failure)
{
    script s(limits(std::nullopt)); // the machine lives in the script: keep it
    const run_machine& m = s.started()
                               .exit(0, lost())
                               .expect_close_stdin()
                               .expect_teardown()
                               .teardown_done(true)
                               .expect_exited()
                               .expect_complete()
                               .run();
    BOOST_TEST(!m.teardown_failed());
    BOOST_TEST(m.teardown_done());
    BOOST_TEST(!m.status(0)->known); // recorded as reported: the driver decides what a lost status means
}

BOOST_AUTO_TEST_CASE(nothing_happens_after_completion)
{
    script(limits(10s, 1s, 2s), 1, 1)
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .exit(0)
        .expect_disarm(deadline)
        .expect_disarm(idle)
        .expect_close_stdin()
        .expect_teardown()
        .eof(0)
        .teardown_done()
        .expect_exited()
        .expect_complete()
        .teardown_done()
        .eof(0)
        .exit(0)
        .output(0)
        .output_limit(0)
        .timer(idle)
        .timer(deadline)
        .cancel(cancel_grade::partial)
        .request_teardown()
        .started()
        .check([](const run_machine& m) {
            BOOST_TEST(m.completed());
            BOOST_TEST((m.cause() == end_cause::none));
        })
        .run();
}

BOOST_AUTO_TEST_CASE(events_before_start_are_ignored)
{
    script(limits(10s, 1s), 1, 1)
        .output(0)
        .exit(0)
        .output_limit(0)
        .request_teardown()
        .started()
        .expect_arm(deadline)
        .expect_arm(idle)
        .started()
        .check([](const run_machine& m) {
            BOOST_TEST(m.started());
            BOOST_TEST(!m.exited(0));
            BOOST_TEST(m.open_streams() == 1u);
            BOOST_TEST(!m.output_limited());
        })
        .run();
}

BOOST_AUTO_TEST_CASE(a_slot_never_opened_is_closed_before_start)
{
    script(limits(std::nullopt), 1, 2)
        .eof(1) // stderr was not captured
        .started()
        .exit(0)
        .expect_close_stdin()
        .expect_teardown()
        .teardown_done()
        .expect_exited()
        .check([](const run_machine& m) { BOOST_TEST(m.open_streams() == 1u); })
        .eof(0)
        .expect_complete()
        .run();
}
