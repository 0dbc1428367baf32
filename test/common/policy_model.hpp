// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The output_buffer_policy semantics written plainly: what a bounded
// line_queue must hold after each line. The reference of the line_queue
// unit test and of the fuzz_text target.

#ifndef BOOST_PROCESSKIT_TEST_POLICY_MODEL_HPP
#define BOOST_PROCESSKIT_TEST_POLICY_MODEL_HPP

#include <boost/processkit/command.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

namespace pk_test {

struct policy_model
{
    boost::processkit::output_buffer_policy policy;
    std::deque<std::string> lines;
    std::size_t bytes = 0;
    bool discard = false;
    bool truncated = false;

    bool bounded() const { return policy.max_lines || policy.max_bytes; }
    bool fits(std::size_t n) const
    {
        return (!policy.max_lines || lines.size() < *policy.max_lines) &&
               (!policy.max_bytes || n <= *policy.max_bytes - bytes);
    }
    void push(std::string l)
    {
        if (discard)
            return;
        if (!bounded() || fits(l.size()))
        {
            bytes += l.size();
            lines.push_back(std::move(l));
            return;
        }
        truncated = true;
        if (policy.mode == boost::processkit::overflow_mode::error)
        {
            discard = true;
            return;
        }
        if (policy.mode == boost::processkit::overflow_mode::drop_newest)
            return;
        if (policy.max_lines && *policy.max_lines == 0)
        {
            lines.clear();
            bytes = 0;
            return;
        }
        if (policy.max_bytes && l.size() > *policy.max_bytes)
        {
            // Kept alone: its newest bytes that fit, from a character boundary
            // on (the lines are UTF-8 text: never start one inside a sequence).
            l.erase(0, l.size() - *policy.max_bytes);
            while (!l.empty() && (static_cast<unsigned char>(l[0]) & 0xC0) == 0x80)
                l.erase(0, 1);
            lines.clear();
            bytes = 0;
        }
        while (!lines.empty() && !fits(l.size()))
        {
            bytes -= lines.front().size();
            lines.pop_front();
        }
        bytes += l.size();
        lines.push_back(std::move(l));
    }
    std::string pop()
    {
        std::string l = std::move(lines.front());
        lines.pop_front();
        bytes -= l.size();
        return l;
    }
};

} // namespace pk_test

#endif // BOOST_PROCESSKIT_TEST_POLICY_MODEL_HPP
