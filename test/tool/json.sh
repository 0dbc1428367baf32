#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_json: `processkit run --json` prints, after the program's output, one
# JSON object on the last line of stdout: program, outcome, code, signal,
# duration (seconds), mechanism, exit_status, received_signal (and error when
# the program could not start). Checked with python3's json module.
#
#   json.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null && python3 -c 'import json' 2>/dev/null ||
  skip "python3 is needed to check the JSON (tools/bootstrap.sh installs it)"

# check_json WHAT PYTHON-CONDITION: the last line of $work/out parses as a
# JSON object `r` for which the condition holds.
check_json() {
  local what=$1 condition=$2
  if tail -n 1 "$work/out" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
assert isinstance(r, dict), "not an object"
keys = {"program", "outcome", "code", "signal", "duration", "mechanism", "exit_status", "received_signal"}
missing = keys - r.keys()
assert not missing, "missing keys: %s" % sorted(missing)
assert isinstance(r["duration"], (int, float)) and r["duration"] >= 0, "bad duration"
ok = eval(sys.argv[1], {"r": r})
if not ok:
    print("    | %s" % json.dumps(r))
sys.exit(0 if ok else 1)
' "$condition" 2>"$work/py.err"; then pass "$what"; else
    fail "$what: the JSON does not satisfy: $condition"
    sed 's/^/    | /' "$work/py.err" "$work/out"
  fi
}

pk() {
  "$PROCESSKIT" "$@" >"$work/out" 2>"$work/err" </dev/null
  status=$?
}

pk run --json -- "$PK_HELPER" exit 3
expect_status 3 "$status" "--json keeps the exit status"
check_json "exited" 'r["outcome"] == "exited" and r["code"] == 3 and r["signal"] is None and r["exit_status"] == 3 and r["received_signal"] is None and r["program"].endswith("pk_helper")'

pk run --json -- "$PK_HELPER" lines 3 out
expect_status 0 "$status" "--json after output"
if (($(wc -l <"$work/out") == 4)); then pass "the program's 3 lines come first, then the JSON line"; else
  fail "$(wc -l <"$work/out") lines on stdout, expected 4"
fi
check_json "exited 0 after output" 'r["outcome"] == "exited" and r["code"] == 0'

pk run --json -- "$PK_HELPER" kill-self 9
expect_status 137 "$status" "--json, killed by SIGKILL"
check_json "signalled" 'r["outcome"] == "signalled" and r["code"] is None and r["signal"] == 9 and r["exit_status"] == 137'

pk run --json --timeout 300ms -- "$PK_HELPER" sleep 30000
expect_status 124 "$status" "--json, timed out"
check_json "timed_out" 'r["outcome"] == "timed_out" and r["exit_status"] == 124 and 0.25 <= r["duration"] < 5'

pk run --json --mechanism process_group -- "$PK_HELPER" exit 0
check_json "mechanism process_group" 'r["mechanism"] == "process_group"'
mechanism=$("$PROCESSKIT" doctor | sed -n 's/^mechanism: *//p')
pk run --json -- "$PK_HELPER" exit 0
check_json "automatic mechanism = doctor's ($mechanism)" "r[\"mechanism\"] == \"$mechanism\""

pk run --json -- pk-no-such-program
expect_status 127 "$status" "--json, not found"
check_json "failed_to_start" 'r["outcome"] == "failed_to_start" and r["exit_status"] == 127 and "not found" in r["error"]'

"$PROCESSKIT" run --json -- "$PK_HELPER" tree 1 30000 >"$work/out" 2>"$work/err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/out" 2; then
  kill -TERM "$tool"
  wait_exit "$tool" 15
  expect_status 143 "$status" "--json, SIGTERM to processkit"
  check_json "received_signal" 'r["received_signal"] == 15 and r["exit_status"] == 143 and r["outcome"] == "signalled" and r["signal"] == 15'
  expect_tree_gone "--json, SIGTERM"
fi

finish
