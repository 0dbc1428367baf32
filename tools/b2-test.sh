#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The whole test suite through B2 (Boost.Build), alongside tools/test.sh (CTest):
# builds the library, the processkit tool, the test helper and every test in
# test/unit and test/integration, and runs the tests.
#
#   bash tools/b2-test.sh                    # every test and the examples: debug, shared, into bin.v2/
#   bash tools/b2-test.sh test//unit_plan    # arguments (targets, properties) go to b2 instead
#   B2_BUILD_DIR=/tmp/pk-b2 bash tools/b2-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

B2=${B2:-b2}
JOBS=${JOBS:-$(nproc)}
args=(-j"$JOBS" -l900)
if [[ -n "${B2_BUILD_DIR:-}" ]]; then
  args+=(--build-dir="$B2_BUILD_DIR")
fi

# The arguments (targets, properties), else every test and the examples.
targets=("$@")
((${#targets[@]})) || targets=(test example)
echo "== b2 ${args[*]} ${targets[*]}"
status=0
"$B2" "${args[@]}" "${targets[@]}" || status=$?

if [[ $status -eq 0 ]]; then
  echo "== b2-test: PASSED (library, tool, helper and all tests built; all tests passed)"
else
  echo "== b2-test: FAILED (b2 exit status $status; see the failed targets and test output above)" >&2
fi
exit "$status"
