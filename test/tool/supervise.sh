#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_supervise: `processkit supervise` restarts the program as its options
# say, writes one line per event on stderr (the program's stdout stays its
# own), exits with the last run's status, stops the tree on a signal (128+N;
# a second signal kills it at once) and leaves no process behind; a failing
# health check kills the run; usage errors never echo a value.
#
#   supervise.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"

# pk ARGS...: runs processkit, output in $work/out and $work/err, status in $status.
pk() {
  "$PROCESSKIT" "$@" >"$work/out" 2>"$work/err" </dev/null
  status=$?
}

# expect_count FILE REGEX N WHAT: exactly N lines of FILE match REGEX.
expect_count() {
  local n
  n=$(grep -Ec -- "$2" "$1")
  if [[ "$n" == "$3" ]]; then pass "$4: $n lines"; else
    fail "$4: $n lines match /$2/, expected $3, in:"
    sed 's/^/    | /' "$1"
  fi
}

# start_bg OUT ERR ARGS...: processkit ARGS... in the background, as $tool.
start_bg() {
  local out=$1 err=$2
  shift 2
  # Emptied here, not only by the job's own redirections: those run in the
  # forked job, later, and a caller polling ERR could read the last run's lines.
  : >"$out"
  : >"$err"
  "$PROCESSKIT" "$@" >"$out" 2>"$err" </dev/null &
  tool=$!
  started_pids="$started_pids $tool"
}

# wait_started ERR: waits (30 s at most: CI runs this beside compiles) for
# the first "started pid N (run 1)" line of ERR and writes it to $work/pids
# as "pid N" (for wait_for_pids); shows ERR when it never comes.
wait_started() {
  local i line='^processkit: started pid [0-9]+ \(run [0-9]+\)$'
  for ((i = 0; i < 300; i++)); do
    grep -Eqs "$line" "$1" && break
    sleep 0.1
  done
  grep -Eqs "$line" "$1" || sed 's/^/    | /' "$1"
  sed -n 's/^processkit: started pid \([0-9]*\) .*/pid \1/p' "$1" | head -1 >>"$work/pids"
}

# ---- restarts: 3 runs, then the last run's status
pk supervise --max-restarts 2 --backoff 10ms..20ms -- "$PK_HELPER" exit 3
expect_status 3 "$status" "--max-restarts 2 over a program exiting 3"
expect_count "$work/err" '^processkit: started pid [0-9]+ \(run [123]\)$' 3 "three runs started"
expect_count "$work/err" '^processkit: exited \(run [123]\): exit code 3$' 3 "three runs exited"
expect_grep "$work/err" '^processkit: restarting in 10ms \(run 2\)$' "the first restart waits MIN"
expect_grep "$work/err" '^processkit: restarting in 20ms \(run 3\)$' "the second restart waits twice as long (MAX)"
expect_count "$work/err" '^processkit: restarting in ' 2 "two restarts"
expect_grep "$work/err" '^processkit: stopped: restarts_exhausted$' "supervision ends with restarts_exhausted"
[[ -s "$work/out" ]] && fail "event lines went to stdout" || pass "stdout holds no event line"

pk supervise --restart never -- "$PK_HELPER" kill-self 9
expect_status 137 "$status" "--restart never over a program killed by SIGKILL"
expect_grep "$work/err" '^processkit: exited \(run 1\): killed by SIGKILL$' "the exit line names the signal"
expect_grep "$work/err" '^processkit: stopped: policy_satisfied$' "never: policy_satisfied"

pk supervise -- "$PK_HELPER" print-sleep hello-from-the-child 0
expect_status 0 "$status" "on-failure (the default) over a program exiting 0"
expect_grep "$work/out" '^hello-from-the-child$' "the program's stdout is processkit's"
expect_count "$work/err" '^processkit: started ' 1 "a success is not restarted under on-failure"

pk supervise --restart always --max-restarts 1 --backoff 1ms..1ms -- sh -c 'exit 4' s3cret-arg
expect_status 4 "$status" "--restart always restarts a success too"
expect_count "$work/err" '^processkit: started ' 2 "--restart always: two runs"
expect_no_grep "$work/err" "s3cret" "event lines never show an argument"

pk supervise --storm 2/10s:200ms --max-restarts 2 --backoff 10ms..10ms -- "$PK_HELPER" exit 1
expect_status 1 "$status" "--storm over a failing program"
expect_grep "$work/err" '^processkit: storm pause 200ms \(run 3\)$' "two failures within 10s pause restarting"

