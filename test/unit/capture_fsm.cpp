// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The run-to-completion state machine, driven without spawning anything.

#define BOOST_TEST_MODULE capture_fsm
#include "../../src/detail/capture_fsm.hpp"

#include <boost/test/unit_test.hpp>

using boost::processkit::detail::capture_fsm;

BOOST_AUTO_TEST_CASE(completes_only_after_exit_and_every_stream)
{
    capture_fsm f(2, false, SIGTERM);
    BOOST_TEST(!f.on_stream_closed().complete);
    auto a = f.on_exit();
    BOOST_TEST(a.kill_signal == SIGKILL); // leftovers of the tree die with the child
    BOOST_TEST(a.cancel_timer);
    BOOST_TEST(!a.complete);
    BOOST_TEST(f.on_stream_closed().complete);
    BOOST_TEST(f.completed());
    BOOST_TEST(!f.on_stream_closed().complete); // at most once
}

BOOST_AUTO_TEST_CASE(no_streams_completes_on_exit)
{
    capture_fsm f(0, false, SIGTERM);
    BOOST_TEST(f.on_exit().complete);
}

BOOST_AUTO_TEST_CASE(timeout_without_grace_kills_at_once)
{
    capture_fsm f(1, false, SIGTERM);
    auto a = f.on_timeout();
    BOOST_TEST(a.kill_signal == SIGKILL);
    BOOST_TEST(!a.arm_grace);
    BOOST_TEST(f.timed_out());
    BOOST_TEST(f.on_timeout().kill_signal == 0); // once
}

BOOST_AUTO_TEST_CASE(timeout_with_grace_signals_then_kills)
{
    capture_fsm f(1, true, SIGTERM);
    auto a = f.on_timeout();
    BOOST_TEST(a.kill_signal == SIGTERM);
    BOOST_TEST(a.arm_grace);
    BOOST_TEST(f.on_grace_expired().kill_signal == SIGKILL);
}

BOOST_AUTO_TEST_CASE(grace_after_exit_does_nothing)
{
    capture_fsm f(0, true, SIGTERM);
    f.on_timeout();
    f.on_exit();
    BOOST_TEST(f.on_grace_expired().kill_signal == 0);
    BOOST_TEST(f.timed_out());
}

BOOST_AUTO_TEST_CASE(timeout_after_exit_is_ignored)
{
    capture_fsm f(1, false, SIGTERM);
    f.on_exit();
    BOOST_TEST(f.on_timeout().kill_signal == 0);
    BOOST_TEST(!f.timed_out());
}

BOOST_AUTO_TEST_CASE(cancel_kills_and_is_reported)
{
    capture_fsm f(1, false, SIGTERM);
    auto a = f.on_cancel();
    BOOST_TEST(a.kill_signal == SIGKILL);
    BOOST_TEST(f.cancelled());
    BOOST_TEST(f.on_cancel().kill_signal == 0);
    f.on_exit();
    BOOST_TEST(f.on_stream_closed().complete);
}

BOOST_AUTO_TEST_CASE(cancel_after_completion_is_ignored)
{
    capture_fsm f(0, false, SIGTERM);
    f.on_exit();
    BOOST_TEST(f.on_cancel().kill_signal == 0);
    BOOST_TEST(!f.cancelled());
}
