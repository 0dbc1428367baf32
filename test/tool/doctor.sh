#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_doctor: `processkit doctor` reports the host's containment (text and
# --json, the same facts), and `processkit demo` destroys a group with a
# process tree in it and finds no survivor, on each mechanism the host has.
#
#   doctor.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"

"$PROCESSKIT" doctor >"$work/doctor.out" 2>"$work/doctor.err"
status=$?
sed 's/^/    | /' "$work/doctor.out"
for field in "mechanism" "reason" "cgroup2 mounted" "own cgroup" "writable" "cgroup.kill" "pidfd"; do
  expect_grep "$work/doctor.out" "^$field: +[^ ]" "doctor reports '$field'"
done
mechanism=$(sed -n 's/^mechanism: *//p' "$work/doctor.out")
pidfd=$(sed -n 's/^pidfd: *//p' "$work/doctor.out")
expect_grep "$work/doctor.out" "^mechanism: +(cgroup_v2|process_group)$" "the mechanism is one Linux has"
expect_status "$([[ "$pidfd" == yes ]] && echo 0 || echo 1)" "$status" "doctor: 0 when pidfd works (pidfd: $pidfd)"

"$PROCESSKIT" doctor --json >"$work/doctor.json" 2>"$work/doctor.err"
expect_status "$([[ "$pidfd" == yes ]] && echo 0 || echo 1)" "$?" "doctor --json"
if command -v python3 >/dev/null; then
  if python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mechanism"] == sys.argv[2], r
assert r["pidfd"] == (sys.argv[3] == "yes"), r
for key in ("reason", "cgroup2_mounted", "cgroup2_mount", "own_cgroup", "writable", "cgroup_kill"):
    assert key in r, key
' "$work/doctor.json" "$mechanism" "$pidfd" 2>"$work/py.err"; then pass "doctor --json says what the text says"; else
    fail "doctor --json:"
    sed 's/^/    | /' "$work/py.err" "$work/doctor.json"
  fi
else
  expect_grep "$work/doctor.json" "\"mechanism\":\"$mechanism\"" "doctor --json names the mechanism (python3 missing: not parsed)"
fi

# The demo on the automatic mechanism, the forced fallback, and cgroup v2 when the host has it.
requests=(automatic process_group)
[[ "$mechanism" == cgroup_v2 ]] && requests+=(cgroup_v2)
for request in "${requests[@]}"; do
  "$PROCESSKIT" demo --mechanism "$request" >"$work/demo.out" 2>&1
  status=$?
  sed 's/^/    | /' "$work/demo.out"
  expect_status 0 "$status" "demo --mechanism $request"
  expect_grep "$work/demo.out" "^4 processes started, 0 survived" "demo --mechanism $request: no survivor"
  expected=$([[ "$request" == automatic ]] && echo "$mechanism" || echo "$request")
  expect_grep "$work/demo.out" "^group mechanism: $expected" "demo --mechanism $request used $expected"
done

finish
