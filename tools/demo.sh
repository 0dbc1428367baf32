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
