#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The one command: configure a Release build into build-bench/, build pk_bench,
# run every scenario (including the python and node peers) and print the table.
#
#   bash bench/run.sh                 # everything (about 10 minutes on 2 cores)
#   bash bench/run.sh --quick         # fewer samples (a few minutes)
#   bash bench/run.sh --only 1,3      # some scenarios (7 and 8 run together)
#   bash bench/run.sh --only 9        # handler latency during live-exit teardown (~20 s, no peers)
#   bash bench/run.sh --only 3,10     # the composition scenarios (fan-out, pipelines)
#   bash bench/run.sh --only 11       # 50 supervisors with crashing children on one io_context (~16 s, no peers)
#   bash bench/run.sh --no-peers      # skip python/node/xargs/parallel
#
# Environment: PK_BENCH_BUILD_DIR (default build-bench), PK_BENCH_SIDE (force
# runner|launcher|none instead of trying them in that order), PK_BENCH_NO_INSTALL
# (do not apt-get install GNU parallel for scenario 3).
# Output: the table on stdout; build-bench/bench-table.md (table) and
# build-bench/bench-log.txt (per-variant sample counts, medians, p10/p90).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PK_BENCH_BUILD_DIR:-build-bench}
jobs=$(nproc 2>/dev/null || echo 2)

for tool in cmake g++ python3 node; do
  command -v "$tool" >/dev/null 2>&1 || echo "run.sh: warning: $tool not found (its rows will say n/a)" >&2
done
# Scenario 3's GNU parallel peer: install Debian's package when it is missing
# and the scenario will run, if this machine allows it (root + apt-get); if it
# cannot be installed its cells say n/a. PK_BENCH_NO_INSTALL=1 skips this.
wants3=1
prev=""
for a in "$@"; do
  if [[ "$prev" == --only ]]; then
    [[ ",$a," == *,3,* ]] || wants3=0
  fi
  [[ "$a" == --no-peers ]] && wants3=0
  prev=$a
done
if [[ "$wants3" == 1 && -z "${PK_BENCH_NO_INSTALL:-}" ]] && ! command -v parallel >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing GNU parallel (Debian package parallel) for scenario 3" >&2
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q parallel >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q parallel >/dev/null 2>&1; }; } ||
      echo "run.sh: warning: could not install parallel (its cells will say n/a)" >&2
  else
    echo "run.sh: warning: GNU parallel not found (its cells will say n/a)" >&2
  fi
fi
if ! dpkg-query -W -f='${Status}' libboost1.81-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "run.sh: Boost 1.81 headers missing: run tools/bootstrap.sh first" >&2
fi

mkdir -p "$build"
configure() {
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DBOOST_PROCESSKIT_BUILD_BENCH=ON -DBOOST_PROCESSKIT_BUILD_TESTS=OFF \
    -DBOOST_PROCESSKIT_BUILD_EXAMPLES=OFF -DPK_BENCH_SIDE="$1" >"$build/configure.log" 2>&1
}

# The library is still growing: link as much of processkit as builds.
sides=(runner launcher none)
[[ -n "${PK_BENCH_SIDE:-}" ]] && sides=("$PK_BENCH_SIDE")
side=""
for s in "${sides[@]}"; do
  echo "== building pk_bench (processkit side: $s) into $build" >&2
  if configure "$s" && cmake --build "$build" -j"$jobs" --target pk_bench >"$build/build.log" 2>&1; then
    side=$s
    break
  fi
  echo "   build failed with PK_BENCH_SIDE=$s (see $build/build.log, $build/configure.log):" >&2
  grep -E "error|undefined reference" "$build/build.log" 2>/dev/null | head -5 >&2 || true
done
if [[ -z "$side" ]]; then
  echo "run.sh: pk_bench did not build" >&2
  exit 1
fi
if [[ "$side" != runner ]]; then
  if cmake --build "$build" --target pk_bench_runner_check >>"$build/build.log" 2>&1; then
    echo "   (the runner side compiles against the headers; it does not link yet)" >&2
  else
    echo "   (the runner side does not even compile against the headers yet)" >&2
  fi
fi

echo "== running (machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r))" >&2
# pk_bench's stderr (details) and stdout (table) each go through a tee that is
# its sibling, not its child: pk_bench reaps its children as a subreaper.
{ "$build/bench/pk_bench" "$@" 2>&1 1>&3 3>&- | tee "$build/bench-log.txt" >&2; } 3>&1 | tee "$build/bench-table.md"
