#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The whole test suite, in lanes:
#
#   plain  build with CMake (tools/bootstrap.sh), check that the public headers
#          compile for Windows and that src/core, src/ops and src/*.cpp include
#          no OS header (tools/check-portable.sh), build the library, the tool
#          and the foundation tests with b2 as well (the b2 build is checked,
#          not every test and example twice: `bash tools/b2-test.sh` builds
#          them all), then
#          run every test through CTest;
#   asan   the whole CTest suite built with -fsanitize=address,undefined (build-asan/);
#   tsan   the whole CTest suite built with -fsanitize=thread (build-tsan/);
#   fuzz   the libFuzzer targets of test/fuzz, a short run of each (build-fuzz/).
#
#   bash tools/test.sh              # every lane, in that order (what CI runs)
#   bash tools/test.sh asan         # one lane (or several: `bash tools/test.sh plain fuzz`)
#   FUZZ_SECONDS=300 bash tools/test.sh fuzz
#
# A sanitizer report in any process fails its lane (tools/sanitize.sh says
# how); every lane runs even when an earlier one failed, and the summary at
# the end gives each lane's result and wall time. The plain lane installs
# what the build needs (tools/bootstrap.sh); asan and tsan run alone expect
# it installed, fuzz installs clang-14 and libFuzzer itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each lane is one && chain: it runs as an `if` condition, where set -e does not apply.
lane_plain() {
  bash tools/bootstrap.sh &&
    echo "== portable core (tools/check-portable.sh)" &&
    bash tools/check-portable.sh &&
    bash tools/b2-test.sh tools/processkit test//unit_error test//integration_process_group test//integration_launcher &&
    echo "== ctest" &&
    ctest --test-dir build --output-on-failure -j2
}
lane_asan() { bash tools/sanitize.sh asan; }
lane_tsan() { bash tools/sanitize.sh tsan; }
lane_fuzz() { bash tools/sanitize.sh fuzz "${FUZZ_SECONDS:-10}"; }

lanes=("$@")
((${#lanes[@]})) || lanes=(plain asan tsan fuzz)
for lane in "${lanes[@]}"; do
  case $lane in
    plain | asan | tsan | fuzz) ;;
    *) echo "usage: bash tools/test.sh [plain|asan|tsan|fuzz]..." >&2; exit 2 ;;
  esac
done

status=0
summary=()
for lane in "${lanes[@]}"; do
  echo "======== lane $lane"
  start=$SECONDS
  if ("lane_$lane"); then result=passed; else result=FAILED; status=1; fi
  summary+=("$(printf '%-6s %-7s %4d s' "$lane" "$result" $((SECONDS - start)))")
done
echo "======== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
