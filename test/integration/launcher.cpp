// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#define BOOST_TEST_MODULE launcher
#include "pk_launch.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/test/data/test_case.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>

namespace pk = boost::processkit;
namespace bp2 = boost::process::v2;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;

using pk_test::subreaper_fixture;
BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);

namespace {

// Launch the helper with stdout on a pipe, read everything, wait for the exit.
std::string run_capture(boost::asio::io_context& ctx, const pk::process_group& g, std::vector<std::string> args,
                        int* exit_status = nullptr)
{
    auto child = pk_test::launch(ctx, g, std::move(args));
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(child->out, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<std::size_t>(n));
    child->proc.wait();
    if (exit_status)
        *exit_status = child->proc.native_exit_code();
    return text;
}

// An initializer that fails in the child with a specific code and records the parent-side hooks.
struct failing_init
{
    bool* error_called;
    boost::system::error_code on_exec_setup(pk::launcher& l, const bp2::filesystem::path&, const char* const*)
    {
        l.child_step = "failing_init";
        return boost::system::error_code(EDOM, boost::system::system_category());
    }
    void on_error(pk::launcher&, const bp2::filesystem::path&, const char* const*, const boost::system::error_code&)
    {
        *error_called = true;
    }
};

} // namespace

// Every test ends with no child process or zombie of ours left.
BOOST_FIXTURE_TEST_SUITE(all, pk_test::no_leftover_children)

BOOST_DATA_TEST_CASE(child_sees_only_stdio_fds, bdata::make(pk_test::mechanisms()), m)
{
    // Inheritable fds in the parent: the stock 1.81 launcher leaks these.
    int leaky = ::open("/dev/null", O_RDONLY);
    int p[2];
    BOOST_TEST_REQUIRE(::pipe(p) == 0);
    boost::asio::io_context ctx;
    pk::process_group g({m});
    BOOST_TEST(run_capture(ctx, g, {"fds"}) == "0\n1\n2\n");
    ::close(leaky);
    ::close(p[0]);
    ::close(p[1]);
}

BOOST_AUTO_TEST_CASE(whitelisted_fd_is_inherited)
{
    int p[2];
    BOOST_TEST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    int keep = ::fcntl(p[1], F_DUPFD, 50); // not CLOEXEC
    boost::asio::io_context ctx;
    pk::process_group g;
    int out[2];
    BOOST_TEST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pk::launcher l;
    l.fd_whitelist.push_back(keep);
    auto proc =
        l(ctx, pk_test::helper(), std::vector<std::string>{"fds"}, pk::in_group(g), bp2::process_stdio{{}, out[1], {}});
    ::close(out[1]);
    std::string text = pk_test::read_until(out[0], "50\n");
    proc.wait();
    BOOST_TEST(text == "0\n1\n2\n50\n");
    for (int fd : {p[0], p[1], keep, out[0]})
        ::close(fd);
}

BOOST_AUTO_TEST_CASE(exit_code_is_watched_through_pidfd)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    pk::launcher l;
    auto proc = l(ctx, pk_test::helper(), std::vector<std::string>{"exit", "7"}, pk::in_group(g));
    std::future<int> f = proc.async_wait(boost::asio::use_future);
    ctx.run();
    BOOST_TEST(f.get() == 7);
}

// The SigIgn line a child of this process should show: what this process
// ignores, less SIGPIPE and SIGXFSZ (which a spawn puts back to default).
std::string expected_sig_ignored()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("SigIgn:", 0) == 0)
        {
            unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
            mask &= ~((1ull << (SIGPIPE - 1)) | (1ull << (SIGXFSZ - 1)));
            char buf[32];
            std::snprintf(buf, sizeof buf, "SigIgn:\t%016llx", mask);
            return buf;
        }
    return {};
}

// A child gets default handlers (and SIGPIPE back) whatever the parent
// installed; what the parent ignored before it ran (nohup's SIGHUP, a
// background job's SIGINT and SIGQUIT) stays ignored, as POSIX has it.
BOOST_AUTO_TEST_CASE(signal_state_is_clean_in_child)
{
    const std::string inherited = expected_sig_ignored();
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};
    struct sigaction old_usr1, old_pipe;
    ::sigaction(SIGUSR1, &sa, &old_usr1);
    sa.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &sa, &old_pipe);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);

    boost::asio::io_context ctx;
    pk::process_group g;
    auto text = run_capture(ctx, g, {"sigmask"});

    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGUSR1, &old_usr1, nullptr);
    ::sigaction(SIGPIPE, &old_pipe, nullptr);
    BOOST_TEST(text.find("SigBlk:\t0000000000000000") != std::string::npos, text);
    BOOST_TEST_REQUIRE(!inherited.empty());
    BOOST_TEST(text.find(inherited + "\n") != std::string::npos,
               "the child's " << text << " the parent's " << inherited);
}

