// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Shared test utilities: the helper and commands running it, /proc
// observations, fixtures and skips, result checks, scratch directories, an
// io_context thread, and checks and data for captured output.

#ifndef BOOST_PROCESSKIT_TEST_PK_TEST_HPP
#define BOOST_PROCESSKIT_TEST_PK_TEST_HPP

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/processkit/command.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/mechanism.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pk_test {

// ---------------------------------------------------------------------------
// The helper program

/// Path of the helper program the tests spawn.
inline std::string helper() { return PK_HELPER_PATH; }

/// The helper as a command, with its mode and arguments.
inline boost::processkit::command helper_command(std::initializer_list<std::string> args)
{
    return boost::processkit::command(helper()).args(args);
}

// ---------------------------------------------------------------------------
// /proc observations

/// Is `pid` still in /proc at all (zombies included)?
inline bool pid_exists(int pid)
{
    struct stat st;
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

/// Waits up to `limit` for every pid to vanish from /proc; returns the survivors.
inline std::vector<int> survivors(const std::vector<int>& pids,
                                  std::chrono::milliseconds limit = std::chrono::milliseconds(3000))
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<int> left;
    do
    {
        left.clear();
        for (int p : pids)
            if (pid_exists(p))
                left.push_back(p);
        if (left.empty())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < deadline);
    return left;
}

/// Children (any state, zombies included) of this process, all threads.
inline std::vector<int> own_children()
{
    std::vector<int> out;
    std::string task = "/proc/self/task";
    DIR* d = ::opendir(task.c_str());
    if (!d)
        return out;
    while (dirent* e = ::readdir(d))
    {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream in(task + "/" + e->d_name + "/children");
        int pid;
        while (in >> pid)
            out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

/// Waits up to `limit` for this process to have no children; returns what is left.
inline std::vector<int> children_after(std::chrono::milliseconds limit = std::chrono::milliseconds(3000))
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<int> kids;
    while (!(kids = own_children()).empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return kids;
}

/// Is `pid` alive and not a zombie?
inline bool running(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(in, s);
    auto close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size())
        return false;
    char state = s[close + 2];
    return state != 'Z' && state != 'X';
}

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), -1 if absent.
inline long status_kib(const std::string& field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::stol(line.substr(field.size() + 1));
    return -1;
}

/// Open fds of this process.
inline std::vector<int> own_fds()
{
    std::vector<int> out;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d)
        return out;
    int self = ::dirfd(d);
    while (dirent* e = ::readdir(d))
    {
        if (e->d_name[0] == '.')
            continue;
        int fd = std::stoi(e->d_name);
        if (fd != self)
            out.push_back(fd);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

/// Integers following "pid " on each line of `text`.
inline std::vector<int> pid_lines(const std::string& text)
{
    std::vector<int> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("pid ", 0) == 0)
            out.push_back(std::stoi(line.substr(4)));
    return out;
}

/// The cgroup v2 path of `pid` ("" if gone).
inline std::string cgroup_of(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0)
            return line.substr(3);
    return {};
}

// ---------------------------------------------------------------------------
// Fixtures, preconditions and data-test variants

/// Global fixture: this process reaps orphans itself (PID 1 may be late) and the fallback notice is silenced.
struct subreaper_fixture
{
    // Register it as `using pk_test::subreaper_fixture; BOOST_TEST_GLOBAL_FIXTURE(subreaper_fixture);`:
    // the macro pastes its argument into a variable name, so the name must be unqualified.
    subreaper_fixture()
    {
        BOOST_TEST_REQUIRE(boost::processkit::enable_subreaper().has_value());
        boost::processkit::set_fallback_handler({});
    }
};

/// Per-test fixture: when the test ends, this process has no child left,
/// zombies included (waits up to a second for teardown to settle).
struct no_leftover_children
{
    ~no_leftover_children()
    {
        std::vector<int> kids = children_after(std::chrono::seconds(1));
        for (int k : kids)
        {
            std::ifstream stat("/proc/" + std::to_string(k) + "/stat");
            std::string line;
            std::getline(stat, line);
            BOOST_TEST_MESSAGE("leftover child: " << line.substr(0, 60));
        }
        BOOST_TEST(kids.empty(), "no child process or zombie left behind");
    }
};

