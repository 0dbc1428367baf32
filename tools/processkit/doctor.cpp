// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// `processkit doctor`: the host's containment report, as text or JSON.

#include "commands.hpp"

#include <boost/json.hpp>
#include <boost/processkit/mechanism.hpp>

#include <iostream>
#include <string>

namespace boost {
namespace processkit {
namespace tool {

int doctor(const doctor_options& options)
{
    const containment_report r = host_containment();
    if (options.json)
    {
        json::object o;
        o["mechanism"] = to_string(r.mechanism);
        o["reason"] = r.reason;
        o["cgroup2_mounted"] = r.cgroup2_mounted;
        o["cgroup2_mount"] = r.cgroup2_mount;
        o["own_cgroup"] = r.own_cgroup;
        o["writable"] = r.writable;
        o["cgroup_kill"] = r.cgroup_kill;
        o["pidfd"] = r.pidfd;
        std::cout << json::serialize(o) << "\n";
    }
    else
        std::cout << "mechanism:       " << r.mechanism << "\n"
                  << "reason:          " << r.reason << "\n"
                  << "cgroup2 mounted: " << (r.cgroup2_mounted ? "yes at " + r.cgroup2_mount : std::string("no"))
                  << "\n"
                  << "own cgroup:      " << (r.own_cgroup.empty() ? "-" : r.own_cgroup) << "\n"
                  << "writable:        " << (r.writable ? "yes" : "no") << "\n"
                  << "cgroup.kill:     " << (r.cgroup_kill ? "yes" : "no") << "\n"
                  << "pidfd:           " << (r.pidfd ? "yes" : "no") << "\n";
    std::cout.flush();
    return r.pidfd ? 0 : 1;
}

} // namespace tool
} // namespace processkit
} // namespace boost
