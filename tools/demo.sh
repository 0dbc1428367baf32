#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The main job: build the processkit tool (only the library and the tool, not
# the test suite), show what containment this host gives, run the containment
# demo on every mechanism, then the contrast: one process tree under a plain
# timeout(1), which leaves survivors (shown, then killed), and under
# `processkit run`, which leaves none -- on a timeout and on a signal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh processkit
pk=./build/tools/processkit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== processkit doctor"
"$pk" doctor
echo "== processkit demo (automatic mechanism)"
"$pk" demo
echo "== processkit demo --mechanism process_group"
"$pk" demo --mechanism process_group

# A tree that outlives a plain kill of its process group, as real ones do: a
# subshell that ignores SIGTERM and a daemon-like child of it that left the
# session (setsid). Each sleep prints its pid.
tree='(trap "" TERM; setsid sleep 3017 & echo "pid $!"; exec sleep 3017) & echo "pid $!"
sleep 3017 & echo "pid $!"; wait'

# survivors FILE: lists the processes of FILE's "pid N" lines still alive
# (zombies excepted) and kills them; the count is in $left.
survivors() {
  local pid
  left=0
  for pid in $(sed -n 's/^pid //p' "$1"); do
    if [[ -e /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
      echo "  SURVIVOR $(ps -o pid=,ppid=,sid=,args= -p "$pid")"
      kill -KILL "$pid" 2>/dev/null || true
      left=$((left + 1))
    fi
  done
}

echo "== the same tree, 3 sleeps; one ignores SIGTERM, one left the session:"
echo "$tree" | sed 's/^/     /'
echo "== timeout 1 sh -c TREE  (timeout(1) signals its process group)"
status=0
timeout 1 sh -c "$tree" >"$tmp/plain.out" || status=$?
sleep 0.2
echo "exit status $status; survivors (pid, parent, session, command):"
survivors "$tmp/plain.out"
echo "$left of 3 survived timeout(1), reparented to PID 1; killed them now so the demo leaves nothing behind"

failed=0
for mechanism in automatic process_group; do
  echo "== processkit run --mechanism $mechanism --timeout 1s -- sh -c TREE"
  status=0
  "$pk" run --mechanism "$mechanism" --timeout 1s -- sh -c "$tree" >"$tmp/pk.out" || status=$?
  echo "exit status $status (124 = timed out)"
  survivors "$tmp/pk.out"
  failed=$((failed + left))
  echo "$left of 3 survived processkit"
done

echo "== processkit run -- sh -c TREE, then SIGTERM to processkit (it waits for the tree, then exits 143)"
status=0
"$pk" run --grace 1s -- sh -c "$tree" >"$tmp/sig.out" &
tool=$!
for _ in $(seq 100); do
  (($(grep -c '^pid ' "$tmp/sig.out" || true) >= 3)) && break
  sleep 0.05
done
kill -TERM "$tool"
wait "$tool" || status=$?
echo "exit status $status (143 = 128 + SIGTERM)"
survivors "$tmp/sig.out"
failed=$((failed + left))
echo "$left of 3 survived processkit"

if ((failed)); then
  echo "FAIL: processkit left $failed process(es) behind (see processkit doctor above)"
  exit 1
fi
echo "== no process survived processkit"
