#!/usr/bin/env node
// tenancy-gateway behind Caddy (Debian's `caddy`), as a Tutor installation runs it: Caddy on a
// free high port, no TLS, with the site block the Tutor plugin adds (its `caddyfile` patch,
// deploy/tutor/tutortenancy/patches/caddyfile, rendered as Tutor renders it), and the service
// trusting Caddy (TENANCY_TRUSTED_PROXIES=127.0.0.1/32). Through that route: a query with the
// client's token, an SSE subscription and a WebSocket subscription (a grant change reaches the
// administrator's and not the anonymous one), REST links at the host the client used, and no
// /metrics. A second site block, added by this test, proxies as nginx's `proxy_pass` does (the
// service sees Host 127.0.0.1:PORT): the site of the Host rule is then the forwarded host.
//
// Usage: node tests/node/proxy.mjs path/to/tenancy-gateway
// Prints one PASS/FAIL line per check and `N passed, M failed`; exit 0 only when all passed.
// CADDY=/path/to/caddy picks the binary (default: caddy on PATH). Cut off after 90 s.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';

import { SUBSCRIBE, collector, describe } from './routers/feeds.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
// The Tutor plugin's Caddy patch: Jinja with two expressions, rendered below for HTTP.
const PATCH = join(HERE, '../../deploy/tutor/tutortenancy/patches/caddyfile');
const SECRET = 'proxy-check-secret-of-at-least-32-bytes';
const TENANCY_HOST = 'tenancy.lms.example'; // Tutor's `tenancy.{{ LMS_HOST }}`
const SITE_HOST = 'mitprofessionalx.mit.edu'; // a site of the demo data (partner mitpe)
const TIMEOUT_MS = 90_000;

const bin = process.argv[2];
const caddy = process.env.CADDY || 'caddy';
const work = mkdtempSync(join(tmpdir(), 'tenancy-proxy-'));
const children = new Set();
let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}: ${err?.message ?? err}`);
    return false;
  }
}
function assertEqual(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`);
  }
}

function finish() {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
setTimeout(() => {
  failed += 1;
  console.log(`FAIL proxy: timed out after ${TIMEOUT_MS / 1000} s`);
  finish();
}, TIMEOUT_MS).unref();

function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- the service and Caddy

function startService(databaseUrl) {
  const env = { ...process.env, TENANCY_JWT_SECRET: SECRET, TENANCY_TRUSTED_PROXIES: '127.0.0.1/32', RUST_LOG: 'warn' };
  for (const name of ['DATABASE_URL', 'TENANCY_LISTEN', 'TENANCY_PUBLIC_URL']) delete env[name];
  const child = track(spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl], {
    env, stdio: ['ignore', 'pipe', 'inherit'],
  }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on http:\/\/(\S+)\s*$/m);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

/** The plugin's `caddyfile` patch as Tutor renders it with ENABLE_HTTPS false: the site at
 * TENANCY_HOST (Tutor's Caddyfile gives the port as {$default_site_port}). */
function renderPatch() {
  const patch = readFileSync(PATCH, 'utf8')
    .replaceAll('{{ TENANCY_HOST }}', TENANCY_HOST)
    .replaceAll('{{ 443 if ENABLE_HTTPS else 80 }}', '80');
  if (/\{\{|\{%/.test(patch)) throw new Error(`${PATCH} has Jinja this test does not render:\n${patch}`);
  if (!patch.includes('reverse_proxy tenancy:8000')) throw new Error(`${PATCH} no longer proxies to tenancy:8000`);
  return patch;
}

/** Caddy on `port` with the Tutor route (upstream: the service) plus a Host-rewriting block. */
async function startCaddy(upstream, port) {
  // Tutor's Caddyfile global options, without TLS and on a free port (Tutor's HTTP port is 80).
  const caddyfile = `{
	admin off
	auto_https off
	http_port {$http_port}
}

${renderPatch().replaceAll('tenancy:8000', upstream)}
# Added by the test: a proxy that sends the upstream's address as Host, as nginx's proxy_pass does.
{$SITE_HOST}{$default_site_port} {
	reverse_proxy ${upstream} {
		header_up Host {upstream_hostport}
	}
}
`;
  const file = join(work, 'Caddyfile');
  writeFileSync(file, caddyfile);
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    XDG_CONFIG_HOME: join(work, 'config'),
    XDG_DATA_HOME: join(work, 'data'),
    SITE_HOST,
    default_site_port: `:${port}`,
    http_port: String(port),
  };
  let log = '';
  const child = track(spawn(caddy, ['run', '--adapter', 'caddyfile', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.on('data', (d) => { log = (log + d).slice(-5000); });
  child.stderr.on('data', (d) => { log = (log + d).slice(-5000); });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  child.on('error', (err) => { exited = err.message; });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`caddy exited (${exited}):\n${log}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`caddy did not listen on ${port} within 20 s:\n${log}`);
}

// ---------------------------------------------------------------- clients that name a host

// Every name resolves to 127.0.0.1, so a request can carry the site's name as its Host.
function lookup(hostname, options, callback) {
  if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

/** An HTTP request to `host:port` (resolved to 127.0.0.1); resolves with { status, body }. */
function request(host, port, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: host, port, method, path, headers, lookup, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function query(host, port, source, token) {
  const { status, text } = await request(host, port, 'POST', '/graphql', {
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `JWT ${token}` } : {}),
    },
    body: JSON.stringify({ query: source }),
  });
  if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A `changes` subscription over SSE (graphql-sse's distinct connections, read here). */
function sseFeed(host, port, token, cursor) {
  return collector((sink) => {
    const req = http.request({
      hostname: host, port, method: 'POST', path: '/graphql', lookup,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(token ? { authorization: `JWT ${token}` } : {}),
      },
    }, (res) => {
      if (res.statusCode !== 200) {
        sink.error(new Error(`HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        pending += chunk;
        for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const event = block.match(/^event:\s*(.*)$/m)?.[1];
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
          if (event === 'next') sink.next(JSON.parse(data));
          else if (event === 'complete') sink.complete();
        }
      });
      res.on('end', () => sink.complete());
    });
    req.on('error', (err) => sink.error(err));
    req.end(JSON.stringify({ query: SUBSCRIBE, variables: { after: cursor } }));
    return () => req.destroy();
  });
}

