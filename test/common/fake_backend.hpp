// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef PK_TEST_FAKE_BACKEND_HPP
#define PK_TEST_FAKE_BACKEND_HPP

// The ops (src/ops) over the fake backend (src/backend/scripted_child.hpp):
// a child_source that makes scripted children and keeps their controls, so
// a test plays the child -- writes its output, reads its stdin, ends it --
// and checks what the op did to it. No process is involved.

#include "../../src/backend/scripted_child.hpp"
#include "../../src/ops/child_source.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace pk_test {

struct fake_children
{
    std::mutex mu;
    std::vector<std::shared_ptr<boost::processkit::detail::scripted_process>> started;

    /// A source whose every child is scripted; `on_start` plays it (on the
    /// op's strand, before the op watches it: write output, exit...).
    boost::processkit::detail::child_source
    source(std::function<void(boost::processkit::detail::scripted_process&)> on_start = {})
    {
        return [this, on_start](const boost::processkit::command& cmd, bool interactive) {
            std::shared_ptr<boost::processkit::detail::scripted_process> control;
            auto started_child = boost::processkit::detail::start_scripted(cmd, interactive, control);
            if (started_child)
            {
                {
                    std::lock_guard<std::mutex> lk(mu);
                    started.push_back(control);
                }
                if (on_start)
                    on_start(*control);
            }
            return started_child;
        };
    }

    std::shared_ptr<boost::processkit::detail::scripted_process> last()
    {
        std::lock_guard<std::mutex> lk(mu);
        return started.empty() ? nullptr : started.back();
    }
    std::size_t count()
    {
        std::lock_guard<std::mutex> lk(mu);
        return started.size();
    }
};

} // namespace pk_test

#endif // PK_TEST_FAKE_BACKEND_HPP
