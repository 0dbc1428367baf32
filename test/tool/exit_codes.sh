#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_exit_codes: `processkit run` exits with the program's code, 128+N for
# a program killed by signal N, 126 for a program that cannot be run, 127 for
# one not found, 125 for its own failures; PROGRAM ARGS... are passed on
# untouched, --env and --cwd apply, stdin is inherited, and the program starts
# with no signal blocked. Error messages name the program only.
#
#   exit_codes.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"

pk() {
  "$PROCESSKIT" "$@" >"$work/out" 2>"$work/err" </dev/null
  status=$?
}

# ---- the program's own status
for code in 0 1 3 42 255; do
  pk run -- "$PK_HELPER" exit "$code"
  expect_status "$code" "$status" "a program exiting with $code"
done
for sig in 9 15 2 6; do
  pk run -- "$PK_HELPER" kill-self "$sig"
  expect_status $((128 + sig)) "$status" "a program killed by signal $sig"
done
pk run --mechanism process_group -- "$PK_HELPER" exit 7
expect_status 7 "$status" "--mechanism process_group: the program's code"

# ---- cannot run / not found
pk run -- pk-no-such-program-s3cret
expect_status 127 "$status" "a program not on PATH"
expect_grep "$work/err" '^processkit: "pk-no-such-program-s3cret": not found$' "not found: the message names the program"
pk run --env PATH=/s3cret/dir -- pk-no-such-program
expect_status 127 "$status" "not found with --env PATH=..."
expect_no_grep "$work/err" "s3cret" "not found: the searched PATH (an env value) is not printed"
pk run -- /nonexistent/pk-program
expect_status 127 "$status" "a path that does not exist"
printf '#!/bin/sh\necho never\n' >"$work/not-executable"
chmod 644 "$work/not-executable"
pk run -- "$work/not-executable" s3cret
expect_status 126 "$status" "a file without execute permission"
expect_no_grep "$work/err" "s3cret" "cannot run: the arguments are not printed"
pk run -- "$work"
expect_status 126 "$status" "a directory"
pk run --cwd "$work/no-such-dir-s3cret" -- "$PK_HELPER" cwd
expect_status 125 "$status" "a --cwd that does not exist"
expect_grep "$work/err" '^processkit: ".*pk_helper": chdir: ' "bad --cwd: the message names the program and the step"
expect_no_grep "$work/err" "s3cret" "bad --cwd: the directory is not printed"
pk run --mechanism process_group -- pk-no-such-program
expect_status 127 "$status" "not found, process_group mechanism"

# ---- PROGRAM ARGS... untouched
pk run -- "$PK_HELPER" args -l --timeout x -- --json "two words" ""
printf '%s\n' -l --timeout x -- --json "two words" "" >"$work/expected"
if cmp -s "$work/out" "$work/expected"; then pass "arguments after -- are passed untouched"; else
  fail "arguments after -- changed:"
  diff "$work/expected" "$work/out" | sed 's/^/    | /'
fi
pk run --timeout 5s "$PK_HELPER" args -l --timeout 1s
printf '%s\n' -l --timeout 1s >"$work/expected"
if cmp -s "$work/out" "$work/expected"; then pass "without --, options after PROGRAM are PROGRAM's"; else
  fail "arguments after the first positional changed:"
  diff "$work/expected" "$work/out" | sed 's/^/    | /'
fi
expect_status 0 "$status" "run PROGRAM without --"

# ---- --env, --cwd, stdin, signal mask
pk run --env PK_A=1 --env "PK_B=x=y z" --env PK_C= -- "$PK_HELPER" env PK_A PK_B PK_C
printf '%s\n' "PK_A=1" "PK_B=x=y z" "PK_C=" >"$work/expected"
if cmp -s "$work/out" "$work/expected"; then pass "--env sets the variables (values split at the first '=')"; else
  fail "--env:"
  diff "$work/expected" "$work/out" | sed 's/^/    | /'
fi
mkdir "$work/dir"
pk run --cwd "$work/dir" -- "$PK_HELPER" cwd
expect_grep "$work/out" "^$work/dir\$" "--cwd sets the working directory"
echo "from-stdin" | "$PROCESSKIT" run -- "$PK_HELPER" cat >"$work/out" 2>"$work/err"
expect_grep "$work/out" "^from-stdin$" "stdin is inherited"
pk run -- "$PK_HELPER" sigmask
expect_grep "$work/out" "^SigBlk:\s+0+$" "the program starts with no signal blocked"

# ---- orphans of the tree are reparented to processkit (a subreaper) and reaped
# as the run goes, not piled up as zombies until its end.
"$PROCESSKIT" run -- sh -c 'for i in 1 2 3 4 5; do ("$0" sleep 50 &); done; exec "$0" sleep 4000' "$PK_HELPER" \
  >"$work/orphans.out" 2>&1 &
tool=$!
started_pids="$started_pids $tool"
sleep 0.5
orphans=$(ps -o pid= --ppid "$tool" | wc -l)
sleep 2
zombies=$(ps -o stat= --ppid "$tool" | grep -c '^Z' || true)
# (Without the reaping, the 5 orphans that exited would all be zombies here.)
if ((zombies == 0)); then pass "the orphans that exited were reaped during the run ($orphans children at 0.5 s)"; else
  fail "after 2.5 s processkit has $zombies zombie children (children seen at 0.5 s: $orphans)"
  ps -o pid,ppid,stat,args --ppid "$tool" | sed 's/^/    | /'
fi
wait_exit "$tool" 10
expect_status 0 "$status" "the run with orphans"

finish
