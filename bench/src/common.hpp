// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Shared pieces of the benchmark harness: clocks, sample statistics, /proc
// readers and the paths of the bench-local programs.

#ifndef PK_BENCH_COMMON_HPP
#define PK_BENCH_COMMON_HPP

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace pkb {

/// CLOCK_MONOTONIC in nanoseconds: the same clock the children stamp with.
inline std::int64_t now_ns()
{
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

inline double seconds_since(std::int64_t t0) { return static_cast<double>(now_ns() - t0) * 1e-9; }

/// A set of measurements of one variant.
struct samples
{
    std::vector<double> v;
    void add(double x) { v.push_back(x); }
    void add(const std::vector<double>& xs) { v.insert(v.end(), xs.begin(), xs.end()); }
    bool empty() const { return v.empty(); }
    std::size_t size() const { return v.size(); }
    double quantile(double q) const
    {
        if (v.empty())
            return 0.0;
        std::vector<double> s = v;
        std::sort(s.begin(), s.end());
        double pos = q * static_cast<double>(s.size() - 1);
        auto lo = static_cast<std::size_t>(pos);
        auto hi = std::min(lo + 1, s.size() - 1);
        return s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo));
    }
    double median() const { return quantile(0.5); }
};

/// Thrown by a variant that cannot run here (e.g. the processkit runner is
/// not linked yet); the harness reports the row as "n/a" with the reason.
struct not_available : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// Paths and knobs filled in by main().
struct config
{
    std::string gen;       ///< pk_gen
    std::string peers_dir; ///< bench/peers
    std::string python = "python3";
    std::string node = "node";
    double scale = 1.0; ///< multiplies sample counts (--quick: 0.3)
    bool peers = true;
};
config& cfg();

inline int scaled(int n, int minimum = 1)
{
    int k = static_cast<int>(n * cfg().scale + 0.5);
    return std::max(k, minimum);
}

/// Resident set size of this process in KiB (VmRSS).
long rss_kib();
/// Number of direct children of this process (all threads), from /proc.
int count_children();
/// Direct children of this process (all threads), from /proc.
std::vector<int> list_children();

/// Parse the first decimal integer of `s` (a child's CLOCK_MONOTONIC stamp).
inline std::int64_t parse_stamp(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

/// Count lines and sum their lengths (without '\n') with memchr: the same
/// splitter for every in-process variant of scenario 5.
struct line_stats
{
    std::uint64_t lines = 0;
    std::uint64_t bytes = 0;
};
void split_lines(const char* p, std::size_t n, line_stats& st);

/// A streaming line reader, as plain C code would write it: read() into a
/// 64 KiB buffer, hand every complete line (as pointer + length) to the
/// sink with memchr, move the partial last line to the front.
class line_reader
{
public:
    static constexpr std::size_t capacity = 64 * 1024;
    line_reader() : buf_(new char[capacity]) {}
    ~line_reader() { delete[] buf_; }
    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;
    /// Where the next read() goes, and how much room there is.
    char* space() { return buf_ + used_; }
    std::size_t room() const { return capacity - used_; }
    /// `n` bytes were read into space().
    void commit(std::size_t n);
    /// End of stream: a last line without '\n' counts too.
    void finish();
    line_stats stats;

private:
    char* buf_;
    std::size_t used_ = 0;
};

} // namespace pkb

#endif
