// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// What containment this Linux host offers, and the backend a new group gets.

#include <boost/processkit/config.hpp>

#if BOOST_PROCESSKIT_LINUX

#  include "../posix/pgroup_backend.hpp"
#  include "../core/diagnostics.hpp"
#  include "cgroup_backend.hpp"
#  include "pidfd.hpp"

#  include <sys/prctl.h>

namespace boost {
namespace processkit {
namespace detail {

result<std::shared_ptr<group_backend>> make_group_backend(const process_group_options& opts, bool reusable)
{
    const cgroup_host& host = host_cgroup();
    bool want_cgroup = opts.mechanism != mechanism_request::process_group;
    if (want_cgroup && host.usable())
    {
        auto dir = reusable ? cgroup_take(host) : cgroup_create(host);
        if (dir)
            return make_cgroup_backend(opts, std::move(dir).value(), reusable);
        if (opts.mechanism == mechanism_request::cgroup_v2)
            return dir.error();
    }
    else if (opts.mechanism == mechanism_request::cgroup_v2)
    {
        diagnostics d;
        d.step = "cgroup v2";
        d.detail = host.reason;
        return error(make_error_code(errc::unsupported), std::move(d));
    }
    if (opts.mechanism == mechanism_request::automatic)
        notify_fallback();
    return make_pgroup_backend(opts);
}

} // namespace detail

containment_report host_containment()
{
    const auto& h = detail::host_cgroup();
    containment_report r;
    r.cgroup2_mounted = h.mounted;
    r.cgroup2_mount = h.mount;
    r.own_cgroup = h.own;
    r.writable = h.writable;
    r.cgroup_kill = h.kill;
    int fd = detail::pidfd_open(::getpid());
    r.pidfd = fd >= 0;
    if (fd >= 0)
        ::close(fd);
    r.mechanism = h.usable() ? mechanism::cgroup_v2 : mechanism::process_group;
    r.reason = h.reason;
    return r;
}

result<void> enable_subreaper()
{
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return detail::sys_error(errno, {}, "prctl(PR_SET_CHILD_SUBREAPER)");
    return outcome_v2::success();
}

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_LINUX
