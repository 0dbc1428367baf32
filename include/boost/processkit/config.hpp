// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_CONFIG_HPP
#define BOOST_PROCESSKIT_CONFIG_HPP

/// Library version: major * 100000 + minor * 100 + patch.
#define BOOST_PROCESSKIT_VERSION 100

#if defined(BOOST_PROCESSKIT_DYN_LINK)
#  define BOOST_PROCESSKIT_DECL __attribute__((visibility("default")))
#else
#  define BOOST_PROCESSKIT_DECL
#endif

#if defined(__linux__)
#  define BOOST_PROCESSKIT_LINUX 1
#endif
#if defined(__unix__) || defined(__APPLE__)
#  define BOOST_PROCESSKIT_POSIX 1
#endif

#endif // BOOST_PROCESSKIT_CONFIG_HPP