/// Does this host offer cgroup v2 containment?
inline bool cgroup_usable()
{
    return boost::processkit::host_containment().mechanism == boost::processkit::mechanism::cgroup_v2;
}

/// Boost.Test precondition: skips (visibly, as "skipped" in the report) when
/// cgroup v2 containment is not available on this host.
struct needs_cgroup
{
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const
    {
        if (cgroup_usable())
            return true;
        boost::test_tools::assertion_result r(false);
        r.message() << "SKIPPED: cgroup v2 containment unavailable here: "
                    << boost::processkit::host_containment().reason;
        return r;
    }
};

/// A group with the requested mechanism.
inline boost::processkit::process_group make_group(boost::processkit::mechanism_request m)
{
    boost::processkit::process_group_options o;
    o.mechanism = m;
    return boost::processkit::process_group(o);
}

/// Both mechanisms where the host has cgroups, else only the fallback (and say so).
inline std::vector<boost::processkit::mechanism_request> mechanisms()
{
    if (cgroup_usable())
        return {boost::processkit::mechanism_request::cgroup_v2, boost::processkit::mechanism_request::process_group};
    BOOST_TEST_MESSAGE("SKIPPED cgroup_v2 variants: " << boost::processkit::host_containment().reason);
    return {boost::processkit::mechanism_request::process_group};
}

// ---------------------------------------------------------------------------
// Results, time, files and threads

/// The error message of `r`, or "" when it holds a value (for test messages).
template <class T>
std::string why(const boost::processkit::result<T>& r)
{
    return r.has_value() ? std::string() : r.error().message();
}

/// Milliseconds elapsed since `t0`.
inline long long ms_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

/// A private directory under /tmp, removed at the end of the test.
struct temp_dir
{
    std::filesystem::path path;
    temp_dir()
    {
        char tmpl[] = "/tmp/pk-test-XXXXXX";
        BOOST_TEST_REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = std::filesystem::canonical(tmpl);
    }
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

/// An io_context run on its own thread for the scope's lifetime (stopped and joined at exit, even on failure).
struct io_thread
{
    boost::asio::io_context ctx;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{ctx.get_executor()};
    std::jthread thread{[this] { ctx.run(); }};
    ~io_thread()
    {
        ctx.stop();
        thread.join();
    }
};

// ---------------------------------------------------------------------------
// Output checks and test data

/// Index of the first byte of `s` (output from offset `first` on) off the helper's k % 251 pattern, or s.size().
inline std::size_t pattern_mismatch(const std::string& s, std::size_t first = 0)
{
    for (std::size_t k = 0; k < s.size(); ++k)
        if (static_cast<unsigned char>(s[k]) != (first + k) % 251)
            return k;
    return s.size();
}

/// An output buffer policy with the given line and byte bounds and overflow mode.
inline boost::processkit::output_buffer_policy
buffer_policy(std::optional<std::size_t> lines, std::optional<std::size_t> bytes, boost::processkit::overflow_mode m)
{
    boost::processkit::output_buffer_policy p;
    p.max_lines = lines;
    p.max_bytes = bytes;
    p.mode = m;
    return p;
}

/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
inline const std::string fffd = "\xEF\xBF\xBD";

} // namespace pk_test

// ---------------------------------------------------------------------------
// Result checks (macros, so a failure reports the test's own line). Each
// evaluates `r` once, so `PK_REQUIRE_OK(pk::run(cmd))` runs the command once.

/// The result `r` is an error with condition `e`.
#define PK_CHECK_ERRC(r, e)                                                                                            \
  do                                                                                                                   \
  {                                                                                                                    \
    const auto& pk_checked_ = (r);                                                                                     \
    BOOST_TEST_REQUIRE(pk_checked_.has_error(), "expected the error " << (e));                                         \
    BOOST_TEST(pk_checked_.error().code() == (e),                                                                      \
               "got " << pk_checked_.error().code() << ": " << pk_checked_.error().message());                         \
  } while (0)

/// The result `r` holds a value (else stop the test, saying why).
#define PK_REQUIRE_OK(r)                                                                                               \
  do                                                                                                                   \
  {                                                                                                                    \
    const auto& pk_checked_ = (r);                                                                                     \
    BOOST_TEST_REQUIRE(pk_checked_.has_value(), pk_test::why(pk_checked_));                                            \
  } while (0)

#endif // BOOST_PROCESSKIT_TEST_PK_TEST_HPP
