#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_terminal_<MECHANISM>: `processkit run` started from a terminal lets
# its program read the terminal. A line is typed into a pseudo-terminal made
# by script(1) (util-linux); the program must read it and processkit must exit
# 0. A program put in a background process group of the terminal is stopped
# by SIGTTIN instead, and the run hangs until `timeout` ends it. Ctrl-C typed
# there ends the whole tree (exit status 130), and where processkit shares
# the terminal's foreground with the program, a second Ctrl-C kills a tree
# that ignores the first.
#
#   terminal.sh PROCESSKIT PK_HELPER MECHANISM

source "$(dirname "$0")/lib.sh"
mechanism=$1
mechanism_or_skip "$mechanism"

command -v script >/dev/null || skip "script(1) (util-linux, Debian package bsdutils) is not installed"
script --version 2>/dev/null | grep -q util-linux || skip "script(1) is not util-linux's (-q -f -e -c are needed)"
command -v timeout >/dev/null || skip "timeout(1) (coreutils) is not installed"
if ! SHELL=/bin/sh timeout 10 script -qfec "true" /dev/null </dev/null >"$work/probe.out" 2>&1; then
  sed 's/^/    | /' "$work/probe.out"
  skip "script(1) cannot make a pseudo-terminal here"
fi

# in_terminal NAME INPUT COMMAND...: runs COMMAND in a new pseudo-terminal
# (as its session's foreground job), types INPUT, and records the terminal's
# output in $work/NAME.out and the exit status in $status (124: it hung).
in_terminal() {
  local name=$1 input=$2 line
  shift 2
  printf -v line '%q ' "$@"
  printf '%b' "$input" | SHELL=/bin/sh timeout -k 5 20 script -qfec "$line" /dev/null >"$work/$name.out" 2>&1
  status=$?
}

# 1. head -n1 reads the typed line. The terminal echoes the line once; head
# prints it a second time.
in_terminal head 'hello\n' "$PROCESSKIT" run --mechanism "$mechanism" -- head -n1
if [[ "$status" == 124 ]]; then
  fail "processkit run --mechanism $mechanism -- head -n1 hung in a terminal (killed by timeout after 20 s): head never read the typed line (stopped by SIGTTIN in a background process group?)"
else
  expect_status 0 "$status" "processkit run --mechanism $mechanism -- head -n1 in a terminal"
fi
count=$(tr -d '\r' <"$work/head.out" | grep -c '^hello$' || true)
if ((count >= 2)); then pass "head printed the typed line (echo + head: $count lines)"; else
  fail "head did not print the typed line ($count 'hello' line(s), the terminal's echo only); the terminal showed:"
  sed 's/^/    | /' "$work/head.out"
fi

# 2. The same with pk_helper, whose answer differs from the echo.
in_terminal helper 'typed\n' "$PROCESSKIT" run --mechanism "$mechanism" -- "$PK_HELPER" read-line-echo 'prompt> '
if [[ "$status" == 124 ]]; then
  fail "processkit run --mechanism $mechanism -- pk_helper read-line-echo hung in a terminal (killed by timeout after 20 s)"
else
  expect_status 0 "$status" "processkit run --mechanism $mechanism -- pk_helper read-line-echo in a terminal"
fi
if tr -d '\r' <"$work/helper.out" | grep -q 'got:typed$'; then pass "pk_helper read the typed line"; else
  fail "pk_helper did not read the typed line; the terminal showed:"
  sed 's/^/    | /' "$work/helper.out"
fi

# in_terminal_ctrl_c NAME PRESSES PIDS COMMAND...: runs COMMAND in a new
# pseudo-terminal, waits until it printed PIDS "pid N" lines, then types
# Ctrl-C PRESSES times, 1.5 s apart. The terminal's output is in
# $work/NAME.out (carriage returns dropped: $work/NAME.txt), the exit status
# in $status.
in_terminal_ctrl_c() {
  local name=$1 presses=$2 pids=$3 line
  shift 3
  printf -v line '%q ' "$@"
  : >"$work/$name.out"
  {
    for _ in $(seq 100); do
      (($(tr -d '\r' <"$work/$name.out" | grep -c '^pid [0-9]*$' || true) >= pids)) && break
      sleep 0.1
    done
    for ((i = 0; i < presses; i++)); do
      ((i)) && sleep 1.5
      printf '\003'
    done
    sleep 3
  } | SHELL=/bin/sh timeout -k 5 20 script -qfec "$line" /dev/null >"$work/$name.out" 2>&1
  status=$?
  tr -d '\r' <"$work/$name.out" >"$work/$name.txt"
}

# 3. One Ctrl-C ends a three-level tree.
in_terminal_ctrl_c ctrl_c 1 3 "$PROCESSKIT" run --mechanism "$mechanism" -- "$PK_HELPER" tree 2 30000
expect_status 130 "$status" "Ctrl-C in the terminal ($mechanism)"
wait_for_pids "$work/ctrl_c.txt" 3 1 && expect_tree_gone "Ctrl-C in the terminal ($mechanism)"

# 4. The program shares processkit's process group (the cgroup mechanism: the
# terminal's Ctrl-C reaches both): a tree that ignores SIGINT survives the
# first Ctrl-C and is killed at the second.
effective=$("$PROCESSKIT" run --json --mechanism "$mechanism" -- true | sed -n 's/.*"mechanism":"\([a-z_0-9]*\)".*/\1/p')
if [[ "$effective" == cgroup_v2 ]]; then
  in_terminal_ctrl_c twice 2 3 "$PROCESSKIT" run --mechanism "$mechanism" --grace 60s -- \
    sh -c 'trap "" INT; echo "pid $$"; "$0" tree 1 30000' "$PK_HELPER"
  expect_status 130 "$status" "Ctrl-C twice in the terminal, over a tree that ignores SIGINT ($mechanism)"
  expect_grep "$work/twice.txt" "second signal" "the second Ctrl-C killed the tree"
  wait_for_pids "$work/twice.txt" 3 1 && expect_tree_gone "Ctrl-C twice in the terminal ($mechanism)"
else
  echo "note: a second Ctrl-C is not checked on $effective: the program has the terminal's foreground there, so Ctrl-C reaches it and not processkit"
fi

finish
