// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include <boost/processkit/error.hpp>

#include "backend/signals.hpp"

#include <boost/system/errc.hpp>

#include <ostream>

namespace boost {
namespace processkit {
namespace {

class category_impl final : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "boost.processkit"; }

    std::string message(int ev) const override
    {
        switch (static_cast<errc>(ev))
        {
        case errc::program_not_found: return "program not found";
        case errc::bad_working_directory: return "working directory does not exist or is not a directory";
        case errc::invalid_argument: return "invalid argument";
        case errc::nonzero_exit: return "process exited with a code that is not accepted";
        case errc::signalled: return "process was killed by a signal";
        case errc::timed_out: return "process timed out";
        case errc::cancelled: return "operation cancelled";
        case errc::missing_exit_code: return "process has no exit code";
        case errc::unexpected_probe_code: return "probe exited with a code other than 0 or 1";
        case errc::empty_output: return "process printed no line";
        case errc::pidfd_unavailable: return "pidfd unavailable: child exits cannot be watched";
        case errc::containment_failed: return "could not attach the child to its process group";
        case errc::group_closed: return "process group is closed";
        case errc::unsupported: return "unsupported on this platform or mechanism";
        case errc::not_ready: return "process did not become ready";
        case errc::end_of_stream: return "end of stream";
        case errc::stdin_closed: return "stdin of the child is closed";
        case errc::output_limit: return "captured output exceeded its limit";
        case errc::cassette_miss: return "invocation not found in cassette";
        case errc::resource_limit: return "resource limit reached";
        case errc::exited_before_ready: return "process ended before it became ready";
        case errc::status_unavailable: return "exit status unavailable: the child was reaped outside processkit";
        case errc::teardown_timeout: return "the process tree was still alive after the teardown timeout";
        }
        return "unknown processkit error";
    }

    // Generic conditions only where they mean the same, so portable code can
    // test `ec == std::errc::timed_out` without knowing processkit.
    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        using generic = boost::system::errc::errc_t;
        switch (static_cast<errc>(ev))
        {
        case errc::program_not_found: return make_error_condition(generic::no_such_file_or_directory);
        case errc::invalid_argument: return make_error_condition(generic::invalid_argument);
        case errc::timed_out:
        case errc::not_ready:
        case errc::teardown_timeout: return make_error_condition(generic::timed_out);
        case errc::cancelled: return make_error_condition(generic::operation_canceled);
        case errc::unsupported: return make_error_condition(generic::not_supported);
        case errc::stdin_closed: return make_error_condition(generic::broken_pipe);
        case errc::status_unavailable: return make_error_condition(generic::no_child_process);
        default: return boost::system::error_condition(ev, *this);
        }
    }
};

std::string trim_tail(const std::string& s)
{
    auto end = s.find_last_not_of(" \t\r\n");
    if (end == std::string::npos)
        return {};
    // Keep the last non-empty line: the one that usually says what went wrong.
    auto begin = s.find_last_of('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return s.substr(begin, end + 1 - begin);
}

// The program name as text: control bytes (a NUL would cut what()) escaped.
std::string printable(const std::string& s)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s)
    {
        if (c == '\0')
            out += "\\0";
        else if (c < 0x20 || c == 0x7f)
            out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
        else
            out += static_cast<char>(c);
    }
    return out;
}

std::string format_duration(std::chrono::nanoseconds d)
{
    using namespace std::chrono;
    if (d < milliseconds(10))
        return std::to_string(duration_cast<microseconds>(d).count()) + "us";
    if (d < seconds(10))
        return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
    return std::to_string(duration_cast<seconds>(d).count()) + "s";
}

} // namespace

const boost::system::error_category& processkit_category() noexcept
{
    static const category_impl cat;
    return cat;
}

std::ostream& operator<<(std::ostream& os, errc e) { return os << make_error_code(e).message(); }

std::string diagnostics::message(const error_code& ec) const
{
    std::string who = program.empty() ? std::string("process") : "\"" + printable(program) + "\"";
    if (stage)
        who += " (pipeline stage " + std::to_string(*stage) + ")";
    std::string out;
    if (ec == errc::nonzero_exit && exit_code)
        out = who + " exited with code " + std::to_string(*exit_code);
    else if ((ec == errc::signalled || ec == errc::nonzero_exit) && signal)
    {
        const char* abbrev = detail::native_signal_name(*signal);
        out = who + " was killed by signal " + std::to_string(*signal) +
              (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
    }
    else if (ec == errc::timed_out && timeout)
        out = who + " timed out after " + format_duration(*timeout);
    else if (ec == errc::program_not_found)
        out = who + " not found";
    else
        out = who + (step.empty() ? std::string() : ": " + step) + ": " + ec.message();

    if (!detail.empty())
        out += " (" + detail + ")";
    if (attempts && *attempts > 1)
        out += " after " + std::to_string(*attempts) + " attempts";
    auto tail = trim_tail(stderr_tail);
    if (!tail.empty())
        out += ": " + tail;
    return out;
}

} // namespace processkit
} // namespace boost
