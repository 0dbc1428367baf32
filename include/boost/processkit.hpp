// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_HPP
#define BOOST_PROCESSKIT_HPP

// Everything but <boost/processkit/posix/launcher.hpp>, which pulls in Boost.Process v2.
#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/mechanism.hpp>
#include <boost/processkit/output_all.hpp>
#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_result.hpp>
#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/retry.hpp>
#include <boost/processkit/running_process.hpp>
#include <boost/processkit/signal.hpp>
#include <boost/processkit/supervisor.hpp>

#endif // BOOST_PROCESSKIT_HPP
