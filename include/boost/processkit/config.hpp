// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_CONFIG_HPP
#define BOOST_PROCESSKIT_CONFIG_HPP

#include <boost/config.hpp>

/// Library version: major * 100000 + minor * 100 + patch.
#define BOOST_PROCESSKIT_VERSION 100

// Shared builds only: the library's own TUs (both builds define
// BOOST_PROCESSKIT_SOURCE) export, its users import. On ELF both are default
// visibility; on Windows they are dllexport / dllimport.
#if defined(BOOST_PROCESSKIT_DYN_LINK)
#  if defined(BOOST_PROCESSKIT_SOURCE)
#    define BOOST_PROCESSKIT_DECL BOOST_SYMBOL_EXPORT
#  else
#    define BOOST_PROCESSKIT_DECL BOOST_SYMBOL_IMPORT
#  endif
#else
#  define BOOST_PROCESSKIT_DECL
#endif

// Platform macros: defined to 1 on their platform, not defined elsewhere, so
// both `#if` and `#ifdef` work. Several can hold at once (Linux and macOS
// are also POSIX).
#if defined(__linux__)
#  define BOOST_PROCESSKIT_LINUX 1
#endif
#if defined(__APPLE__)
#  define BOOST_PROCESSKIT_APPLE 1
#endif
#if defined(_WIN32)
#  define BOOST_PROCESSKIT_WINDOWS 1
#elif defined(__unix__) || defined(__APPLE__)
#  define BOOST_PROCESSKIT_POSIX 1
#endif

#endif // BOOST_PROCESSKIT_CONFIG_HPP
