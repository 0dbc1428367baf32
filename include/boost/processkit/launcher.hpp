// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_LAUNCHER_HPP
#define BOOST_PROCESSKIT_LAUNCHER_HPP

// Deprecated path, kept for one release: the Boost.Process v2 adapter is
// POSIX-only and lives in <boost/processkit/posix/launcher.hpp>.
#include <boost/processkit/posix/launcher.hpp>

#endif // BOOST_PROCESSKIT_LAUNCHER_HPP