BOOST_AUTO_TEST_CASE(process_v2_initializers_work)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    int out[2];
    BOOST_TEST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pk::launcher l;
    auto proc = l(ctx, pk_test::helper(), std::vector<std::string>{"cwd"}, pk::in_group(g),
                  bp2::process_start_dir("/tmp"), bp2::process_stdio{nullptr, out[1], nullptr});
    ::close(out[1]);
    BOOST_TEST(pk_test::read_until(out[0], "\n") == "/tmp\n");
    proc.wait();
    ::close(out[0]);
}

BOOST_AUTO_TEST_CASE(missing_program_is_its_own_error)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    pk::launcher l;
    boost::system::error_code ec;
    auto proc = l(ctx, ec, "/nonexistent/program", std::vector<std::string>{}, pk::in_group(g));
    BOOST_TEST(ec == pk::errc::program_not_found);
    BOOST_TEST(std::string(l.failed_step()) == "execve");
    BOOST_TEST(pk_test::own_children().empty(), "no zombie left");
}

BOOST_AUTO_TEST_CASE(missing_working_directory_is_its_own_error)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    pk::launcher l;
    boost::system::error_code ec;
    auto proc = l(ctx, ec, pk_test::helper(), std::vector<std::string>{"cwd"}, pk::in_group(g),
                  pk::start_dir("/nonexistent/dir"));
    BOOST_TEST(ec == pk::errc::bad_working_directory);
    BOOST_TEST(std::string(l.failed_step()) == "chdir");
    BOOST_TEST(pk_test::own_children().empty(), "no zombie left");
}

BOOST_AUTO_TEST_CASE(nul_in_argument_is_its_own_error)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    pk::launcher l;
    boost::system::error_code ec;
    auto proc =
        l(ctx, ec, pk_test::helper(), std::vector<std::string>{"args", std::string("a\0b", 3)}, pk::in_group(g));
    BOOST_TEST(ec == pk::errc::invalid_argument);
    BOOST_TEST(pk_test::own_children().empty(), "nothing was spawned");
}

BOOST_AUTO_TEST_CASE(the_three_errors_are_distinct)
{
    BOOST_TEST(pk::make_error_code(pk::errc::program_not_found) !=
               pk::make_error_code(pk::errc::bad_working_directory));
    BOOST_TEST(pk::make_error_code(pk::errc::program_not_found) != pk::make_error_code(pk::errc::invalid_argument));
    BOOST_TEST(pk::make_error_code(pk::errc::bad_working_directory) != pk::make_error_code(pk::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(child_hook_error_reaches_the_caller)
{
    boost::asio::io_context ctx;
    pk::process_group g;
    pk::launcher l;
    bool error_called = false;
    boost::system::error_code ec;
    auto proc = l(ctx, ec, pk_test::helper(), std::vector<std::string>{"exit", "0"}, pk::in_group(g),
                  failing_init{&error_called});
    BOOST_TEST(ec == boost::system::error_code(EDOM, boost::system::system_category()));
    BOOST_TEST(std::string(l.failed_step()) == "failing_init");
    BOOST_TEST(error_called);
    BOOST_TEST(pk_test::own_children().empty(), "failed child reaped");
}

BOOST_TEST_DECORATOR(*boost::unit_test::timeout(300))
BOOST_DATA_TEST_CASE(concurrent_spawns_with_running_io_context, bdata::make(pk_test::mechanisms()), m)
{
    // 4 threads run the io_context while 4 threads spawn: 500 children in all,
    // each checks it sees only fds 0, 1, 2. The stock 1.81 launcher hangs here.
    boost::asio::io_context ctx;
    auto work = boost::asio::make_work_guard(ctx);
    std::vector<std::thread> runners;
    for (int i = 0; i < 4; ++i)
        runners.emplace_back([&] { ctx.run(); });

    pk::process_group g({m});
    std::atomic<int> ok{0}, bad{0};
    std::vector<std::thread> spawners;
    for (int t = 0; t < 4; ++t)
        spawners.emplace_back([&] {
            for (int i = 0; i < 125; ++i)
            {
                int out[2];
                if (::pipe2(out, O_CLOEXEC) != 0)
                {
                    ++bad;
                    continue;
                }
                pk::launcher l;
                boost::system::error_code ec;
                auto proc = l(ctx, ec, pk_test::helper(), std::vector<std::string>{"fds"}, pk::in_group(g),
                              bp2::process_stdio{{}, out[1], {}});
                ::close(out[1]);
                std::string text;
                char buf[256];
                ssize_t n;
                while (!ec && (n = ::read(out[0], buf, sizeof buf)) > 0)
                    text.append(buf, static_cast<std::size_t>(n));
                ::close(out[0]);
                if (ec)
                {
                    ++bad;
                    continue;
                }
                int code = proc.async_wait(boost::asio::use_future).get();
                (code == 0 && text == "0\n1\n2\n" ? ok : bad)++;
            }
        });
    for (auto& t : spawners)
        t.join();
    work.reset();
    for (auto& t : runners)
        t.join();
    BOOST_TEST(ok.load() == 500);
    BOOST_TEST(bad.load() == 0);
    BOOST_TEST(pk_test::own_children().empty(), "no zombies");
}

BOOST_AUTO_TEST_SUITE_END()
