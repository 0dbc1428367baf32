#!/usr/bin/env node
// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Node peer for pk_bench (child_process.spawn): the same modes and output as
// peer.py. One `sample VALUE` line per measurement, `rss VALUE` for memory.
//
// usage: peer.js [--hold-bytes N] MODE ARGS...
//   async N ARGV...               spawn, collect stdout+stderr, await 'close'; s/run
//   fanout TOTAL INFLIGHT ARGV... INFLIGHT at once; sample = s for TOTAL runs
//   capture BYTES ARGV...         collect a big stdout (Buffers, one concat); bytes/s
//   lines NLINES ARGV...          readline over stdout; lines/s
//   idle K M IDLE... -- STAMP...  K idle children with pipes, then M stamp children;
//                                 rss = KiB/child, sample = exit latency in us
//   pipe BYTES A... '|' B... ...  spawn every stage with piped stdio, chain them with
//                                 stage.stdout.pipe(next.stdin) (the bytes pass through
//                                 this process); the last stage prints a byte count
//                                 that must equal BYTES; bytes/s
'use strict';
const { spawn } = require('child_process');
const readline = require('readline');

const out = (k, v) => process.stdout.write(`${k} ${v}\n`);
const now = () => Number(process.hrtime.bigint()) / 1e9;

function runOnce(argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', opts.stderr || 'pipe'] });
    const chunks = [];
    let len = 0;
    c.stdout.on('data', (d) => { chunks.push(d); len += d.length; });
    if (c.stderr) c.stderr.on('data', () => {});
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) reject(new Error(`${argv[0]} exited ${code}`));
      else resolve({ out: opts.concat === false ? null : Buffer.concat(chunks, len), len });
    });
  });
}

async function modeAsync(n, argv) {
  for (let i = 0; i < n; ++i) {
    const t0 = now();
    await runOnce(argv);
    out('sample', now() - t0);
  }
}

async function modeFanout(total, inflight, argv) {
  let started = 0;
  const t0 = now();
  async function worker() {
    while (started < total) {
      ++started;
      await runOnce(argv);
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker));
  out('sample', now() - t0);
}

async function modeCapture(nbytes, argv) {
  const t0 = now();
  const r = await runOnce(argv, { stderr: 'ignore' });
  const dt = now() - t0;
  if (r.out.length !== nbytes) throw new Error(`captured ${r.out.length}, expected ${nbytes}`);
  out('sample', nbytes / dt);
}

function modeLines(nlines, argv) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    const rl = readline.createInterface({ input: c.stdout, crlfDelay: Infinity });
    let n = 0;
    rl.on('line', () => { ++n; });
    let closed = 0;
    const done = () => {
      if (++closed < 2) return;
      const dt = now() - t0;
      if (n !== nlines) return reject(new Error(`${n} lines, expected ${nlines}`));
      out('sample', nlines / dt);
      resolve();
    };
    rl.on('close', done);
    c.on('close', done);
    c.on('error', reject);
  });
}

async function modeIdle(k, m, idle, stamp) {
  const rss0 = process.memoryUsage().rss;
  const kids = [];
  const closed = [];
  for (let i = 0; i < k; ++i) {
    const c = spawn(idle[0], idle.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', () => {});
    c.stderr.on('data', () => {});
    closed.push(new Promise((r) => c.on('close', r)));
    kids.push(c);
  }
  await new Promise((r) => setTimeout(r, 50));
  out('rss', k ? (process.memoryUsage().rss - rss0) / 1024 / k : 0);
  for (let j = 0; j < m; ++j) {
    const r = await runOnce(stamp);
    const tDone = process.hrtime.bigint();
    const stampNs = BigInt(r.out.toString().trim());
    out('sample', Number(tDone - stampNs) / 1000);
  }
  for (const c of kids) c.kill('SIGKILL');
  await Promise.all(closed);
}

async function modePipe(nbytes, stages) {
  const t0 = now();
  const kids = stages.map((argv, i) =>
    spawn(argv[0], argv.slice(1), { stdio: [i === 0 ? 'ignore' : 'pipe', 'pipe', 'ignore'] }));
  for (let i = 0; i + 1 < kids.length; ++i) {
    kids[i + 1].stdin.on('error', () => {}); // a stage that ends early: its exit code says so
    kids[i].stdout.pipe(kids[i + 1].stdin);
  }
  const last = kids[kids.length - 1];
  const chunks = [];
  last.stdout.on('data', (d) => chunks.push(d));
  const codes = await Promise.all(kids.map((c) => new Promise((resolve, reject) => {
    c.on('error', reject);
    c.on('close', resolve);
  })));
  const dt = now() - t0;
  if (codes.some((c) => c !== 0)) throw new Error(`pipe stage exit codes ${codes}`);
  const got = Number(Buffer.concat(chunks).toString().trim());
  if (got !== nbytes) throw new Error(`the chain counted ${got}, expected ${nbytes}`);
  out('sample', nbytes / dt);
}

function splitStages(args) {
  const stages = [[]];
  for (const a of args) {
    if (a === '|') stages.push([]);
    else stages[stages.length - 1].push(a);
  }
  return stages;
}

async function main() {
  let args = process.argv.slice(2);
  let keep = null;
  if (args[0] === '--hold-bytes') {
    // Touched memory in 256 MiB Buffers (fill writes every page).
    const total = Number(args[1]);
    keep = [];
    for (let left = total; left > 0; left -= 256 << 20) {
      const b = Buffer.allocUnsafeSlow(Math.min(left, 256 << 20));
      b.fill(1);
      keep.push(b);
    }
    args = args.slice(2);
  }
  const [mode, ...rest] = args;
  if (mode === 'async') await modeAsync(Number(rest[0]), rest.slice(1));
  else if (mode === 'fanout') await modeFanout(Number(rest[0]), Number(rest[1]), rest.slice(2));
  else if (mode === 'capture') await modeCapture(Number(rest[0]), rest.slice(1));
  else if (mode === 'lines') await modeLines(Number(rest[0]), rest.slice(1));
  else if (mode === 'pipe') await modePipe(Number(rest[0]), splitStages(rest.slice(1)));
  else if (mode === 'idle') {
    const sep = rest.indexOf('--');
    await modeIdle(Number(rest[0]), Number(rest[1]), rest.slice(2, sep), rest.slice(sep + 1));
  } else throw new Error(`unknown mode ${mode}`);
  if (keep) keep.length = 0;
}

main().catch((e) => { console.error(`peer.js: ${e.message}`); process.exit(1); });