# ---- a program that cannot start ends supervision at once
pk supervise --restart always -- pk-no-such-program-s3cret
expect_status 127 "$status" "a program not found"
expect_grep "$work/err" '^processkit: could not start \(run 1\): "pk-no-such-program-s3cret": not found$' "not found: named"
expect_grep "$work/err" '^processkit: stopped: gave_up$' "not found: supervision gives up"
printf '#!/bin/sh\necho never\n' >"$work/not-executable"
chmod 644 "$work/not-executable"
pk supervise --restart always -- "$work/not-executable" s3cret
expect_status 126 "$status" "a program that cannot be executed"
expect_count "$work/err" '^processkit: could not start \(run 1\): ' 1 "cannot execute: not restarted"
expect_no_grep "$work/err" "s3cret" "cannot execute: the arguments are not printed"

# ---- SIGTERM to processkit: the tree (program and grandchild) is stopped, 143
for mechanism in automatic process_group; do
  : >"$work/pids"
  start_bg "$work/tree.out" "$work/tree.err" supervise --mechanism "$mechanism" --restart always -- "$PK_HELPER" spawn-sleeper 30000
  wait_started "$work/tree.err"
  if wait_for_pids "$work/tree.out" 1 && cat "$work/tree.out" >>"$work/pids" && wait_for_pids "$work/pids" 2; then
    before=$(now_ms)
    kill -TERM "$tool"
    wait_exit "$tool" 5
    elapsed=$(($(now_ms) - before))
    expect_status 143 "$status" "SIGTERM to processkit supervise ($mechanism)"
    if ((elapsed < 3000)); then pass "it exited promptly (${elapsed}ms)"; else fail "it took ${elapsed}ms"; fi
    expect_tree_gone "SIGTERM ($mechanism): the program and its grandchild"
    expect_grep "$work/tree.err" '^processkit: exited \(run 1\): killed by SIGTERM \(stopped\)$' "the run was stopped ($mechanism)"
    expect_grep "$work/tree.err" '^processkit: stopped: stopped$' "supervision ends with stopped ($mechanism)"
    expect_count "$work/tree.err" '^processkit: started ' 1 "no restart after a stop ($mechanism)"
  fi
done

# ---- a signal during a backoff ends supervision at once
start_bg "$work/backoff.out" "$work/backoff.err" supervise --backoff 30s..30s -- "$PK_HELPER" exit 1
for ((i = 0; i < 50; i++)); do
  grep -qs '^processkit: restarting in 30s' "$work/backoff.err" && break
  sleep 0.1
done
kill -TERM "$tool"
wait_exit "$tool" 5
expect_status 143 "$status" "SIGTERM during a 30s backoff"
expect_grep "$work/backoff.err" '^processkit: stopped: stopped$' "a backoff ends with stopped"
expect_count "$work/backoff.err" '^processkit: started ' 1 "no restart after a stop in a backoff"

# ---- a program that ignores SIGTERM: SIGKILL after the grace, or at a second signal
: >"$work/pids"
start_bg "$work/grace.out" "$work/grace.err" supervise --grace 300ms -- "$PK_HELPER" ignore-term 30000
wait_started "$work/grace.err"
if wait_for_pids "$work/pids" 1; then
  sleep 0.2 # let it ignore SIGTERM
  before=$(now_ms)
  kill -INT "$tool"
  wait_exit "$tool" 5
  elapsed=$(($(now_ms) - before))
  expect_status 130 "$status" "SIGINT to processkit supervise over a program ignoring SIGTERM"
  if ((elapsed >= 250 && elapsed < 3000)); then pass "killed after the 300ms grace (${elapsed}ms)"; else
    fail "killed after ${elapsed}ms, not about 300ms"
  fi
  expect_tree_gone "SIGINT, then the grace"
  expect_grep "$work/grace.err" '^processkit: exited \(run 1\): killed by SIGKILL \(stopped\)$' "SIGKILL after the grace"
fi

: >"$work/pids"
start_bg "$work/second.out" "$work/second.err" supervise --grace 30s -- "$PK_HELPER" ignore-term 30000
wait_started "$work/second.err"
if wait_for_pids "$work/pids" 1; then
  sleep 0.2
  kill -TERM "$tool"
  sleep 0.2
  before=$(now_ms)
  kill -INT "$tool"
  wait_exit "$tool" 5
  elapsed=$(($(now_ms) - before))
  expect_status 143 "$status" "a second signal: the first one's status"
  if ((elapsed < 3000)); then pass "a second signal kills at once (${elapsed}ms)"; else fail "it took ${elapsed}ms"; fi
  expect_tree_gone "a second signal"
  expect_grep "$work/second.err" '^processkit: a second signal \(SIGINT\); killing the tree' "the second signal is reported"
fi

