// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Stand-ins for the processkit parts this build does not link (see
// PK_BENCH_SIDE in CMakeLists.txt): every call throws not_available, and
// the harness prints "not yet measured" for those rows.

#include "pk_side.hpp"

namespace pkb {
namespace pk {

#if defined(PKB_STUB_RUNNER)
namespace {
[[noreturn]] void runner_missing()
{
    throw not_available("processkit runner not linked in this build (PK_BENCH_SIDE=" PKB_SIDE_NAME ")");
}
} // namespace
const char* side() { return PKB_SIDE_NAME; }
std::string output_string(mech, const argv_t&) { runner_missing(); }
void fanout(mech, const argv_t&, int, int) { runner_missing(); }
void fanout_output_all(mech, const argv_t&, int, int) { runner_missing(); }
pipeline_run pipeline_output(mech, const std::vector<argv_t>&) { runner_missing(); }
std::size_t capture_big(mech, const argv_t&, std::size_t) { runner_missing(); }
line_stats lines(mech, const argv_t&) { runner_missing(); }
lim::idle_result idle_exitlat(mech, const argv_t&, int, const argv_t&, int) { runner_missing(); }
lim::lateness_result teardown_lateness(mech, const argv_t&, int, int, int) { runner_missing(); }
crashloop_result supervised_crash_loops(mech, const argv_t&, const crashloop_params&) { runner_missing(); }
crashloop_result crash_loops_by_hand(mech, const argv_t&, const crashloop_params&) { runner_missing(); }
#endif

#if defined(PKB_STUB_LAUNCHER)
namespace {
[[noreturn]] void launcher_missing()
{
    throw not_available("processkit library not linked in this build (PK_BENCH_SIDE=none)");
}
} // namespace
bool mechanism_available(mech, std::string& why)
{
    why = "processkit not linked";
    return false;
}
std::string launcher_capture(mech, const argv_t&) { launcher_missing(); }
double teardown_ms(mech, const argv_t&, int, int&) { launcher_missing(); }
#endif

} // namespace pk
} // namespace pkb
