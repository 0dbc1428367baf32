#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_escapee_<MECHANISM>: the tree tools/demo.sh shows, which survives a
# plain timeout(1): a subshell that ignores SIGTERM and a child of it that
# left the session with setsid(1). Under `processkit run` nothing of it
# survives a timeout or a forwarded signal.
#
#   escapee.sh PROCESSKIT PK_HELPER MECHANISM

source "$(dirname "$0")/lib.sh"
mechanism=$1
mechanism_or_skip "$mechanism"
command -v setsid >/dev/null || skip "setsid(1) (util-linux) is not installed"

escaping_tree='(trap "" TERM; setsid sleep 3017 & echo "pid $!"; exec sleep 3017) & echo "pid $!"
sleep 3017 & echo "pid $!"; wait'

# 1. --timeout: SIGTERM (ignored by two of the three), then the tree is torn down.
"$PROCESSKIT" run --mechanism "$mechanism" --timeout 1s --grace 1s -- sh -c "$escaping_tree" >"$work/timeout.out" 2>"$work/timeout.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/timeout.out" 3; then
  wait_exit "$tool" 20
  expect_status 124 "$status" "--timeout over a tree with a setsid escapee ($mechanism)"
  expect_tree_gone "--timeout, setsid escapee ($mechanism)"
fi

# 2. SIGTERM to processkit.
"$PROCESSKIT" run --mechanism "$mechanism" --grace 1s -- sh -c "$escaping_tree" >"$work/term.out" 2>"$work/term.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/term.out" 3; then
  kill -TERM "$tool"
  wait_exit "$tool" 20
  expect_status 143 "$status" "SIGTERM to processkit over a tree with a setsid escapee ($mechanism)"
  expect_tree_gone "SIGTERM, setsid escapee ($mechanism)"
fi

finish
