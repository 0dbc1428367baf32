#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_signal_<SIG>_<MECHANISM>: SIG sent to `processkit run` is sent on to
# the child's whole tree; processkit exits with 128+N only once no process of
# the tree is left.
#
#   signals.sh PROCESSKIT PK_HELPER MECHANISM SIG    (SIG: INT, TERM, HUP or QUIT)

source "$(dirname "$0")/lib.sh"
mechanism=$1
sig=$2
signum=$(kill -l "$sig")
mechanism_or_skip "$mechanism"

# Bash starts background jobs with SIGINT and SIGQUIT ignored; processkit
# catches those anyway. An ignored SIGHUP it keeps ignored (nohup), so that
# case cannot be tested from a parent that ignores SIGHUP.
if [[ "$sig" == HUP ]] && (( ($(sed -n 's/^SigIgn:\s*//p' /proc/$$/status | sed 's/^/0x/') >> (signum - 1)) & 1 )); then
  skip "SIGHUP is ignored by this test's parent (nohup?); processkit keeps an ignored SIGHUP ignored by design"
fi

# 1. A three-level tree of pk_helper processes (each prints its pid).
"$PROCESSKIT" run --mechanism "$mechanism" -- "$PK_HELPER" tree 2 30000 >"$work/tree.out" 2>"$work/tree.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/tree.out" 3; then
  kill "-$sig" "$tool"
  wait_exit "$tool" 15
  expect_status $((128 + signum)) "$status" "SIG$sig to processkit running a 3-level tree ($mechanism)"
  expect_tree_gone "SIG$sig ($mechanism)"
fi

# 2. The tree gets the signal itself, not some other one: a shell that traps
# SIG reports it, then exits 0; processkit still exits with 128+N.
"$PROCESSKIT" run --mechanism "$mechanism" -- sh -c \
  "trap 'echo got-$sig; exit 0' $sig; echo \"pid \$\$\"; \"\$0\" tree 1 30000 & wait; wait" "$PK_HELPER" \
  >"$work/trap.out" 2>"$work/trap.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/trap.out" 3; then
  kill "-$sig" "$tool"
  wait_exit "$tool" 15
  expect_status $((128 + signum)) "$status" "SIG$sig to processkit running a shell that traps it ($mechanism)"
  expect_grep "$work/trap.out" "^got-$sig\$" "the shell received SIG$sig itself"
  expect_tree_gone "SIG$sig to a trapping shell ($mechanism)"
fi

# 3. Under nohup, SIGHUP stays ignored: processkit and the tree keep running.
if [[ "$sig" == HUP ]]; then
  nohup "$PROCESSKIT" run --mechanism "$mechanism" -- "$PK_HELPER" tree 1 30000 >"$work/nohup.out" 2>"$work/nohup.err" &
  tool=$!
  started_pids="$started_pids $tool"
  if wait_for_pids "$work/nohup.out" 2; then
    kill -HUP "$tool"
    sleep 0.5
    if kill -0 "$tool" 2>/dev/null; then pass "under nohup, SIGHUP leaves processkit running"; else
      fail "under nohup, SIGHUP ended processkit"
    fi
    expect_tree_alive "under nohup, SIGHUP leaves the tree running"
    kill -TERM "$tool"
    wait_exit "$tool" 15
    expect_status 143 "$status" "then SIGTERM ($mechanism)"
    expect_tree_gone "nohup, then SIGTERM ($mechanism)"
  fi
fi

finish
