#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_durations: --timeout, --idle-timeout and --grace take 300ms, 5s, 1.5s,
# 2m, and a plain number as seconds (like timeout(1)); anything else, a
# negative or a zero timeout is a usage error (125) with a clear message that
# does not repeat the value. A timeout kills the whole tree: exit status 124.
#
#   durations.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"

pk() {
  "$PROCESSKIT" "$@" >"$work/out" 2>"$work/err" </dev/null
  status=$?
}

# ---- rejected
for value in abc 5x 5S 1.5.5s s .s 5. 1e3 " 5s" "5 s" "" 5sec 1ms5 0x10 99999999999999999999 100000000d; do
  pk run --timeout "$value" -- true
  expect_status 125 "$status" "--timeout '$value' is rejected"
  expect_grep "$work/err" "^processkit run: --timeout: " "--timeout '$value': the message names the option"
done
pk run --timeout abc -- true
expect_grep "$work/err" "not a duration \(use a number and a unit: 300ms, 5s" "--timeout abc: the message shows the accepted forms"
expect_no_grep "$work/err" "stoll" "--timeout abc: no internal error text"
for value in 0 0s 0.0 0ms 0.0000000001s; do
  pk run --timeout "$value" -- true
  expect_status 125 "$status" "--timeout $value (zero) is rejected"
  expect_grep "$work/err" "--timeout must be greater than zero" "--timeout $value: says why"
  pk run --idle-timeout "$value" -- true
  expect_status 125 "$status" "--idle-timeout $value (zero) is rejected"
done
for value in -1 -5s +5s -0.5; do
  pk run --timeout "$value" -- true
  expect_status 125 "$status" "--timeout $value (signed) is rejected"
  expect_grep "$work/err" "must not be negative" "--timeout $value: says why"
  pk run --grace "$value" -- true
  expect_status 125 "$status" "--grace $value (signed) is rejected"
done
pk run --timeout=-17s -- true
expect_no_grep "$work/err" "17" "--timeout=-17s: the value is not echoed"

# ---- accepted, and meant as written
for value in 300ms 5s 1.5s 2m 1h 1d 10 0.5 .5 7.25m; do
  pk run --timeout "$value" -- "$PK_HELPER" exit 0
  expect_status 0 "$status" "--timeout $value is accepted"
done
pk run --grace 0 --timeout 5s -- "$PK_HELPER" exit 0
expect_status 0 "$status" "--grace 0 is accepted"
pk run -k 1s --timeout=5s -- "$PK_HELPER" exit 0
expect_status 0 "$status" "-k 1s and --timeout=5s are accepted"
pk run -k1s -sKILL --timeout 5s -- "$PK_HELPER" exit 0
expect_status 0 "$status" "-k1s and -sKILL are accepted"
for value in TERM SIGTERM term sigint 9 HUP USR1; do
  pk run --signal "$value" --timeout 5s -- "$PK_HELPER" exit 0
  expect_status 0 "$status" "--signal $value is accepted"
done

# "5s" is five seconds (it was 5 ms once): a 1 s program finishes within it.
pk run --timeout 5s -- "$PK_HELPER" sleep 1000
expect_status 0 "$status" "--timeout 5s lets a 1 s program finish"

# 300ms ends a 30 s tree quickly.
t0=$(now_ms)
pk run --timeout 300ms -- "$PK_HELPER" tree 2 30000
elapsed=$(($(now_ms) - t0))
expect_status 124 "$status" "--timeout 300ms"
if ((elapsed >= 250 && elapsed < 5000)); then pass "--timeout 300ms took ${elapsed} ms"; else
  fail "--timeout 300ms took ${elapsed} ms"
fi
expect_grep "$work/err" "timed out after 300ms; the whole tree was killed" "the timeout is reported"
cp "$work/out" "$work/tree.out"
wait_for_pids "$work/tree.out" 3 1 && expect_tree_gone "--timeout 300ms"

# A plain number is seconds: "1" lasts about a second, not a millisecond.
t0=$(now_ms)
pk run --timeout 1 -- "$PK_HELPER" sleep 30000
elapsed=$(($(now_ms) - t0))
expect_status 124 "$status" "--timeout 1"
if ((elapsed >= 900 && elapsed < 6000)); then pass "--timeout 1 took ${elapsed} ms (seconds)"; else
  fail "--timeout 1 took ${elapsed} ms; expected about 1000"
fi

# --signal: the signal a timeout sends first. A tree that traps TERM reports it.
pk run --timeout 300ms --grace 5s -- sh -c 'trap "echo got-TERM; exit 0" TERM; sleep 30 & wait'
expect_status 124 "$status" "a timeout over a shell that traps TERM"
expect_grep "$work/out" "^got-TERM$" "a timeout sends SIGTERM first by default"
pk run --timeout 300ms --signal INT --grace 5s -- sh -c 'trap "echo got-INT; exit 0" INT; sleep 30 & wait'
expect_grep "$work/out" "^got-INT$" "--signal INT: a timeout sends SIGINT first"

# --grace after a timeout: a tree that ignores TERM is killed when the grace is over.
t0=$(now_ms)
pk run --timeout 300ms --grace 1s -- "$PK_HELPER" ignore-term 30000
elapsed=$(($(now_ms) - t0))
expect_status 124 "$status" "--timeout 300ms --grace 1s over a program that ignores TERM"
if ((elapsed >= 1200 && elapsed < 8000)); then pass "SIGKILL came after the grace (${elapsed} ms)"; else
  fail "the run took ${elapsed} ms; expected about 1300 (timeout + grace)"
fi

# ---- --idle-timeout: no output for D ends the tree; output keeps it alive.
t0=$(now_ms)
pk run --idle-timeout 500ms -- "$PK_HELPER" idle-then-print 5000 late
elapsed=$(($(now_ms) - t0))
expect_status 124 "$status" "--idle-timeout 500ms over a silent program"
expect_no_grep "$work/out" "late" "the silent program was killed before it printed"
expect_grep "$work/err" "no output for 500ms; the whole tree was killed" "the idle timeout is reported"
if ((elapsed < 4000)); then pass "--idle-timeout 500ms took ${elapsed} ms"; else fail "--idle-timeout 500ms took ${elapsed} ms"; fi
pk run --idle-timeout 1s -- "$PK_HELPER" slow-lines 6 200
expect_status 0 "$status" "--idle-timeout 1s over a program printing every 200 ms"
expect_grep "$work/out" "." "its output was passed on"
if (($(wc -l <"$work/out") == 6)); then pass "all 6 lines passed on"; else
  fail "$(wc -l <"$work/out") lines passed on, expected 6"
fi
pk run --idle-timeout 5s -- "$PK_HELPER" err-lines 3 e
expect_status 0 "$status" "--idle-timeout: stderr"
if (($(grep -c . "$work/err") == 3)) && [[ ! -s "$work/out" ]]; then pass "stderr lines stay on stderr"; else
  fail "stderr lines: $(grep -c . "$work/err") on stderr, $(wc -l <"$work/out") on stdout"
fi

finish
