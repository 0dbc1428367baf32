#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# One sanitizer or fuzz lane of tools/test.sh, runnable by hand:
#
#   bash tools/sanitize.sh asan [CTEST ARGS...]   # -fsanitize=address,undefined into build-asan/, whole suite
#   bash tools/sanitize.sh tsan [CTEST ARGS...]   # -fsanitize=thread into build-tsan/, whole suite
#   bash tools/sanitize.sh fuzz [SECONDS]         # libFuzzer targets (clang-14) into build-fuzz/, SECONDS each (default 10)
#
#   bash tools/sanitize.sh asan -R unit_lines     # ctest arguments select tests, as usual
#
# asan/tsan build the library, the test helper, the processkit tool and every
# test with the sanitizer (not the examples, the benchmarks or the consumer
# tests, which check the packaging and run in the plain lane), then run the
# whole CTest suite.
# A report fails the lane: every sanitizer report of every instrumented
# process -- the tests and the helper children they spawn -- is
# written to build-<lane>/sanitizer-reports/, and any file there fails the
# lane and is printed, even when the test that spawned the process passed.
# Instrumented programs also abort on the first report (halt_on_error,
# -fno-sanitize-recover=all), so the test that ran them fails too.
#
# Build settings: a Debug build (NDEBUG unset) with OPT: "-O0 -g1" for asan
# (UBSan's checks make -O1 cost twice the build time), "-O1 -g1" for tsan
# (TSan's run time needs it); -g1 keeps line tables for the stacks. Build
# jobs: JOBS (default: nproc); ctest runs with -j JOBS as well.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

lane=${1:-}
(($#)) && shift
JOBS=${JOBS:-$(nproc)}

source tools/packages.sh

# Prints the reports left in $1 (one file per reporting process) and fails if any.
check_reports() {
  local dir=$1 f n=0
  for f in "$dir"/*; do
    [[ -e $f ]] || continue
    n=$((n + 1))
    echo "---- sanitizer report: ${f#"$root"/}"
    cat "$f"
  done
  if ((n)); then
    echo "== $lane: FAILED: $n sanitizer report file(s) above" >&2
    return 1
  fi
  echo "== $lane: no sanitizer reports"
}

run_suite() {
  local name=$1 sanitize=$2
  shift 2
  local dir=build-$name
  local opt=${OPT:-$([[ $name == asan ]] && echo "-O0 -g1" || echo "-O1 -g1")}
  local start=$SECONDS
  echo "== $name: building with -fsanitize=$sanitize $opt into $dir"
  # The tool's tests (test/tool) are part of the suite and need the tool,
  # which BOOST_PROCESSKIT_BUILD_EXAMPLES brings along with the examples:
  # configure both, build the tool and test/ (the library, the helper and
  # every test), not the examples.
  cmake -S . -B "$dir" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="$opt" \
    -DBOOST_PROCESSKIT_SANITIZE="$sanitize" \
    -DBOOST_PROCESSKIT_BUILD_EXAMPLES=ON -DBOOST_PROCESSKIT_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j"$JOBS" --target processkit
  make -C "$dir/test" -j"$JOBS" --no-print-directory all
  echo "== $name: built in $((SECONDS - start)) s"

  local reports=$root/$dir/sanitizer-reports
  rm -rf "$reports"
  mkdir -p "$reports"
  # Boost.Test would catch SIGSEGV and friends itself, hiding the sanitizer's
  # report and stack: let the sanitizer handle them.
  export BOOST_TEST_CATCH_SYSTEM_ERRORS=no
  local common="halt_on_error=1:abort_on_error=1:log_path=$reports/report:log_exe_name=1"
  local prefix=()
  case $name in
    asan)
      # LeakSanitizer runs at exit() in every instrumented process; the helper's
      # forked children leave through _exit() and are not checked.
      export ASAN_OPTIONS="$common:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
      export UBSAN_OPTIONS="$common:print_stacktrace=1"
      export LSAN_OPTIONS="$common"
      ;;
    tsan)
      # The one suppression (libstdc++'s exception_ptr) and why: test/tsan.supp.
      export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$root/test/tsan.supp"
      # TSan (GCC 12) needs its shadow layout: where the kernel randomizes
      # mmap more than it expects (vm.mmap_rnd_bits > 28), it dies with
      # "unexpected memory mapping". Then run the suite without ASLR.
      local probe
      if ! probe=$(TSAN_OPTIONS=halt_on_error=1 "$dir/test/pk_helper" exit 0 2>&1); then
        if grep -q "unexpected memory mapping" <<<"$probe"; then
          echo "== tsan: this kernel randomizes mmap beyond TSan's layout" \
               "(vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo '?')): running without ASLR (setarch -R)"
          prefix=(setarch "$(uname -m)" -R)
        else
          echo "$probe" >&2
          echo "== tsan: FAILED: the TSan-built helper does not run" >&2
          return 1
        fi
      fi
      ;;
  esac
  local status=0
  echo "== $name: ctest"
  "${prefix[@]}" ctest --test-dir "$dir" --output-on-failure -j"$JOBS" "$@" || status=$?
  check_reports "$reports" || status=1
  echo "== $name: $((SECONDS - start)) s in all (build and tests)"
  return "$status"
}

run_fuzz() {
  local seconds=${1:-10}
  local start=$SECONDS
  need_packages clang-14 libclang-rt-14-dev libfuzzer-14-dev
  echo "== fuzz: building the libFuzzer targets into build-fuzz"
  cmake -S test/fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$JOBS"
  echo "== fuzz: built in $((SECONDS - start)) s"
  local status=0 t
  for t in fuzz_text fuzz_plan; do
    # A scratch corpus seeded from the checked-in one: the run's discoveries
    # stay in build-fuzz/, crashes land in build-fuzz/crashes/.
    local corpus=build-fuzz/corpus/$t
    mkdir -p "$corpus" build-fuzz/crashes
    cp -n test/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    echo "== fuzz: $t for $seconds s"
    if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
         build-fuzz/"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
           -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 \
           -dict=test/fuzz/"$t".dict "$corpus" 2>build-fuzz/"$t".log; then
      tail -n 60 build-fuzz/"$t".log
      echo "== fuzz: FAILED: $t found a crash or broke an invariant (the input is in build-fuzz/crashes/;" \
           "turn it into a test in test/unit/fuzz_regressions.cpp)" >&2
      status=1
    else
      grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" build-fuzz/"$t".log || true
    fi
  done
  echo "== fuzz: $((SECONDS - start)) s in all"
  return "$status"
}

case $lane in
  asan) run_suite asan address,undefined "$@" ;;
  tsan) run_suite tsan thread "$@" ;;
  fuzz) run_fuzz "$@" ;;
  *)
    echo "usage: bash tools/sanitize.sh asan|tsan [CTEST ARGS...] | fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
