// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The run-to-completion verbs with the capture knobs: output_buffer_policy
// (bytes and lines, every overflow mode, per stream), line terminators for
// first_line, and stdout_encoding.

#define BOOST_TEST_MODULE capture_policy
#include "pk_test.hpp"

#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_runner.hpp>

#include <string>
#include <thread>
#include <vector>

namespace pk = boost::processkit;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

std::string numbered(const std::string& prefix, int from, int to)
{
    std::string s;
    for (int i = from; i < to; ++i)
        s += prefix + std::to_string(i) + "\n";
    return s;
}

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

// ---------------------------------------------------------------------------
// max_bytes

BOOST_AUTO_TEST_CASE(max_bytes_drop_newest_keeps_the_first_bytes)
{
    auto r = pk::output_bytes(
        pk_test::helper_command({"bytes", "100000"})
            .output_buffer(pk_test::buffer_policy(std::nullopt, 1000, pk::overflow_mode::drop_newest)));
    PK_REQUIRE_OK(r);
    const auto& res = r.value();
    BOOST_TEST(res.outcome == pk::run_outcome::exited(0));
    BOOST_TEST(res.std_out.size() == 1000u);
    BOOST_TEST(pk_test::pattern_mismatch(res.std_out) == res.std_out.size());
    BOOST_TEST(res.std_out_truncated);
    BOOST_TEST(!res.std_err_truncated);
}

BOOST_AUTO_TEST_CASE(max_bytes_drop_oldest_keeps_the_last_bytes)
{
    auto r = pk::output_bytes(
        pk_test::helper_command({"bytes", "100000"})
            .output_buffer(pk_test::buffer_policy(std::nullopt, 1000, pk::overflow_mode::drop_oldest)));
    PK_REQUIRE_OK(r);
    const auto& res = r.value();
    BOOST_TEST(res.outcome == pk::run_outcome::exited(0));
    BOOST_TEST_REQUIRE(res.std_out.size() == 1000u);
    BOOST_TEST(pk_test::pattern_mismatch(res.std_out, 100000 - 1000) == res.std_out.size());
    BOOST_TEST(static_cast<unsigned char>(res.std_out.back()) == (100000 - 1) % 251);
    BOOST_TEST(res.std_out_truncated);
}

BOOST_AUTO_TEST_CASE(max_bytes_applies_to_stderr_separately)
{
    auto r = pk::output_bytes(
        pk_test::helper_command({"bytes", "100000", "err"})
            .output_buffer(pk_test::buffer_policy(std::nullopt, 1000, pk::overflow_mode::drop_newest)));
    PK_REQUIRE_OK(r);
    const auto& res = r.value();
    BOOST_TEST(res.std_err.size() == 1000u);
    BOOST_TEST(pk_test::pattern_mismatch(res.std_err) == res.std_err.size());
    BOOST_TEST(res.std_err_truncated);
    BOOST_TEST(res.std_out.empty());
    BOOST_TEST(!res.std_out_truncated);
}

// ---------------------------------------------------------------------------
// max_lines

BOOST_AUTO_TEST_CASE(max_lines_drop_oldest_keeps_the_last_lines)
{
    auto r =
        pk::output_string(pk_test::helper_command({"lines", "100"})
                              .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::drop_oldest)));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_out == "line95\nline96\nline97\nline98\nline99\n");
    BOOST_TEST(r.value().std_out_truncated);
    BOOST_TEST(r.value().outcome == pk::run_outcome::exited(0));

    auto b =
        pk::output_bytes(pk_test::helper_command({"lines", "100"})
                             .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::drop_oldest)));
    PK_REQUIRE_OK(b);
    BOOST_TEST(b.value().std_out == numbered("line", 95, 100));
    BOOST_TEST(b.value().std_out_truncated);
}

BOOST_AUTO_TEST_CASE(max_lines_drop_newest_keeps_the_first_lines)
{
    auto r =
        pk::output_string(pk_test::helper_command({"lines", "100"})
                              .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::drop_newest)));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_out == numbered("line", 0, 5));
    BOOST_TEST(r.value().std_out_truncated);
}

BOOST_AUTO_TEST_CASE(max_lines_on_stderr)
{
    auto r =
        pk::output_string(pk_test::helper_command({"err-lines", "100"})
                              .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::drop_oldest)));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_err == numbered("line", 95, 100));
    BOOST_TEST(r.value().std_err_truncated);
    BOOST_TEST(!r.value().std_out_truncated);
}

// ---------------------------------------------------------------------------
// overflow_mode::error

BOOST_AUTO_TEST_CASE(error_mode_fails_the_verb_with_output_limit)
{
    auto r = pk::output_bytes(pk_test::helper_command({"bytes", "100000"})
                                  .output_buffer(pk_test::buffer_policy(std::nullopt, 1000, pk::overflow_mode::error)));
    PK_CHECK_ERRC(r, pk::errc::output_limit);
    BOOST_TEST_MESSAGE("output_limit: " << r.error().message());
    BOOST_TEST(pk_test::children_after().empty(), "no process left");

    auto s = pk::output_string(pk_test::helper_command({"lines", "100"})
                                   .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::error)));
    PK_CHECK_ERRC(s, pk::errc::output_limit);
    BOOST_TEST(pk_test::children_after().empty(), "no process left");

    auto run = pk::run(pk_test::helper_command({"lines", "100"})
                           .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::error)));
    PK_CHECK_ERRC(run, pk::errc::output_limit);

    auto err = pk::output_string(pk_test::helper_command({"err-lines", "100"})
                                     .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::error)));
    PK_CHECK_ERRC(err, pk::errc::output_limit);
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

