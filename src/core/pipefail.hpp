// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_CORE_PIPEFAIL_HPP
#define BOOST_PROCESSKIT_SRC_CORE_PIPEFAIL_HPP

// How a pipeline's stages ended and which one its result speaks for: the
// capture op and live pipelines judge alike.

#include <boost/processkit/command.hpp>
#include <boost/processkit/process_result.hpp>

#include "run_machine.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace boost {
namespace processkit {
namespace detail {

inline run_outcome outcome_of(const child_exit& st)
{
    return st.exited ? run_outcome::exited(st.value) : run_outcome::signalled(st.value);
}

/// Every stage's result (no stderr: the caller's streams hold it), from the
/// machine of a run whose children have all exited; `stage(i)` is stage
/// i's command. Returns the rightmost checked stage that failed (pipefail).
template <class StageCommand>
std::optional<std::size_t> judge_stages(const run_machine& m, StageCommand stage, std::vector<stage_result>& out)
{
    std::optional<std::size_t> failed;
    out.resize(m.children());
    for (std::size_t i = 0; i < out.size(); ++i)
    {
        const command& c = stage(i);
        auto& r = out[i];
        r.program = c.program();
        r.outcome = outcome_of(m.status(i).value_or(child_exit{}));
        r.accepted = r.outcome.code() && c.accepts(*r.outcome.code());
        r.checked = !c.unchecked_in_pipe_value();
        r.torn_down = m.torn_down(i);
        if (r.checked && !r.success())
            failed = i;
    }
    return failed;
}

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_CORE_PIPEFAIL_HPP
