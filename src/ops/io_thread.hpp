// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_OPS_IO_THREAD_HPP
#define BOOST_PROCESSKIT_SRC_OPS_IO_THREAD_HPP

#include <boost/asio/any_io_executor.hpp>

namespace boost {
namespace processkit {
namespace detail {

/// The executor behind `start(cmd)`: one I/O thread for the whole process
/// (src/ops/io_thread.cpp).
asio::any_io_executor background_executor();

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_OPS_IO_THREAD_HPP
