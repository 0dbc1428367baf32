// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The value parsers of the tool's options (cli.hpp): durations, signals,
// mechanisms, --env entries, and supervise's --restart, --max-restarts,
// --backoff and --storm; the command line itself is cli.cpp. Their errors
// name the option, never the value.

#include "cli.hpp"

#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <limits>

namespace boost {
namespace processkit {
namespace tool {
namespace {

using std::chrono::nanoseconds;

bool is_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// A duration unit in nanoseconds ("" is seconds), 0 for an unknown one.
std::uint64_t unit_nanoseconds(std::string_view unit)
{
    constexpr std::uint64_t second = 1000000000ULL;
    if (unit.empty() || unit == "s")
        return second;
    if (unit == "ms")
        return 1000000ULL;
    if (unit == "m")
        return 60 * second;
    if (unit == "h")
        return 3600 * second;
    if (unit == "d")
        return 86400 * second;
    return 0;
}

} // namespace

// ---------------------------------------------------------------- durations, signals, mechanisms, --env

nanoseconds parse_duration(std::string_view text, std::string_view option)
{
    const std::string opt(option);
    auto not_a_duration = [&] {
        return usage_error("", opt + ": not a duration (use a number and a unit: 300ms, 5s, 1.5s, 2m; "
                                     "a plain number is seconds)");
    };
    if (!text.empty() && (text[0] == '-' || text[0] == '+'))
        throw usage_error("", opt + ": a duration must not be negative or signed");

    // The whole part, then the fraction in billionths (digits past the ninth
    // are dropped).
    std::size_t i = 0;
    std::uint64_t whole = 0;
    std::size_t whole_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    {
        if (whole > std::numeric_limits<std::int64_t>::max() / 10)
            throw usage_error("", opt + ": the duration is too long");
        whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
        ++whole_digits;
        ++i;
    }
    std::uint64_t frac9 = 0; // the fraction, in billionths
    std::size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.')
    {
        ++i;
        std::uint64_t scale = 100000000;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
        {
            frac9 += static_cast<std::uint64_t>(text[i] - '0') * scale;
            scale /= 10;
            ++frac_digits;
            ++i;
        }
        if (frac_digits == 0)
            throw not_a_duration();
    }
    if (whole_digits == 0 && frac_digits == 0)
        throw not_a_duration();

    const std::uint64_t unit_ns = unit_nanoseconds(text.substr(i));
    if (unit_ns == 0)
        throw not_a_duration();

    constexpr std::uint64_t max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (whole > max / unit_ns)
        throw usage_error("", opt + ": the duration is too long");
    // frac9 * unit_ns / 1e9 without overflow: units of a second or more are whole seconds.
    const std::uint64_t frac_ns =
        unit_ns >= 1000000000ULL ? frac9 * (unit_ns / 1000000000ULL) : frac9 * unit_ns / 1000000000ULL;
    const std::uint64_t whole_ns = whole * unit_ns;
    if (whole_ns > max - frac_ns)
        throw usage_error("", opt + ": the duration is too long");
    return nanoseconds(static_cast<std::int64_t>(whole_ns + frac_ns));
}

int parse_signal(std::string_view text, std::string_view option)
{
    const std::string opt(option);
    auto bad = [&] {
        return usage_error("", opt + ": not a signal (use a name such as TERM, INT, HUP, KILL, or a number)");
    };
    if (is_digits(text))
    {
        if (text.size() > 3)
            throw bad();
        int n = 0;
        for (char c : text)
            n = n * 10 + (c - '0');
        if (n < 1 || n >= NSIG)
            throw bad();
        return n;
    }
    std::string name;
    for (char c : text)
        name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG"))
        name.erase(0, 3);
    if (name.empty())
        throw bad();
    for (int n = 1; n < NSIG; ++n)
        if (const char* abbrev = ::sigabbrev_np(n); abbrev && name == abbrev)
            return n;
    throw bad();
}

mechanism_request parse_mechanism(std::string_view text, std::string_view option)
{
    if (text == "automatic")
        return mechanism_request::automatic;
    if (text == "cgroup_v2")
        return mechanism_request::cgroup_v2;
    if (text == "process_group")
        return mechanism_request::process_group;
    throw usage_error("", std::string(option) + ": expected automatic, cgroup_v2 or process_group");
}

std::pair<std::string, std::string> parse_env_entry(std::string_view text, std::size_t index)
{
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw usage_error("", "--env entry " + std::to_string(index) + " is not NAME=VALUE");
    return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string signal_name(int signal)
{
    if (const char* abbrev = ::sigabbrev_np(signal))
        return std::string("SIG") + abbrev;
    return "signal " + std::to_string(signal);
}

std::string format_duration(nanoseconds d)
{
    using namespace std::chrono;
    // `count` thousandths, with the trailing zeros of the fraction dropped.
    auto thousandths = [](long long count) {
        std::string out = std::to_string(count / 1000);
        if (count % 1000 != 0)
        {
            std::string frac = std::to_string(count % 1000 + 1000).substr(1);
            while (frac.back() == '0')
                frac.pop_back();
            out += "." + frac;
        }
        return out;
    };
    if (d < seconds(1))
        return thousandths(duration_cast<microseconds>(d).count()) + "ms";
    if (d % minutes(1) != nanoseconds::zero())
        return thousandths(duration_cast<milliseconds>(d).count()) + "s";
    if (d % hours(1) != nanoseconds::zero())
        return std::to_string(duration_cast<minutes>(d).count()) + "m";
    return std::to_string(duration_cast<hours>(d).count()) + "h";
}

// ---------------------------------------------------------------- supervise: restarts, backoff, crash storms

restart_policy parse_restart_policy(std::string_view text, std::string_view option)
{
    if (text == "always")
        return restart_policy::always;
    if (text == "on-failure")
        return restart_policy::on_failure;
    if (text == "never")
        return restart_policy::never;
    throw usage_error("", std::string(option) + ": expected always, on-failure or never");
}

std::size_t parse_count(std::string_view text, std::string_view option)
{
    constexpr std::uint64_t limit = 1000000000;
    if (text.empty())
        throw usage_error("", std::string(option) + ": not a count (use a whole number: 0, 1, 2, ...)");
    std::uint64_t n = 0;
    for (char c : text)
    {
        if (c < '0' || c > '9')
            throw usage_error("", std::string(option) + ": not a count (use a whole number: 0, 1, 2, ...)");
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n > limit)
            throw usage_error("", std::string(option) + ": the count is too large (at most 1000000000)");
    }
    return static_cast<std::size_t>(n);
}

backoff_range parse_backoff(std::string_view text, std::string_view option)
{
    const std::string opt(option);
    const std::size_t dots = text.find("..");
    if (dots == std::string_view::npos)
        throw usage_error("", opt + ": expected MIN..MAX, two durations (100ms..30s)");
    backoff_range r;
    r.min = parse_duration(text.substr(0, dots), option);
    r.max = parse_duration(text.substr(dots + 2), option);
    if (r.max < r.min)
        throw usage_error("", opt + ": MAX must not be shorter than MIN");
    return r;
}

crash_storm parse_storm(std::string_view text, std::string_view option)
{
    const std::string opt(option);
    const std::size_t slash = text.find('/');
    const std::size_t colon = slash == std::string_view::npos ? slash : text.find(':', slash + 1);
    if (colon == std::string_view::npos)
        throw usage_error("", opt + ": expected N/WINDOW:PAUSE, a count and two durations (5/10s:30s)");
    crash_storm s;
    s.failures = parse_count(text.substr(0, slash), option);
    if (s.failures == 0)
        throw usage_error("", opt + ": N must be at least 1");
    s.window = parse_duration(text.substr(slash + 1, colon - slash - 1), option);
    if (s.window <= nanoseconds::zero())
        throw usage_error("", opt + ": WINDOW must be greater than zero");
    s.pause = parse_duration(text.substr(colon + 1), option);
    return s;
}

std::vector<std::string> split_words(std::string_view text)
{
    std::vector<std::string> words;
    std::string word;
    for (char c : text)
    {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        {
            if (!word.empty())
                words.push_back(std::move(word));
            word.clear();
        }
        else
            word += c;
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

} // namespace tool
} // namespace processkit
} // namespace boost