/** A `changes` subscription through the npm graphql-ws client, the token in connection_init. */
function wsFeed(host, port, token, cursor) {
  class Resolved extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { lookup });
    }
  }
  const client = createWsClient({
    url: `ws://${host}:${port}/graphql`,
    webSocketImpl: Resolved,
    connectionParams: token ? { Authorization: `JWT ${token}` } : undefined,
    retryAttempts: 0,
  });
  const f = collector((sink) => client.subscribe({ query: SUBSCRIBE, variables: { after: cursor } }, sink));
  const dispose = f.dispose;
  f.dispose = () => { dispose(); client.dispose(); };
  return f;
}

async function liveSubscriptions(service) {
  const { text } = await request('127.0.0.1', Number(service.split(':')[1]), 'GET', '/metrics');
  return Number(text.match(/^tenancy_live_subscriptions\s+(\d+)/m)?.[1] ?? NaN);
}

// ---------------------------------------------------------------- the run

async function main() {
  if (!bin) throw new Error('usage: node tests/node/proxy.mjs path/to/tenancy-gateway');
  const databaseUrl = `sqlite://${join(work, 'tenancy.db')}?mode=rwc`;
  execFileSync(bin, ['seed', '--demo', '--database-url', databaseUrl], { stdio: 'ignore' });
  const service = await startService(databaseUrl);
  const port = await freePort();
  const started = await check(`caddy: the Tutor plugin's caddyfile patch in front of the service on 127.0.0.1:${port}, no TLS`, async () => {
    await startCaddy(service, port);
    return `${execFileSync(caddy, ['version']).toString().trim().split(' ')[0]}, upstream ${service}`;
  });
  if (!started) return;
  const token = (...args) => execFileSync(bin, ['token', '--subject', ...args], { env: { ...process.env, TENANCY_JWT_SECRET: SECRET } }).toString().trim();
  const admin = token('ada', '--administrator');
  const user = token('bea');

  await check(`tutor route: a query at ${TENANCY_HOST} carries the client's token`, async () => {
    const signedIn = await query(TENANCY_HOST, port, '{ viewer { subject administrator } }', admin);
    assertEqual(signedIn, { data: { viewer: { subject: 'ada', administrator: true } } }, 'with the token');
    const anonymous = await query(TENANCY_HOST, port, '{ viewer { subject } currentSite { domain } }');
    assertEqual(anonymous, { data: { viewer: { subject: null }, currentSite: null } }, 'anonymous (the tenancy host is no site)');
    return 'viewer ada through Caddy';
  });
  await check('tutor route: /metrics is not served through Caddy', async () => {
    const proxied = await request(TENANCY_HOST, port, 'GET', '/metrics');
    assertEqual(proxied.status, 404, 'through Caddy');
    assertEqual(await liveSubscriptions(service) >= 0, true, 'the service itself serves /metrics');
    return '404';
  });
  await check('tutor route: REST links name the host the client used', async () => {
    const { status, text } = await request(TENANCY_HOST, port, 'GET', '/api/organizations/v0/organizations/?page_size=2', {
      headers: { authorization: `JWT ${user}` },
    });
    assertEqual(status, 200, 'HTTP status');
    const next = JSON.parse(text).next;
    assertEqual(next, `http://${TENANCY_HOST}:${port}/api/organizations/v0/organizations/?page=2&page_size=2`, 'next');
    return next;
  });

  // Subscriptions through the Tutor route: SSE and WebSocket, signed in and anonymous.
  const { data } = await query('127.0.0.1', Number(service.split(':')[1]), '{ changes(first: 1000) { totalCount pageInfo { endCursor } } }', admin);
  if (data.changes.totalCount > 1000) throw new Error('more than 1000 changes: page to the last cursor');
  const cursor = data.changes.pageInfo.endCursor ?? '0';
  const before = await liveSubscriptions(service);
  const feeds = [
    ['tutor route: SSE subscription, administrator', sseFeed(TENANCY_HOST, port, admin, cursor), true],
    ['tutor route: WebSocket subscription, administrator (connection_init)', wsFeed(TENANCY_HOST, port, admin, cursor), true],
    ['tutor route: SSE subscription, anonymous', sseFeed(TENANCY_HOST, port, undefined, cursor), false],
    ['tutor route: WebSocket subscription, anonymous', wsFeed(TENANCY_HOST, port, undefined, cursor), false],
    [`${SITE_HOST} (Host rewritten): SSE subscription, anonymous`, sseFeed(SITE_HOST, port, undefined, cursor), false],
    [`${SITE_HOST} (Host rewritten): WebSocket subscription, anonymous`, wsFeed(SITE_HOST, port, undefined, cursor), false],
  ];
  try {
    const open = await check('subscriptions: all six open at the service through Caddy', async () => {
      const deadline = Date.now() + 20_000;
      let now = await liveSubscriptions(service);
      while (now < before + feeds.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        now = await liveSubscriptions(service);
      }
      assertEqual(now - before, feeds.length, 'open subscriptions at the service');
      return `${now - before} open`;
    });
    const write = (source) => query('127.0.0.1', Number(service.split(':')[1]), source, admin);
    const granted = await write('mutation { grantRole(subject: "bea", role: ORG_STAFF, organization: "VJx") { role } }');
    const created = await write('mutation { ensureOrganization(shortName: "ProxiedX") { created } }');
    if (granted.errors || created.errors) throw new Error(JSON.stringify([granted, created]));
    if (open) {
      for (const [name, f, administrator] of feeds) {
        await check(`${name}: ${administrator ? 'the grant change, then the organization' : 'the organization, never the grant change'}`, async () => {
          const expected = administrator ? ['GRANT bea/ORG_STAFF/VJx', 'ORGANIZATION ProxiedX'] : ['ORGANIZATION ProxiedX'];
          const got = describe(await f.take(expected.length));
          assertEqual(got, expected, 'events');
          return got.join(', ');
        });
      }
    }
  } finally {
    for (const [, f] of feeds) f.dispose();
  }

  // The Host-rewriting proxy: the service sees Host 127.0.0.1:PORT; the site is the forwarded one.
  await check(`${SITE_HOST} (Host rewritten): currentSite and the partner filter follow X-Forwarded-Host`, async () => {
    const body = await query(SITE_HOST, port, '{ currentSite { domain partner { shortCode } } organizations { edges { node { shortName } } } }');
    assertEqual(body, {
      data: {
        currentSite: { domain: SITE_HOST, partner: { shortCode: 'mitpe' } },
        organizations: { edges: [{ node: { shortName: 'MITProfessionalX' } }] },
      },
    }, 'data');
    return `currentSite ${SITE_HOST}, organizations: MITProfessionalX only`;
  });
  await check(`${SITE_HOST} (Host rewritten): REST links name the forwarded host, not the service's address`, async () => {
    const { text } = await request(SITE_HOST, port, 'GET', '/api/organizations/v0/organizations/?page_size=2', {
      headers: { authorization: `JWT ${user}` },
    });
    const next = JSON.parse(text).next;
    assertEqual(next, `http://${SITE_HOST}:${port}/api/organizations/v0/organizations/?page=2&page_size=2`, 'next');
    return next;
  });
}

try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`FAIL proxy: ${err?.stack ?? err}`);
}
finish();
