// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#define BOOST_TEST_MODULE error
#include <boost/processkit/error.hpp>
#include <boost/test/unit_test.hpp>

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
