#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Installs what the build needs (Debian bookworm, as root) and builds with CMake
# into ./build. Sourced by tools/demo.sh and tools/test.sh.
#
#   bash tools/bootstrap.sh                       # everything (tools/test.sh)
#   bash tools/bootstrap.sh processkit pk_helper  # only these targets (tools/demo.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make python3 procps libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev
          libboost-filesystem1.81-dev libboost-system1.81-dev libboost-program-options1.81-dev
          libboost1.81-tools-dev)
source tools/packages.sh
need_packages "${packages[@]}"

targets=()
for t in "$@"; do targets+=(--target "$t"); done
echo "== building${*:+ $*}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" "${targets[@]}"