# ---- a failing health check kills the run
before=$(now_ms)
pk supervise --health-cmd "$PK_HELPER exit 1" --health-interval 50ms --health-failures 2 --restart never -- "$PK_HELPER" sleep 30000
elapsed=$(($(now_ms) - before))
expect_status 137 "$status" "two failed health checks kill the run (SIGKILL)"
if ((elapsed < 5000)); then pass "the unhealthy run was killed promptly (${elapsed}ms)"; else fail "it took ${elapsed}ms"; fi
expect_grep "$work/err" '^processkit: unhealthy pid [0-9]+ \(run 1\)' "an unhealthy line"
expect_grep "$work/err" '^processkit: exited \(run 1\): killed by SIGKILL \(unhealthy\)$' "the run was killed as unhealthy"
expect_grep "$work/err" '^processkit: stopped: unhealthy$' "never: supervision ends with unhealthy"

pk supervise --health-cmd "$PK_HELPER exit 1" --health-interval 50ms --health-failures 1 --max-restarts 1 --backoff 10ms..10ms -- "$PK_HELPER" sleep 30000
expect_status 137 "$status" "on-failure restarts an unhealthy run"
expect_count "$work/err" '^processkit: unhealthy pid ' 2 "both runs were unhealthy"

pk supervise --health-cmd "$PK_HELPER exit 0" --health-interval 50ms --restart never -- "$PK_HELPER" sleep 400
expect_status 0 "$status" "a passing health check leaves the run alone"
expect_no_grep "$work/err" "unhealthy" "no unhealthy line"

# ---- Ctrl-C typed in a terminal ends supervision, on both mechanisms: the
# runs read /dev/null and never get the terminal's foreground, so the
# terminal's SIGINT reaches processkit (and not only the run, which would just
# be restarted).
if command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux && command -v timeout >/dev/null &&
  SHELL=/bin/sh timeout 10 script -qfec "true" /dev/null </dev/null >/dev/null 2>&1; then
  for mechanism in automatic process_group; do
    printf -v line '%q ' "$PROCESSKIT" supervise --mechanism "$mechanism" --restart always -- "$PK_HELPER" spawn-sleeper 30000
    : >"$work/tty.out"
    {
      for _ in $(seq 100); do
        grep -q '^pid [0-9]*' "$work/tty.out" && break
        sleep 0.1
      done
      printf '\003'
      for _ in $(seq 50); do # keep the terminal's input open until processkit is done
        grep -q 'processkit: stopped' "$work/tty.out" && break
        sleep 0.1
      done
      sleep 0.3
    } | SHELL=/bin/sh timeout -k 5 20 script -qfec "$line" /dev/null >"$work/tty.out" 2>&1
    status=$?
    tr -d '\r' <"$work/tty.out" >"$work/tty.txt"
    expect_status 130 "$status" "Ctrl-C in a terminal ($mechanism)"
    expect_grep "$work/tty.txt" '^processkit: stopped: stopped$' "Ctrl-C ends supervision ($mechanism)"
    expect_count "$work/tty.txt" 'processkit: started ' 1 "Ctrl-C does not restart the run ($mechanism)"
    sed -n 's/^.*processkit: started pid \([0-9]*\) .*/pid \1/p' "$work/tty.txt" >>"$work/tty.txt"
    wait_for_pids "$work/tty.txt" 2 1 && expect_tree_gone "Ctrl-C in a terminal ($mechanism)"
  done
else
  echo "note: script(1) (util-linux) and timeout(1) cannot make a pseudo-terminal here: Ctrl-C in a terminal is not checked"
fi

# ---- help and usage errors
pk supervise --help
expect_status 0 "$status" "supervise --help"
expect_grep "$work/out" '^usage: processkit supervise ' "supervise --help prints its usage"
for option in --restart --max-restarts --backoff --storm --health-cmd --health-interval --health-failures --grace --mechanism; do
  expect_grep "$work/out" "^  (-[a-z] \[ )?$option" "supervise --help describes $option"
done
pk --help
expect_grep "$work/out" '^  supervise ' "processkit --help lists supervise"
for args in "--restart s3cret" "--max-restarts s3cret" "--backoff s3cret" "--storm s3cret" "--health-cmd x --health-interval s3cret" "--grace s3cret" "--bogus=s3cret"; do
  # shellcheck disable=SC2086
  pk supervise $args -- true
  expect_status 125 "$status" "supervise $args"
  expect_grep "$work/err" "^Try 'processkit supervise --help'\.$" "supervise $args: points at --help"
  expect_no_grep "$work/err" "s3cret" "supervise $args: the value is not echoed"
done
pk supervise
expect_status 125 "$status" "supervise without PROGRAM"

finish
