#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The main job: build, then show what containment this host gives and run the
# containment demo on every mechanism the host offers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
echo "== processkit doctor"
./build/example/processkit doctor
echo "== processkit demo (automatic mechanism)"
./build/example/processkit demo
echo "== processkit demo --mechanism process_group"
./build/example/processkit demo --mechanism process_group
echo "== processkit run --timeout 300 -- sh -c 'sleep 30 & sleep 30' (timeout kills the whole tree)"
status=0
./build/example/processkit run --timeout 300 -- sh -c 'sleep 30 & sleep 30' || status=$?
echo "exit status $status (124 = timed out)"
if pgrep -f "^sleep 30$" >/dev/null; then echo "FAIL: a sleep survived"; exit 1; fi
echo "no sleep survived"
