#!/usr/bin/env node
// Live changes benchmark: the latency from a committed write on one replica to its delivery to
// a subscriber of another replica (both on one PostgreSQL, or one replica on SQLite), median and
// p99 over N writes; then how many idle subscriptions one process holds and its RSS.
//
// Usage: node bench/live.mjs target/release/tenancy-gateway [N] [IDLE]
//   PG_URL=postgres://... runs two replicas on PostgreSQL; without it, one on SQLite.
//   Run from the repository root after `npm ci` in tests/node.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'tests/node/package.json'));
const WebSocket = require('ws');
const { createClient } = require('graphql-ws');

const [bin = 'target/release/tenancy-gateway', nArg = '200', idleArg = '10000'] = process.argv.slice(2);
const N = Number(nArg);
const IDLE = Number(idleArg);
const SECRET = 'live-bench-secret-of-at-least-32-bytes!';
const work = mkdtempSync(join(tmpdir(), 'live-bench-'));
const url = process.env.PG_URL || `sqlite://${work}/tenancy.db?mode=rwc`;
const children = [];

function start() {
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DATABASE_URL: url, TENANCY_JWT_SECRET: SECRET, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on http:\/\/(\S+)/);
      if (m) resolve({ addr: m[1], pid: child.pid });
    });
  });
}

const token = execFileSync(bin, ['token', '--subject', 'bench', '--administrator'], {
  env: { ...process.env, TENANCY_JWT_SECRET: SECRET },
}).toString().trim();

const writer = await start();
const reader = process.env.PG_URL ? await start() : writer;

// Latency: one subscriber on the reader; writes through the writer, one at a time.
const arrived = new Map();
const client = createClient({ url: `ws://${reader.addr}/graphql`, webSocketImpl: WebSocket });
client.subscribe({ query: 'subscription { changes { key } }' }, {
  next: (r) => arrived.set(r.data.changes.key, performance.now()), error: console.error, complete: () => {},
});
await new Promise((r) => setTimeout(r, 500));
const latencies = [];
const run = Date.now();
for (let i = 0; i < N; i++) {
  const key = `Lat${run}N${i}X`;
  const res = await fetch(`http://${writer.addr}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
    body: JSON.stringify({ query: `mutation { ensureOrganization(shortName: "${key}") { created } }` }),
  });
  const committed = performance.now(); // the response comes after the commit
  await res.json();
  while (!arrived.has(key)) await new Promise((r) => setTimeout(r, 1));
  latencies.push(Math.max(0, arrived.get(key) - committed));
}
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`live ${process.env.PG_URL ? 'postgres, replica to replica' : 'sqlite, one replica'}: ${N} writes, commit to delivery median ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
await client.dispose();

// Idle subscriptions: WebSocket connections from distinct loopback addresses (a client holds at
// most 16 connections of 32 subscriptions each).
const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const before = rss(reader.pid);
const idle = [];
let opened = 0;
let delivered = 0;
for (let c = 0; opened < IDLE; c++) {
  const source = `127.0.${1 + Math.floor(c / 16 / 250)}.${1 + (Math.floor(c / 16) % 250)}`;
  const conn = createClient({
    url: `ws://${reader.addr}/graphql`,
    webSocketImpl: class extends WebSocket { constructor(a, b) { super(a, b, { localAddress: source }); } },
    lazy: false,
  });
  idle.push(conn);
  for (let s = 0; s < 32 && opened < IDLE; s++, opened++) {
    conn.subscribe({ query: 'subscription { changes { id } }' }, { next: () => { delivered++; }, error: () => {}, complete: () => {} });
  }
  if (c % 20 === 19) await new Promise((r) => setTimeout(r, 50));
}
// Every subscription is open once the server's gauge says so; then it settles for a few seconds.
const open = async () => {
  const text = await (await fetch(`http://${reader.addr}/metrics`)).text();
  return Number(text.match(/^tenancy_live_subscriptions (\d+)/m)[1]);
};
const deadline = Date.now() + 120_000;
while ((await open()) < IDLE && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
const held = await open();
await new Promise((r) => setTimeout(r, 3000));
// CPU the idle subscriptions cost: the process's user + system ticks over 10 s.
const ticks = () => readFileSync(`/proc/${reader.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);
const ticksBefore = ticks();
await new Promise((r) => setTimeout(r, 10_000));
const cpu = ((ticks() - ticksBefore) / 100 / 10) * 100; // USER_HZ is 100 on Linux
console.log(`live idle: ${held} of ${IDLE} subscriptions open on ${idle.length} connections, RSS ${rss(reader.pid).toFixed(1)} MiB (${before.toFixed(1)} MiB before), CPU ${cpu.toFixed(1)} % of a core while idle`);
if (held < IDLE) process.exitCode = 1;

// Fan-out: one write wakes every subscription at once; each reads what it may see.
const wrote = performance.now();
await fetch(`http://${writer.addr}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
  body: JSON.stringify({ query: `mutation { ensureOrganization(shortName: "Fan${run}X") { created } }` }),
});
while (delivered < held && performance.now() - wrote < 120_000) await new Promise((r) => setTimeout(r, 5));
console.log(`live fan-out: one change delivered to ${delivered} of ${held} subscriptions in ${(performance.now() - wrote).toFixed(0)} ms, RSS after ${rss(reader.pid).toFixed(1)} MiB`);
if (delivered < held) process.exitCode = 1;
for (const c of idle) c.dispose();
for (const child of children) child.kill();
rmSync(work, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