BOOST_AUTO_TEST_CASE(error_mode_kills_a_still_running_tree)
{
    // The child would go on printing for 20 s after the limit.
    auto t0 = std::chrono::steady_clock::now();
    auto r = pk::output_string(pk_test::helper_command({"slow-lines", "1000", "20"})
                                   .output_buffer(pk_test::buffer_policy(3, std::nullopt, pk::overflow_mode::error)));
    auto ms = pk_test::ms_since(t0);
    BOOST_TEST_MESSAGE("output_limit after " << ms << " ms");
    PK_CHECK_ERRC(r, pk::errc::output_limit);
    BOOST_TEST(ms < 10000, "the run ends at the limit, not when the child would have finished (20 s)");
    BOOST_TEST(pk_test::children_after().empty(), "no process left");
}

BOOST_AUTO_TEST_CASE(under_the_limits_nothing_is_truncated)
{
    for (auto mode : {pk::overflow_mode::drop_oldest, pk::overflow_mode::drop_newest, pk::overflow_mode::error})
    {
        auto r = pk::output_string(
            pk_test::helper_command({"mixed", "3"}).output_buffer(pk_test::buffer_policy(10, 1000, mode)));
        PK_REQUIRE_OK(r);
        BOOST_TEST(r.value().std_out == numbered("out", 0, 3));
        BOOST_TEST(r.value().std_err == numbered("err", 0, 3));
        BOOST_TEST(!r.value().std_out_truncated);
        BOOST_TEST(!r.value().std_err_truncated);
        BOOST_TEST(r.value().success());
    }
    // Exactly at the limits.
    auto exact =
        pk::output_bytes(pk_test::helper_command({"bytes", "1000"})
                             .output_buffer(pk_test::buffer_policy(std::nullopt, 1000, pk::overflow_mode::error)));
    PK_REQUIRE_OK(exact);
    BOOST_TEST(exact.value().std_out.size() == 1000u);
    BOOST_TEST(!exact.value().std_out_truncated);
    auto lines =
        pk::output_string(pk_test::helper_command({"lines", "5"})
                              .output_buffer(pk_test::buffer_policy(5, std::nullopt, pk::overflow_mode::error)));
    PK_REQUIRE_OK(lines);
    BOOST_TEST(lines.value().std_out == numbered("line", 0, 5));
    BOOST_TEST(!lines.value().std_out_truncated);
    // The default policy is unbounded.
    auto big = pk::output_bytes(pk_test::helper_command({"bytes", "3000000"}));
    PK_REQUIRE_OK(big);
    BOOST_TEST(big.value().std_out.size() == 3000000u);
    BOOST_TEST(!big.value().std_out_truncated);
}

// ---------------------------------------------------------------------------
// Line terminators and encodings

BOOST_AUTO_TEST_CASE(first_line_with_carriage_return_terminator)
{
    auto r = pk::first_line(pk_test::helper_command({"cr-lines", "3"}).line_end(pk::line_terminator::carriage_return));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value() == "progress 0");

    auto n = pk::first_line(pk_test::helper_command({"cr-lines", "3"}));
    PK_REQUIRE_OK(n);
    BOOST_TEST(n.value() != "progress 0", "with newline terminators the progress output is one line");
    BOOST_TEST(n.value().rfind("progress 0", 0) == 0u);
    BOOST_TEST(n.value().find("done") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(output_string_with_stdout_encoding)
{
    auto r = pk::output_string(pk_test::helper_command({"bad-utf8"}).stdout_encoding("ISO-8859-1"));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_out == "ok \xc3\xbf\xc3\xbe bad\n"
                                    "caf\xc3\x83\xc2\xa9\n"
                                    "latin1 caf\xc3\xa9\n");
    // Without an encoding, invalid UTF-8 becomes U+FFFD.
    auto u = pk::output_string(pk_test::helper_command({"bad-utf8"}));
    PK_REQUIRE_OK(u);
    BOOST_TEST(u.value().std_out ==
               "ok " + pk_test::fffd + pk_test::fffd + " bad\ncaf\xc3\xa9\nlatin1 caf" + pk_test::fffd + "\n");
    // output_bytes stays raw whatever the encoding.
    auto b = pk::output_bytes(pk_test::helper_command({"bad-utf8"}).stdout_encoding("ISO-8859-1"));
    PK_REQUIRE_OK(b);
    BOOST_TEST(b.value().std_out == "ok \xff\xfe bad\ncaf\xc3\xa9\nlatin1 caf\xe9\n");
}

BOOST_AUTO_TEST_CASE(stderr_encoding_applies_to_stderr)
{
    // stderr-exit writes its TEXT argument to stderr: a Latin-1 byte in it.
    auto r = pk::output_string(pk_test::helper_command({"stderr-exit", "0", "caf\xe9"}).stderr_encoding("ISO-8859-1"));
    PK_REQUIRE_OK(r);
    BOOST_TEST(r.value().std_err == "caf\xc3\xa9\n");
}

BOOST_AUTO_TEST_CASE(unknown_encoding_spawns_nothing)
{
    pk_test::temp_dir dir;
    auto marker = (dir.path / "ran").string();
    auto r = pk::output_string(pk_test::helper_command({"make-file", marker, "0"}).stdout_encoding("NO-SUCH-ENCODING"));
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code() == pk::errc::invalid_argument);
    BOOST_TEST(r.error().diag().detail.find("NO-SUCH-ENCODING") != std::string::npos);
    BOOST_TEST(!std::filesystem::exists(marker), "the child never ran");
}

BOOST_AUTO_TEST_SUITE_END()
