// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_POLL_SCHEDULE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_POLL_SCHEDULE_HPP

// When to look again whether a killed tree is empty, and how hard: the one
// schedule of the blocking wait (group_backend::wait_empty) and of the
// asynchronous one (src/ops/teardown.cpp). Killed members are usually gone
// within a millisecond, so the first looks come fast; a lingering one (a
// zombie another reaper holds) is looked at less and less often, and the
// expensive look (a walk of the process table) comes rarer still.

#include <algorithm>
#include <chrono>

namespace boost {
namespace processkit {
namespace detail {

class poll_schedule
{
public:
    using clock = std::chrono::steady_clock;

    explicit poll_schedule(clock::time_point start = clock::now()) : next_thorough_(start + thorough_every_) {}

    /// Whether the look at `now` should be the thorough one.
    bool thorough(clock::time_point now) noexcept
    {
        if (now < next_thorough_)
            return false;
        thorough_every_ = std::min(thorough_every_ * 2, std::chrono::milliseconds(50));
        next_thorough_ = now + thorough_every_;
        return true;
    }

    /// The pause before the next look: 200 us, doubling up to 2 ms.
    std::chrono::microseconds pause() noexcept
    {
        auto p = pause_;
        pause_ = std::min(pause_ * 2, std::chrono::microseconds(2000));
        return p;
    }

private:
    std::chrono::milliseconds thorough_every_{2};
    clock::time_point next_thorough_;
    std::chrono::microseconds pause_{200};
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_POLL_SCHEDULE_HPP
