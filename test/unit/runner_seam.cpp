// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The verb vocabulary runs over any process_runner: a fake that answers
// async_capture with canned results drives every verb without spawning.

#define BOOST_TEST_MODULE runner_seam
#include <boost/processkit/process_runner.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

namespace pk = boost::processkit;
namespace asio = boost::asio;

namespace {

// Replies to every capture with `reply`, recording the programs it was asked to run.
class fake_runner final : public pk::process_runner
{
public:
    pk::process_result reply;
    boost::system::error_code fail;
    std::vector<std::string> programs;

    void async_capture(asio::any_io_executor ex, pk::command cmd,
                       asio::any_completion_handler<void(pk::error_code, pk::process_result)> h) override
    {
        programs.push_back(cmd.program());
        asio::post(ex, [h = std::move(h), r = reply, ec = fail]() mutable { std::move(h)(ec, std::move(r)); });
    }
    pk::result<pk::running_process> start(asio::any_io_executor, pk::command) override
    {
        return pk::error(pk::errc::unsupported);
    }
};

pk::process_result exited(int code, std::string out, std::string err = {})
{
    pk::process_result r;
    r.outcome = pk::run_outcome::exited(code);
    r.accepted = code == 0;
    r.std_out = std::move(out);
    r.std_err = std::move(err);
    r.diagnostics.program = "git";
    r.diagnostics.exit_code = code;
    r.diagnostics.stderr_tail = r.std_err;
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(run_trims_and_checks)
{
    fake_runner f;
    f.reply = exited(0, "main\n\n");
    BOOST_TEST(f.run(pk::command("git")).value() == "main");
    f.reply = exited(128, "", "fatal: not a git repository\n");
    auto r = f.run(pk::command("git"));
    BOOST_TEST(r.error().code() == pk::errc::nonzero_exit);
    BOOST_TEST(r.error().message() == "\"git\" exited with code 128: fatal: not a git repository");
    BOOST_TEST(f.programs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(output_verbs_never_fail_on_exit)
{
    fake_runner f;
    f.reply = exited(3, "x");
    auto r = f.output_string(pk::command("git")).value();
    BOOST_TEST(*r.code() == 3);
    BOOST_TEST(r.ensure_success().error().code() == pk::errc::nonzero_exit);
}

BOOST_AUTO_TEST_CASE(probe_exit_code_first_line)
{
    fake_runner f;
    f.reply = exited(0, "");
    BOOST_TEST(f.probe(pk::command("git")).value() == true);
    BOOST_TEST(f.first_line(pk::command("git")).error().code() == pk::errc::empty_output);
    f.reply = exited(1, "");
    BOOST_TEST(f.probe(pk::command("git")).value() == false);
    BOOST_TEST(f.exit_code(pk::command("git")).value() == 1);
    f.reply = exited(2, "");
    BOOST_TEST(f.probe(pk::command("git")).error().code() == pk::errc::unexpected_probe_code);
    f.reply = exited(0, "first\r\nsecond\n");
    BOOST_TEST(f.first_line(pk::command("git")).value() == "first");
    f.reply.outcome = pk::run_outcome::signalled(9);
    BOOST_TEST(f.exit_code(pk::command("git")).error().code() == pk::errc::missing_exit_code);
    f.reply.outcome = pk::run_outcome::timed_out();
    BOOST_TEST(f.exit_code(pk::command("git")).error().code() == pk::errc::timed_out);
}

BOOST_AUTO_TEST_CASE(capture_errors_pass_through_with_diagnostics)
{
    fake_runner f;
    f.fail = pk::errc::cancelled;
    f.reply.diagnostics.program = "git";
    pk::diagnostics d;
    asio::io_context ctx;
    pk::error_code got;
    f.async_run(ctx.get_executor(), pk::command("git"), d, [&](pk::error_code ec, std::string) { got = ec; });
    ctx.run();
    BOOST_TEST(got == pk::errc::cancelled);
    BOOST_TEST(d.program == "git");
}
