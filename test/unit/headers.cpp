// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The umbrella header must not pull in Boost.Process v2 (its compile cost
// stays in src/ and in the opt-in launcher.hpp).

#define BOOST_TEST_MODULE headers
#include <boost/processkit.hpp>

#include <boost/test/unit_test.hpp>

#ifdef BOOST_PROCESS_V2_DETAIL_CONFIG_HPP
#  error "<boost/processkit.hpp> includes Boost.Process v2"
#endif

BOOST_AUTO_TEST_CASE(umbrella_is_self_contained)
{
    boost::processkit::command cmd("true");
    BOOST_TEST(cmd.program() == "true");
    BOOST_TEST(cmd.accepts(0));
}
