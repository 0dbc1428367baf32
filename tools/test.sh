#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The whole test suite: build with CMake (tools/bootstrap.sh), build the
# library, the tool and the foundation tests with b2 as well (the b2 build is
# checked, not every test twice: `bash tools/b2-test.sh` runs them all), then
# run every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
bash tools/b2-test.sh example test//unit_error test//integration_process_group test//integration_launcher
echo "== ctest"
ctest --test-dir build --output-on-failure -j2
