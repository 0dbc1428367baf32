// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#define BOOST_TEST_MODULE error
#include <boost/processkit/error.hpp>
#include <boost/processkit/signal.hpp>
#include <boost/test/unit_test.hpp>

#include "../../src/backend/signals.hpp"

#include <algorithm>
#include <climits>
#include <csignal>
#include <system_error>
#include <vector>

namespace pk = boost::processkit;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(category_is_named_boost_processkit)
{
    BOOST_TEST(std::string(pk::processkit_category().name()) == "boost.processkit");
    boost::system::error_code ec = pk::errc::timed_out;
    BOOST_TEST((ec.category() == pk::processkit_category()));
    BOOST_TEST(ec.message() == "process timed out");
}

BOOST_AUTO_TEST_CASE(nonzero_exit_reads_like_a_sentence)
{
    pk::diagnostics d;
    d.program = "git";
    d.exit_code = 128;
    d.stderr_tail = "hint: something\nfatal: not a git repository\n\n";
    pk::error e(pk::errc::nonzero_exit, d);
    BOOST_TEST(e.message() == "\"git\" exited with code 128: fatal: not a git repository");
}

BOOST_AUTO_TEST_CASE(signal_timeout_and_not_found_messages)
{
    pk::diagnostics d;
    d.program = "sleep";
    d.signal = 9;
    BOOST_TEST(pk::error(pk::errc::signalled, d).message() == "\"sleep\" was killed by signal 9 (SIGKILL)");
    d.signal.reset();
    d.timeout = 200ms;
    BOOST_TEST(pk::error(pk::errc::timed_out, d).message() == "\"sleep\" timed out after 200ms");
    pk::diagnostics nf;
    nf.program = "nosuch";
    nf.detail = "searched /usr/bin:/bin";
    BOOST_TEST(pk::error(pk::errc::program_not_found, nf).message() == "\"nosuch\" not found (searched /usr/bin:/bin)");
}

BOOST_AUTO_TEST_CASE(result_value_throws_with_diagnostics)
{
    pk::diagnostics d;
    d.program = "git";
    d.exit_code = 1;
    pk::result<int> r = pk::error(pk::errc::nonzero_exit, d);
    try
    {
        (void)r.value();
        BOOST_FAIL("value() must throw");
    }
    catch (const pk::error_with_diagnostics& ex)
    {
        BOOST_TEST(std::string(ex.what()) == "\"git\" exited with code 1");
        BOOST_TEST(ex.code() == pk::errc::nonzero_exit);
        BOOST_TEST(*ex.diag().exit_code == 1);
    }
    pk::result<int> ok = 5;
    BOOST_TEST(ok.value() == 5);
}

BOOST_AUTO_TEST_CASE(os_errors_keep_their_system_code)
{
    pk::diagnostics d;
    d.program = "x";
    d.step = "pipe2";
    pk::error e(boost::system::error_code(EMFILE, boost::system::system_category()), d);
    BOOST_TEST(e.code() == boost::system::errc::too_many_files_open);
    BOOST_TEST(e.message().find("pipe2") != std::string::npos);
}

// ---- Generic conditions (default_error_condition): portable code tests
// processkit codes against std::errc / boost::system::errc.

namespace {

// `e` compares equal to `cond`, through boost::system and through std::error_code.
bool matches(pk::errc e, std::errc cond)
{
    boost::system::error_code ec = e;
    std::error_code sec = ec;
    bool boost_side = ec == boost::system::errc::make_error_condition(static_cast<boost::system::errc::errc_t>(cond));
    bool std_side = sec == cond;
    BOOST_TEST(boost_side == std_side);
    return boost_side && std_side && ec == cond;
}

} // namespace

BOOST_AUTO_TEST_CASE(cancelled_is_operation_canceled)
{
    BOOST_TEST(matches(pk::errc::cancelled, std::errc::operation_canceled));
    boost::system::error_code ec = pk::errc::cancelled;
    BOOST_TEST(ec == boost::system::errc::operation_canceled);
    BOOST_TEST(!matches(pk::errc::cancelled, std::errc::timed_out));
}

BOOST_AUTO_TEST_CASE(timeouts_are_timed_out)
{
    BOOST_TEST(matches(pk::errc::timed_out, std::errc::timed_out));
    BOOST_TEST(matches(pk::errc::not_ready, std::errc::timed_out));
    BOOST_TEST(matches(pk::errc::teardown_timeout, std::errc::timed_out));
    boost::system::error_code ec = pk::errc::timed_out;
    BOOST_TEST(ec == boost::system::errc::timed_out);
}

BOOST_AUTO_TEST_CASE(program_not_found_is_no_such_file)
{
    BOOST_TEST(matches(pk::errc::program_not_found, std::errc::no_such_file_or_directory));
    boost::system::error_code ec = pk::errc::program_not_found;
    BOOST_TEST(ec == boost::system::errc::no_such_file_or_directory);
}

BOOST_AUTO_TEST_CASE(other_honest_matches)
{
    BOOST_TEST(matches(pk::errc::invalid_argument, std::errc::invalid_argument));
    BOOST_TEST(matches(pk::errc::unsupported, std::errc::not_supported));
    BOOST_TEST(matches(pk::errc::stdin_closed, std::errc::broken_pipe));
    BOOST_TEST(matches(pk::errc::status_unavailable, std::errc::no_child_process));
}

