// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_DETAIL_ACCESS_HPP
#define BOOST_PROCESSKIT_DETAIL_ACCESS_HPP

// The one friend of the public handle types (process_group,
// running_process): how the library and its adapters reach the shared state
// behind a handle, and make a handle over one, without a public accessor.

#include <utility>

namespace boost {
namespace processkit {
namespace detail {

struct access
{
    /// The shared state behind `handle`.
    template <class Handle>
    static const auto& state(const Handle& handle) noexcept
    {
        return handle.state_;
    }

    /// A handle over `state`.
    template <class Handle, class State>
    static Handle make(State&& state) noexcept
    {
        return Handle(std::forward<State>(state));
    }
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_DETAIL_ACCESS_HPP
