#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# tool_usage: --help, --version, per-command help, and usage errors: exit
# status 125 (like timeout(1)) with a message that names the option but never
# repeats the value given.
#
#   usage.sh PROCESSKIT PK_HELPER

source "$(dirname "$0")/lib.sh"

# pk ARGS...: runs processkit, output in $work/out and $work/err, status in $status.
pk() {
  "$PROCESSKIT" "$@" >"$work/out" 2>"$work/err" </dev/null
  status=$?
}

# ---- help and version: exit 0, text on stdout
for args in "--help" "-h" "help" "help help"; do
  # shellcheck disable=SC2086
  pk $args
  expect_status 0 "$status" "processkit $args"
  expect_grep "$work/out" "^usage: processkit COMMAND" "processkit $args prints the usage"
  expect_grep "$work/out" "^  run " "processkit $args lists the commands"
done
for command in run doctor demo; do
  for args in "$command --help" "$command -h" "help $command"; do
    # shellcheck disable=SC2086
    pk $args
    expect_status 0 "$status" "processkit $args"
    expect_grep "$work/out" "^usage: processkit $command" "processkit $args prints the $command usage"
  done
done
pk run --help
expect_grep "$work/out" "plain number is seconds" "run --help says a plain number is seconds"
for option in --timeout --idle-timeout --grace --signal --cwd --env --json --mechanism; do
  expect_grep "$work/out" "^  (-[a-z] \[ )?$option" "run --help describes $option"
done
expect_grep "$work/out" "^  124 " "run --help lists the exit statuses"
pk run --timeout 5s --help -- true
expect_status 0 "$status" "--help among other options"
pk run -- "$PK_HELPER" args --help
expect_status 0 "$status" "--help after -- belongs to the program"
expect_grep "$work/out" "^--help$" "the program got --help"

pk --version
expect_status 0 "$status" "processkit --version"
expect_grep "$work/out" "^processkit [0-9]+\.[0-9]+\.[0-9]+ " "--version prints the version"

# ---- usage errors: exit 125, "Try ... --help", the value never echoed
# usage_error WHAT ARGS...: a usage error whose message must not contain s3cret.
usage_error() {
  local what=$1
  shift
  pk "$@"
  expect_status 125 "$status" "$what"
  expect_grep "$work/err" "^Try 'processkit( [a-z]+)? --help'\.$" "$what: points at --help"
  expect_no_grep "$work/err" "s3cret" "$what: the value is not echoed"
  [[ -s "$work/out" ]] && fail "$what: printed on stdout"
}
usage_error "no arguments"
usage_error "unknown command" s3cret
usage_error "unknown top-level option with a value" --bogus=s3cret
usage_error "help of an unknown command" help s3cret
usage_error "run without PROGRAM" run
usage_error "run -- without PROGRAM" run --
usage_error "run with only options" run --timeout 5s
usage_error "unknown option with a value" run --bogus=s3cret -- true
usage_error "unknown short option with a value" run -Xs3cret -- true
usage_error "missing option value" run --timeout
usage_error "empty option value" run --timeout= -- true
usage_error "option twice" run --timeout 1s --timeout 2s -- true
usage_error "value for a flag" run --json=s3cret -- true
usage_error "bad mechanism" run --mechanism s3cret -- true
usage_error "bad signal" run --signal s3cret -- true
usage_error "signal number out of range" run --signal 999 -- true
usage_error "--env without '='" run --env s3cret -- true
usage_error "--env with an empty name" run --env =s3cret -- true
usage_error "second --env bad" run --env A=1 --env s3cret -- true
usage_error "empty --cwd" run --cwd= -- true
usage_error "doctor with an argument" doctor s3cret
usage_error "doctor with an unknown option" doctor --bogus=s3cret
usage_error "demo with a bad mechanism" demo --mechanism s3cret
usage_error "guessed option names are not accepted" run --time 5s -- true
pk run --env s3cret -- true
expect_grep "$work/err" "--env entry 1 is not NAME=VALUE" "a bad --env entry is named by its position"
pk run --env A=1 --env B -- true
expect_grep "$work/err" "--env entry 2 is not NAME=VALUE" "the second --env entry is entry 2"
pk run --bogus=s3cret -- true
expect_grep "$work/err" "unknown option '--bogus'" "an unknown option is named without its value"

finish