BOOST_AUTO_TEST_CASE(unmapped_codes_keep_their_own_condition)
{
    for (pk::errc e : {pk::errc::nonzero_exit, pk::errc::signalled, pk::errc::group_closed, pk::errc::output_limit,
                       pk::errc::end_of_stream, pk::errc::bad_working_directory})
    {
        boost::system::error_code ec = e;
        BOOST_TEST((ec.default_error_condition().category() == pk::processkit_category()));
        BOOST_TEST(ec.default_error_condition().value() == static_cast<int>(e));
        BOOST_TEST(!matches(e, std::errc::timed_out));
        BOOST_TEST(!matches(e, std::errc::operation_canceled));
    }
    // Distinct codes stay distinct, mapped or not.
    boost::system::error_code a = pk::errc::timed_out, b = pk::errc::teardown_timeout;
    BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_CASE(teardown_timeout_is_new_and_last)
{
    // Values are stable: the new code is appended after status_unavailable.
    BOOST_TEST(static_cast<int>(pk::errc::teardown_timeout) == static_cast<int>(pk::errc::status_unavailable) + 1);
    boost::system::error_code ec = pk::errc::teardown_timeout;
    BOOST_TEST(ec.message() == "the process tree was still alive after the teardown timeout");
}

// ---- Portable signal values.

BOOST_AUTO_TEST_CASE(named_signals_map_to_native_numbers)
{
    const std::pair<pk::signal, int> named[] = {
        {pk::signal::hangup, SIGHUP}, {pk::signal::interrupt, SIGINT}, {pk::signal::quit, SIGQUIT},
        {pk::signal::kill, SIGKILL},  {pk::signal::user1, SIGUSR1},    {pk::signal::user2, SIGUSR2},
        {pk::signal::term, SIGTERM},
    };
    for (auto [s, n] : named)
    {
        BOOST_TEST(pk::native_signal(s) == n);
        BOOST_TEST((pk::other_signal(n) == s));
    }
    // The named values are fixed, whatever the platform numbers.
    BOOST_TEST(static_cast<int>(pk::signal::hangup) == 1);
    BOOST_TEST(static_cast<int>(pk::signal::interrupt) == 2);
    BOOST_TEST(static_cast<int>(pk::signal::quit) == 3);
    BOOST_TEST(static_cast<int>(pk::signal::kill) == 9);
    BOOST_TEST(static_cast<int>(pk::signal::user1) == 10);
    BOOST_TEST(static_cast<int>(pk::signal::user2) == 12);
    BOOST_TEST(static_cast<int>(pk::signal::term) == 15);
}

BOOST_AUTO_TEST_CASE(other_signal_round_trips_every_number)
{
    for (int n = -300; n <= 300; ++n)
        BOOST_TEST(pk::native_signal(pk::other_signal(n)) == n);
    for (int n : {INT_MIN, INT_MIN + 1, INT_MAX - 1, INT_MAX, SIGRTMIN, SIGRTMAX, SIGCONT, SIGSTOP, 0})
        BOOST_TEST(pk::native_signal(pk::other_signal(n)) == n);
}

// The encoding on platforms whose numbers differ from the portable values
// (Linux x86 numbers the named signals like the portable values, so only a
// table exercises the chains).
BOOST_AUTO_TEST_CASE(encoding_is_a_bijection_on_other_platforms)
{
    namespace d = pk::detail;
    // macOS / BSD: SIGUSR1 30, SIGUSR2 31 (10 is SIGBUS, 12 SIGSYS).
    constexpr d::signal_pair macos[] = {{1, 1}, {2, 2}, {3, 3}, {9, 9}, {10, 30}, {12, 31}, {15, 15}};
    static_assert(d::encode_signal(macos, 30) == 10 && d::decode_signal(macos, 10) == 30);
    static_assert(d::encode_signal(macos, 10) != 10 && d::decode_signal(macos, d::encode_signal(macos, 10)) == 10);
    // Chains: a named value that is another named signal's native number.
    constexpr d::signal_pair chained[] = {{10, 12}, {12, 14}, {15, 15}};
    constexpr d::signal_pair mips[] = {{1, 1}, {2, 2}, {3, 3}, {9, 9}, {10, 16}, {12, 17}, {15, 15}};
    for (std::span<const d::signal_pair> t :
         {std::span<const d::signal_pair>(macos), std::span<const d::signal_pair>(chained),
          std::span<const d::signal_pair>(mips)})
    {
        std::vector<int> seen;
        for (int n = -5; n <= 70; ++n)
        {
            int v = d::encode_signal(t, n);
            BOOST_TEST(d::decode_signal(t, v) == n);
            seen.push_back(v);
        }
        for (const d::signal_pair& p : t)
            BOOST_TEST(d::encode_signal(t, p.native) == p.value);
        std::sort(seen.begin(), seen.end());
        BOOST_TEST((std::adjacent_find(seen.begin(), seen.end()) == seen.end())); // injective
    }
}

BOOST_AUTO_TEST_CASE(signal_names_come_from_the_platform)
{
    BOOST_TEST(std::string(pk::detail::native_signal_name(SIGKILL)) == "KILL");
    BOOST_TEST(std::string(pk::detail::native_signal_name(SIGTERM)) == "TERM");
    BOOST_TEST(pk::detail::native_signal_name(100000) == nullptr);
    pk::diagnostics d;
    d.signal = SIGTERM;
    BOOST_TEST(pk::error(pk::errc::signalled, d).message() == "process was killed by signal 15 (SIGTERM)");
    d.signal = 100000;
    BOOST_TEST(pk::error(pk::errc::signalled, d).message() == "process was killed by signal 100000");
}
