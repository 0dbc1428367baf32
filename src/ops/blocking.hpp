// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_BLOCKING_HPP
#define BOOST_PROCESSKIT_SRC_OPS_BLOCKING_HPP

// The sync bridge of a live process: its blocking members start the async
// operation and wait for it on the calling thread (never the one that
// serves the process).

#include "live_state.hpp"

#include <future>
#include <optional>
#include <type_traits>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

/// The diagnostics for a failed operation: how the run ended, if it has.
diagnostics describe(live_state& s, error_code ec);

template <class T, class Initiate>
result<T> block(live_state& s, Initiate initiate)
{
    if (s.strand.running_in_this_thread())
    {
        diagnostics d;
        d.program = s.cmd.program();
        d.detail = "blocking call on the thread that serves the process";
        return error(errc::unsupported, std::move(d));
    }
    using value_t = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::promise<std::pair<error_code, std::optional<value_t>>> p;
    auto f = p.get_future();
    if constexpr (std::is_void_v<T>)
        initiate([&p](error_code ec) { p.set_value({ec, std::nullopt}); });
    else
        initiate([&p](error_code ec, T v) { p.set_value({ec, std::optional<value_t>(std::move(v))}); });
    auto [ec, v] = f.get();
    if (ec)
        return error(ec, describe(s, ec));
    if constexpr (std::is_void_v<T>)
        return outcome_v2::success();
    else
        return std::move(*v);
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_BLOCKING_HPP
