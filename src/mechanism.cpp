// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Names of the containment mechanisms. host_containment() is per OS
// (src/linux/host.cpp).

#include <boost/processkit/mechanism.hpp>

#include <ostream>

namespace boost {
namespace processkit {

const char* to_string(mechanism m) noexcept
{
    switch (m)
    {
    case mechanism::cgroup_v2: return "cgroup_v2";
    case mechanism::process_group: return "process_group";
    case mechanism::job_object: return "job_object";
    case mechanism::process_reaper: return "process_reaper";
    case mechanism::scripted: return "scripted";
    }
    return "unknown";
}

const char* to_string(mechanism_request m) noexcept
{
    switch (m)
    {
    case mechanism_request::automatic: return "automatic";
    case mechanism_request::cgroup_v2: return "cgroup_v2";
    case mechanism_request::process_group: return "process_group";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, mechanism m) { return os << to_string(m); }
std::ostream& operator<<(std::ostream& os, mechanism_request m) { return os << to_string(m); }

} // namespace processkit
} // namespace boost
