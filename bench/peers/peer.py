#!/usr/bin/env python3
# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
"""Python peer for pk_bench: runs one scenario's batch and prints one
`sample VALUE` line per measurement (plus `rss VALUE` for the memory one).
pk_bench starts it once per round, interleaved with the C++ variants; the
interpreter's start-up is outside every sample.

usage: peer.py [--hold-bytes N] MODE ARGS... [';;' MODE ARGS...]
  run N ARGV...                 subprocess.run, capture stdout+stderr; sample = s/run
  async N ARGV...               asyncio.create_subprocess_exec + communicate; s/run
  fanout TOTAL INFLIGHT ARGV... asyncio, INFLIGHT at once; sample = s for TOTAL runs
  capture BYTES ARGV...         subprocess.run capture of a big stdout; sample = bytes/s
  lines NLINES ARGV...          Popen + `for line in stdout`; sample = lines/s
  idle K M IDLE... -- STAMP...  asyncio: K idle children with pipes, then M stamp
                                children; rss = KiB/child, sample = exit latency in us
  pipe BYTES A... '|' B... ...  subprocess.Popen chain (stage i's stdout=PIPE is stage
                                i+1's stdin, no shell); the last stage prints a byte
                                count that must equal BYTES; sample = bytes/s
"""
import asyncio
import mmap
import os
import subprocess
import sys
import time


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def hold(nbytes):
    """Touch `nbytes` of anonymous memory in small pages (like pk_bench)."""
    m = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(m, "madvise") and hasattr(mmap, "MADV_NOHUGEPAGE"):
        m.madvise(mmap.MADV_NOHUGEPAGE)
    chunk = b"\x01" * (1 << 20)
    for off in range(0, nbytes - (1 << 20) + 1, 1 << 20):
        m[off:off + (1 << 20)] = chunk
    return m


def out(key, value):
    sys.stdout.write(f"{key} {value!r}\n")


def mode_run(n, argv):
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=True)
        out("sample", time.perf_counter() - t0)


async def one_async(argv):
    p = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                             stdout=asyncio.subprocess.PIPE,
                                             stderr=asyncio.subprocess.PIPE)
    o, _ = await p.communicate()
    return o


async def mode_async(n, argv):
    for _ in range(n):
        t0 = time.perf_counter()
        await one_async(argv)
        out("sample", time.perf_counter() - t0)


async def mode_fanout(total, inflight, argv):
    sem = asyncio.Semaphore(inflight)

    async def job():
        async with sem:
            await one_async(argv)

    t0 = time.perf_counter()
    await asyncio.gather(*(job() for _ in range(total)))
    out("sample", time.perf_counter() - t0)


def mode_capture(nbytes, argv):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, check=True)
    dt = time.perf_counter() - t0
    if len(r.stdout) != nbytes:
        raise SystemExit(f"peer.py: captured {len(r.stdout)} bytes, expected {nbytes}")
    out("sample", nbytes / dt)


def mode_lines(nlines, argv):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    n = 0
    for _line in p.stdout:
        n += 1
    p.wait()
    dt = time.perf_counter() - t0
    if n != nlines:
        raise SystemExit(f"peer.py: {n} lines, expected {nlines}")
    out("sample", nlines / dt)


async def mode_idle(k, m, idle, stamp):
    rss0 = rss_kib()
    procs, tasks = [], []
    for _ in range(k):
        p = await asyncio.create_subprocess_exec(*idle, stdin=asyncio.subprocess.DEVNULL,
                                                 stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE)
        procs.append(p)
        tasks.append(asyncio.ensure_future(p.communicate()))
    await asyncio.sleep(0.05)
    out("rss", (rss_kib() - rss0) / k if k else 0.0)
    for _ in range(m):
        o = await one_async(stamp)
        t_done = time.monotonic_ns()
        out("sample", (t_done - int(o.split()[0])) / 1000.0)
    for p in procs:
        p.kill()
    await asyncio.gather(*tasks, return_exceptions=True)


def mode_pipe(nbytes, stages):
    # The documented way to chain without a shell: each stage's stdout pipe
    # is the next one's stdin, and the parent closes its copy so that only
    # the two children hold it. The bytes never pass through this process.
    t0 = time.perf_counter()
    procs = []
    prev = subprocess.DEVNULL
    for argv in stages:
        p = subprocess.Popen(argv, stdin=prev, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if prev is not subprocess.DEVNULL:
            prev.close()
        prev = p.stdout
        procs.append(p)
    o = procs[-1].stdout.read()
    procs[-1].stdout.close()
    codes = [p.wait() for p in procs]
    dt = time.perf_counter() - t0
    if any(codes):
        raise SystemExit(f"peer.py: pipe stage exit codes {codes}")
    if int(o) != nbytes:
        raise SystemExit(f"peer.py: the chain counted {o!r}, expected {nbytes}")
    out("sample", nbytes / dt)


def split_stages(args):
    stages, cur = [], []
    for a in args:
        if a == "|":
            stages.append(cur)
            cur = []
        else:
            cur.append(a)
    stages.append(cur)
    return stages


def run_mode(mode, rest):
    if mode == "run":
        mode_run(int(rest[0]), rest[1:])
    elif mode == "async":
        asyncio.run(mode_async(int(rest[0]), rest[1:]))
    elif mode == "fanout":
        asyncio.run(mode_fanout(int(rest[0]), int(rest[1]), rest[2:]))
    elif mode == "capture":
        mode_capture(int(rest[0]), rest[1:])
    elif mode == "lines":
        mode_lines(int(rest[0]), rest[1:])
    elif mode == "pipe":
        mode_pipe(int(rest[0]), split_stages(rest[1:]))
    elif mode == "idle":
        sep = rest.index("--")
        asyncio.run(mode_idle(int(rest[0]), int(rest[1]), rest[2:sep], rest[sep + 1:]))
    else:
        raise SystemExit(f"peer.py: unknown mode {mode}")


def main():
    args = sys.argv[1:]
    keep = None
    if args and args[0] == "--hold-bytes":
        keep = hold(int(args[1]))
        args = args[2:]
    # Several batches in one process (e.g. both modes under one 2 GiB hold):
    # MODE ARGS... ';;' MODE ARGS...; each batch's samples follow `begin I`.
    batches, cur = [], []
    for a in args:
        if a == ";;":
            batches.append(cur)
            cur = []
        else:
            cur.append(a)
    batches.append(cur)
    for i, b in enumerate(batches):
        sys.stdout.write(f"begin {i}\n")
        run_mode(b[0], b[1:])
    del keep
    sys.stdout.flush()


if __name__ == "__main__":
    main()
