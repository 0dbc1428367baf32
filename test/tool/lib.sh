# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Shared by the tool_* tests (test/tool/*.sh), sourced as
#   source lib.sh PROCESSKIT PK_HELPER [ARGS...]
# It sets PROCESSKIT and PK_HELPER, leaves ARGS in "$@", gives each test a
# private directory ($work, removed at exit), and provides the checks. A test
# ends with `finish`: exit 0 when every check passed, 1 otherwise. `skip`
# exits 77, which CTest reports as skipped (SKIP_RETURN_CODE).

set -u
PROCESSKIT=$1
PK_HELPER=$2
shift 2
failures=0
work=$(mktemp -d "${TMPDIR:-/tmp}/pk-tool-test.XXXXXX")

# Kills whatever a test left running (by the pids it recorded), then removes $work.
cleanup() {
  local pid
  for pid in ${started_pids:-}; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
started_pids=""

skip() {
  echo "SKIP: $*"
  exit 77
}

pass() { echo "ok: $*"; }

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

finish() {
  if ((failures)); then
    echo "== $failures check(s) failed"
    exit 1
  fi
  echo "== all checks passed"
  exit 0
}

# expect_status EXPECTED ACTUAL WHAT
expect_status() {
  if [[ "$2" == "$1" ]]; then pass "$3: exit status $2"; else fail "$3: exit status $2, expected $1"; fi
}

# expect_grep FILE REGEX WHAT / expect_no_grep FILE TEXT WHAT (fixed string)
expect_grep() {
  if grep -Eq -- "$2" "$1"; then pass "$3"; else
    fail "$3: no line matches /$2/ in:"
    sed 's/^/    | /' "$1"
  fi
}
expect_no_grep() {
  if grep -Fq -- "$2" "$1"; then
    fail "$3: found '$2' in:"
    sed 's/^/    | /' "$1"
  else pass "$3"; fi
}

# now_ms: a monotonic-enough wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- processes, by pid

# start_time PID: the kernel's start time of PID (field 22 of /proc/PID/stat),
# so that a recycled pid is never mistaken for the process it was.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the fields after "(comm)", which may hold spaces
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# alive PID START: PID is still the process that started at START and is no zombie.
alive() {
  local stat state
  [[ "$(start_time "$1")" == "$2" ]] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  state=${stat%% *}
  [[ "$state" != Z && "$state" != X ]]
}

# wait_for_pids FILE COUNT [SECONDS]: waits until FILE holds COUNT "pid N"
# lines (the tree is up), then records each pid with its start time in
# $tree_pids (as "pid:start" words). Fails after SECONDS (default 10).
tree_pids=""
wait_for_pids() {
  local file=$1 count=$2 limit=$((${3:-10} * 10)) i pid start
  for ((i = 0; i < limit; i++)); do
    (($(grep -c '^pid [0-9]*$' "$file" 2>/dev/null || true) >= count)) && break
    sleep 0.1
  done
  tree_pids=""
  for pid in $(sed -n 's/^pid \([0-9]*\)$/\1/p' "$file"); do
    start=$(start_time "$pid") || start=gone
    tree_pids="$tree_pids $pid:$start"
  done
  if (($(wc -w <<<"$tree_pids") < count)); then
    fail "the tree did not come up: $(wc -w <<<"$tree_pids") of $count pid lines"
    return 1
  fi
  return 0
}

# expect_tree_gone WHAT: no process recorded by wait_for_pids is alive.
expect_tree_gone() {
  local entry pid start survivors=""
  for entry in $tree_pids; do
    pid=${entry%%:*} start=${entry#*:}
    if [[ "$start" != gone ]] && alive "$pid" "$start"; then
      survivors="$survivors $pid($(tr '\0' ' ' <"/proc/$pid/cmdline"))"
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  if [[ -n "$survivors" ]]; then fail "$1: survivors:$survivors"; else pass "$1: no process of the tree (pids$(sed 's/:[0-9a-z]*//g' <<<"$tree_pids")) survived"; fi
}

# expect_tree_alive WHAT: every process recorded by wait_for_pids is alive.
expect_tree_alive() {
  local entry pid start dead=""
  for entry in $tree_pids; do
    pid=${entry%%:*} start=${entry#*:}
    alive "$pid" "$start" || dead="$dead $pid"
  done
  if [[ -n "$dead" ]]; then fail "$1: dead already:$dead"; else pass "$1"; fi
}

# wait_exit PID SECONDS: waits for the background job PID, at most SECONDS;
# sets $status (or "running" if it did not exit; the job is then killed).
wait_exit() {
  local pid=$1 limit=$(($2 * 20)) i
  for ((i = 0; i < limit; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    status=running
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
  fi
  wait "$pid"
  status=$?
  return 0
}

# ---------------------------------------------------------------- mechanisms

# mechanism_or_skip MECHANISM: skips the test (loudly) when this host cannot
# give MECHANISM; "automatic" always works.
mechanism_or_skip() {
  case "$1" in
  automatic | process_group) ;;
  cgroup_v2)
    if ! "$PROCESSKIT" run --mechanism cgroup_v2 -- true >"$work/probe.out" 2>&1; then
      sed 's/^/    | /' "$work/probe.out"
      "$PROCESSKIT" doctor | sed 's/^/    | /'
      skip "this host gives no cgroup v2 containment (see processkit doctor above); the cgroup_v2 variant cannot run here"
    fi
    ;;
  *)
    echo "unknown mechanism $1"
    exit 2
    ;;
  esac
}
