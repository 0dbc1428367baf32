// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_FANOUT_SCHEDULE_HPP
#define BOOST_PROCESSKIT_SRC_CORE_FANOUT_SCHEDULE_HPP

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

// The scheduling of a fan-out of `size` entries on `lanes` lanes: entries
// start in input order, each on a free lane; a stop ends the starts.
class fanout_schedule
{
public:
    struct start
    {
        std::size_t index;
        std::size_t lane;
    };

    fanout_schedule(std::size_t size, std::size_t concurrency) : size_(size), lanes_(std::min(size, concurrency))
    {
        for (std::size_t l = lanes_; l-- > 0;)
            free_.push_back(l); // lane 0 first
    }

    std::size_t lanes() const noexcept { return lanes_; }

    /// The next entry to start and its lane, while one may start.
    std::optional<start> next()
    {
        if (stopped_ || next_ == size_ || free_.empty())
            return std::nullopt;
        start s{next_++, free_.back()};
        free_.pop_back();
        ++in_flight_;
        return s;
    }

    /// The entry on `lane` has finished: the lane is free.
    void finished(std::size_t lane)
    {
        free_.push_back(lane);
        --in_flight_;
    }

    /// Nothing more starts. Returns the first entry never started (entries
    /// from there to the end never will be).
    std::size_t stop()
    {
        stopped_ = true;
        return next_;
    }

    bool stopped() const noexcept { return stopped_; }
    bool started_any() const noexcept { return next_ > 0; }
    std::size_t in_flight() const noexcept { return in_flight_; }
    /// Every entry has finished or will never start.
    bool over() const noexcept { return in_flight_ == 0 && (stopped_ || next_ == size_); }

private:
    std::size_t size_;
    std::size_t lanes_;
    std::size_t next_ = 0;
    std::size_t in_flight_ = 0;
    bool stopped_ = false;
    std::vector<std::size_t> free_; ///< a stack of free lanes
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_FANOUT_SCHEDULE_HPP
