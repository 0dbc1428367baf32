#!/usr/bin/env bash
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Checks that the portable core stays portable, from Linux:
#
#   tools/check-portable.sh [headers|sources|all]    (default: all)
#
#   headers  every public header compiles alone for Windows
#            (x86_64-w64-mingw32-g++ -std=c++20 -fsyntax-only), except the
#            POSIX-only ones: launcher.hpp and anything under posix/. The
#            compiler is installed when missing (root, Debian); another one
#            can be named with MINGW_CXX.
#   sources  no file of src/core/, src/ops/ or src/*.cpp includes an OS
#            header or names asio::posix: those belong in src/<platform>/.
#
# Prints every failure (header name, or file:line) and exits non-zero on any.

set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-all}
case "$mode" in
  headers | sources | all) ;;
  *) echo "usage: $0 [headers|sources|all]" >&2; exit 2 ;;
esac

check_headers() {
  local cxx=${MINGW_CXX:-x86_64-w64-mingw32-g++}
  if ! command -v "$cxx" >/dev/null; then
    # shellcheck source=SCRIPTDIR/packages.sh
    source "$root/tools/packages.sh"
    need_packages g++-mingw-w64-x86-64 || return 1
    command -v "$cxx" >/dev/null || { echo "FAIL  no $cxx" >&2; return 1; }
  fi
  # Boost's headers only: the rest of /usr/include is Linux's, and a stray
  # glibc header there would hide a missing Windows one.
  tmp=$(mktemp -d)
  ln -s /usr/include/boost "$tmp/boost"

  local failed=0 n=0 h
  while IFS= read -r h; do
    case "$h" in
      boost/processkit/launcher.hpp | boost/processkit/posix/*) continue ;; # POSIX-only by design
    esac
    n=$((n + 1))
    # -D_WIN32_WINNT: Asio wants a target Windows version (10 here).
    if printf '#include <%s>\n' "$h" |
      "$cxx" -std=c++20 -fsyntax-only -D_WIN32_WINNT=0x0A00 -I"$root/include" -isystem "$tmp" \
        -x c++ - >"$tmp/log" 2>&1; then
      echo "ok    $h"
    else
      echo "FAIL  $h"
      grep -m 5 -E 'error|Error' "$tmp/log" | sed 's/^/      /'
      failed=$((failed + 1))
    fi
  done < <(cd "$root/include" && find boost -name '*.hpp' | LC_ALL=C sort)
  echo "headers: $((n - failed)) of $n compile for Windows ($cxx)"
  ((failed == 0))
}

check_sources() {
  local files=() f
  while IFS= read -r f; do files+=("$f"); done < <(
    cd "$root" && { find src/core src/ops -type f 2>/dev/null; find src -maxdepth 1 -name '*.cpp'; } | LC_ALL=C sort)
  if ((${#files[@]} == 0)); then
    echo "sources: nothing to check"
    return 0
  fi
  local os_header='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(unistd\.h|fcntl\.h|poll\.h|dirent\.h|sched\.h|signal\.h|csignal|iconv\.h|pthread\.h|(sys|arpa|netinet)/[^>]*)>'
  # Comment lines do not count; an include of <boost/asio/posix/...> does.
  local hits
  hits=$(cd "$root" && grep -nHE "$os_header|asio(::|/)posix" "${files[@]}" |
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|/?\*)')
  if [[ -n "$hits" ]]; then
    echo "$hits"
    echo "sources: $(wc -l <<<"$hits") OS-specific line(s) in $(cut -d: -f1 <<<"$hits" | sort -u | wc -l) of ${#files[@]} portable file(s)"
    return 1
  fi
  echo "sources: ${#files[@]} portable file(s) include no OS header"
}

tmp=
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

status=0
if [[ "$mode" == headers || "$mode" == all ]]; then
  check_headers || status=1
fi
if [[ "$mode" == sources || "$mode" == all ]]; then
  check_sources || status=1
fi
exit $status
