#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_escalation_<MECHANISM>: a tree that ignores the forwarded signal is
# killed at a second SIGINT at once, or when the grace period is over; either
# way processkit exits with 128+N once the whole tree is gone.
#
#   escalation.sh PROCESSKIT PK_HELPER MECHANISM

source "$(dirname "$0")/lib.sh"
mechanism=$1
mechanism_or_skip "$mechanism"

# A shell that ignores SIGINT and SIGTERM, and a pk_helper tree that inherits
# that: 3 processes, none of which a forwarded INT or TERM can end.
ignoring_tree=(sh -c 'trap "" INT TERM; echo "pid $$"; "$0" tree 1 30000' "$PK_HELPER")

# 1. Ctrl-C twice: the first SIGINT is ignored by the tree, the second kills it at once.
"$PROCESSKIT" run --mechanism "$mechanism" --grace 60s -- "${ignoring_tree[@]}" >"$work/int.out" 2>"$work/int.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/int.out" 3; then
  kill -INT "$tool"
  sleep 1
  if kill -0 "$tool" 2>/dev/null; then pass "after one SIGINT processkit waits for the tree (grace 60s)"; else
    fail "processkit exited after one SIGINT although the tree ignores it and the grace is 60s"
  fi
  expect_tree_alive "the tree ignored the first SIGINT"
  t0=$(now_ms)
  kill -INT "$tool"
  wait_exit "$tool" 10
  elapsed=$(($(now_ms) - t0))
  expect_status 130 "$status" "a second SIGINT ($mechanism)"
  if ((elapsed < 3000)); then pass "the second SIGINT killed the tree at once (${elapsed} ms)"; else
    fail "processkit took ${elapsed} ms to exit after the second SIGINT"
  fi
  expect_tree_gone "second SIGINT ($mechanism)"
  expect_grep "$work/int.err" "second signal" "processkit says why it killed the tree"
fi

# 2. One SIGTERM and a 1 s grace: SIGKILL follows when the grace is over.
"$PROCESSKIT" run --mechanism "$mechanism" --grace 1s -- "${ignoring_tree[@]}" >"$work/term.out" 2>"$work/term.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/term.out" 3; then
  t0=$(now_ms)
  kill -TERM "$tool"
  wait_exit "$tool" 15
  elapsed=$(($(now_ms) - t0))
  expect_status 143 "$status" "SIGTERM with --grace 1s to a tree that ignores it ($mechanism)"
  if ((elapsed >= 900 && elapsed < 8000)); then pass "killed after the grace (${elapsed} ms)"; else
    fail "processkit exited ${elapsed} ms after SIGTERM; expected about 1000 ms (the grace)"
  fi
  expect_tree_gone "SIGTERM and grace ($mechanism)"
  expect_grep "$work/term.err" "grace" "processkit says the grace is over"
fi

# 3. --grace 0: SIGKILL right after the forwarded signal.
"$PROCESSKIT" run --mechanism "$mechanism" --grace 0 -- "${ignoring_tree[@]}" >"$work/zero.out" 2>"$work/zero.err" &
tool=$!
started_pids="$started_pids $tool"
if wait_for_pids "$work/zero.out" 3; then
  t0=$(now_ms)
  kill -TERM "$tool"
  wait_exit "$tool" 10
  elapsed=$(($(now_ms) - t0))
  expect_status 143 "$status" "SIGTERM with --grace 0 ($mechanism)"
  if ((elapsed < 3000)); then pass "--grace 0 killed the tree at once (${elapsed} ms)"; else
    fail "processkit took ${elapsed} ms to exit with --grace 0"
  fi
  expect_tree_gone "SIGTERM and --grace 0 ($mechanism)"
fi

finish
