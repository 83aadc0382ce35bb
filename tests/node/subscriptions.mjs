#!/usr/bin/env node
// Live changes (docs/design.md) driven by the real clients: the npm `graphql-ws` client over
// WebSocket (graphql-transport-ws) and the npm `graphql-sse` client over Server-Sent Events.
// Replay from a cursor then live with no gap and no duplicate, visibility per caller,
// authentication by connection_init, a subscription ending with UNAUTHENTICATED when its token
// expires, a client that stops reading stalling nobody but itself, and (with PG_URL set) a
// change written through one replica reaching a subscriber of
// another.
//
// Usage: node tests/node/subscriptions.mjs target/debug/tenancy-gateway
// Exit 0 on success, 1 otherwise.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';

const SECRET = 'subscriptions-check-secret-of-32-bytes!';
const bin = process.argv[2] || 'target/debug/tenancy-gateway';
const work = mkdtempSync(join(tmpdir(), 'subscriptions-'));
const children = [];

function start(databaseUrl) {
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, TENANCY_JWT_SECRET: SECRET, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on http:\/\/(\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`the service exited (${code})`)));
  });
}

function token(subject, ...flags) {
  return execFileSync(bin, ['token', '--subject', subject, ...flags], {
    env: { ...process.env, TENANCY_JWT_SECRET: SECRET },
  }).toString().trim();
}

async function gql(addr, query, bearer) {
  const res = await fetch(`http://${addr}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `JWT ${bearer}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const SUBSCRIBE = 'subscription($after: String) { changes(after: $after) { id kind entity key actor } }';

/** Collects the events of one subscription; `take(n)` waits for the next n. */
function collector(subscribe) {
  const events = [];
  let waiting = null;
  let ended = null;
  const dispose = subscribe({
    next: (value) => { events.push(value); waiting?.(); },
    error: (err) => { ended = { error: err }; waiting?.(); },
    complete: () => { ended = ended || { complete: true }; waiting?.(); },
  });
  return {
    events,
    get ended() { return ended; },
    dispose,
    async take(n, ms = 15000) {
      const deadline = Date.now() + ms;
      while (events.length < n && !ended && Date.now() < deadline) {
        await new Promise((resolve) => { waiting = resolve; setTimeout(resolve, 200); });
      }
      return events.splice(0, n);
    },
    async end(ms = 15000) {
      const deadline = Date.now() + ms;
      while (!ended && Date.now() < deadline) {
        await new Promise((resolve) => { waiting = resolve; setTimeout(resolve, 200); });
      }
      return ended;
    },
  };
}

const results = [];
function check(name, ok, detail) {
  results.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${JSON.stringify(detail)}`}`);
}

const keys = (events) => events.map((e) => e.data?.changes?.key ?? JSON.stringify(e.errors));

/**
 * A WebSocket client that subscribes to 32 replays of a long log and then stops reading: the
 * server's writes to it back up. Its subscriptions must not hold what the others need (the
 * turns at reading the log): a new subscriber, started after the stall, still gets a change.
 */
async function stalledClient(addr, url, admin) {
  const file = join(work, 'stall-keys.txt');
  writeFileSync(file, Array.from({ length: 2500 }, (_, i) => `course-v1:Stall${i}X+C+1`).join('\n'));
  execFileSync(bin, ['backfill', '--apply', '--actor', 'ops', file], { env: { ...process.env, DATABASE_URL: url, RUST_LOG: 'warn' } });
  const raw = new WebSocket(`ws://${addr}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => { raw.once('open', resolve); raw.once('error', reject); });
  raw.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `JWT ${admin}` } }));
  await new Promise((resolve) => raw.once('message', resolve));
  for (let i = 0; i < 32; i++) {
    raw.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: SUBSCRIBE, variables: { after: '0' } } }));
  }
  raw._socket.pause();
  // About 5,000 changes x 32 replays, some 20 MB: far more than the sockets' buffers hold.
  await new Promise((r) => setTimeout(r, 3000));
  const other = createWsClient({ url: `ws://${addr}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  const live = collector((sink) => other.subscribe({ query: SUBSCRIBE }, sink));
  await new Promise((r) => setTimeout(r, 500));
  await gql(addr, 'mutation { ensureOrganization(shortName: "AfterStallX") { created } }', admin);
  const got = keys(await live.take(1, 20000));
  check('graphql-ws: a client that stops reading stalls no other subscriber', got[0] === 'AfterStallX', { got, ended: live.ended });
  await other.dispose();
  // The server gives up on it after 30 s without taking a message: its 32 subscriptions end.
  const open = async () => Number((await (await fetch(`http://${addr}/metrics`)).text()).match(/^tenancy_live_subscriptions (\d+)/m)[1]);
  const deadline = Date.now() + 60_000;
  let left = await open();
  while (left > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    left = await open();
  }
  check('graphql-ws: a client that stops reading is disconnected and its subscriptions end', left === 0, { left });
  raw.terminate();
}

async function main() {
  const url = `sqlite://${work}/tenancy.db?mode=rwc`;
  const addr = await start(url);
  const admin = token('ada', '--administrator');
  const ws = (params) => createWsClient({ url: `ws://${addr}/graphql`, webSocketImpl: WebSocket, connectionParams: params, retryAttempts: 0 });
  const sse = (headers) => createSseClient({ url: `http://${addr}/graphql`, headers, retryAttempts: 0 });

  // WebSocket, authenticated by connection_init; anonymous beside it.
  const wsAdmin = ws({ Authorization: `JWT ${admin}` });
  const wsAnon = ws(undefined);
  // From the start of the (empty) log: when a subscription begins is up to the server, and a
  // client that must miss nothing names where it starts.
  const fromStart = { query: SUBSCRIBE, variables: { after: '0' } };
  const adminFeed = collector((sink) => wsAdmin.subscribe(fromStart, sink));
  const anonFeed = collector((sink) => wsAnon.subscribe(fromStart, sink));
  // SSE, authenticated by its header.
  const sseAdmin = sse({ authorization: `JWT ${admin}` });
  const sseFeed = collector((sink) => sseAdmin.subscribe(fromStart, sink));
  await new Promise((r) => setTimeout(r, 500));

  await gql(addr, 'mutation { ensureOrganization(shortName: "WsX") { created } }', admin);
  await gql(addr, 'mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "WsX") { role } }', admin);
  await gql(addr, 'mutation { linkCourse(courseKey: "course-v1:WsX+A+1") { created } }', admin);

  const seen = await adminFeed.take(3);
  check('graphql-ws: an administrator receives every change, in order', JSON.stringify(keys(seen)) === JSON.stringify(['WsX', 'bo/ORG_STAFF/WsX', 'course-v1:WsX+A+1/WsX']), keys(seen));
  check('graphql-ws: the actor is the token\'s subject', seen.every((e) => e.data.changes.actor === 'ada'), seen);
  const anon = await anonFeed.take(2);
  check('graphql-ws: an anonymous subscriber gets no grant change', JSON.stringify(keys(anon)) === JSON.stringify(['WsX', 'course-v1:WsX+A+1/WsX']), keys(anon));
  const viaSse = await sseFeed.take(3);
  check('graphql-sse: the same three changes', JSON.stringify(keys(viaSse)) === JSON.stringify(keys(seen)), keys(viaSse));

  // Replay from the first change's id, then live: consecutive ids, nothing twice.
  const first = seen[0].data.changes.id;
  const replay = collector((sink) => wsAdmin.subscribe({ query: SUBSCRIBE, variables: { after: first } }, sink));
  const replayed = await replay.take(2);
  await gql(addr, 'mutation { ensureOrganization(shortName: "LaterX") { created } }', admin);
  const later = await replay.take(1);
  const ids = [...replayed, ...later].map((e) => Number(e.data.changes.id));
  check('graphql-ws: replay after a cursor, then live, with consecutive ids', ids.length === 3 && ids.every((id, i) => id === Number(first) + 1 + i), ids);
  const sseReplay = collector((sink) => sseAdmin.subscribe({ query: SUBSCRIBE, variables: { after: first } }, sink));
  check('graphql-sse: replay after a cursor', JSON.stringify(keys(await sseReplay.take(3))) === JSON.stringify(['bo/ORG_STAFF/WsX', 'course-v1:WsX+A+1/WsX', 'LaterX']));

  // A token that expires ends its subscription with UNAUTHENTICATED.
  const short = token('ada', '--administrator', '--ttl', '2');
  const wsShort = ws({ Authorization: `JWT ${short}` });
  const expiring = collector((sink) => wsShort.subscribe({ query: SUBSCRIBE }, sink));
  const ended = await expiring.end(20000);
  const code = ended?.error?.[0]?.extensions?.code ?? expiring.events[0]?.errors?.[0]?.extensions?.code;
  check('graphql-ws: a subscription ends with UNAUTHENTICATED when its token expires', code === 'UNAUTHENTICATED', { ended, events: expiring.events });

  // A bad token in connection_init closes the connection.
  const wsBad = ws({ Authorization: 'JWT not.a.token' });
  const refused = collector((sink) => wsBad.subscribe({ query: SUBSCRIBE }, sink));
  const refusal = await refused.end(10000);
  check('graphql-ws: a bad token in connection_init is refused', Boolean(refusal?.error), refusal);

  // Errors carry the codes they carry over HTTP: a document that does not fit the schema, and
  // an argument of the wrong type, on both transports.
  const codeOf = async (c) => { const e = await c.end(10000); return e?.error?.[0]?.extensions?.code ?? c.events[0]?.errors?.[0]?.extensions?.code; };
  const wsInvalid = collector((sink) => wsAdmin.subscribe({ query: 'subscription { changes { nope } }' }, sink));
  const wsCoerce = collector((sink) => wsAdmin.subscribe({ query: 'subscription { changes(entities: [NOPE]) { id } }' }, sink));
  const sseInvalid = collector((sink) => sseAdmin.subscribe({ query: 'subscription { changes { nope } }' }, sink));
  const codes = [await codeOf(wsInvalid), await codeOf(wsCoerce), await codeOf(sseInvalid)];
  check('subscriptions: errors are coded as over HTTP (validation, coercion; ws and sse)', JSON.stringify(codes) === JSON.stringify(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']), codes);

  // One connection holds at most 32 subscriptions.
  const wsMany = ws({ Authorization: `JWT ${admin}` });
  // Each replays the log from its start, so its first event proves it holds its slot (a fixed
  // wait would race the 33rd against the last of these on a loaded machine).
  const many = Array.from({ length: 32 }, () => collector((sink) => wsMany.subscribe(fromStart, sink)));
  await Promise.all(many.map((m) => m.take(1, 30000)));
  const extra = collector((sink) => wsMany.subscribe({ query: SUBSCRIBE }, sink));
  const over = await extra.end(10000);
  const overCode = over?.error?.[0]?.extensions?.code ?? extra.events[0]?.errors?.[0]?.extensions?.code;
  check('graphql-ws: a 33rd subscription on one connection is refused', overCode === 'TOO_MANY_REQUESTS' && many.every((m) => !m.ended), { over, ended: many.filter((m) => m.ended).length });
  many[0].dispose();
  await new Promise((r) => setTimeout(r, 500));
  const last = (await gql(addr, '{ changes(first: 1000) { pageInfo { endCursor } } }', admin)).changes.pageInfo.endCursor;
  const again = collector((sink) => wsMany.subscribe({ query: SUBSCRIBE, variables: { after: last } }, sink));
  await gql(addr, 'mutation { ensureOrganization(shortName: "SlotX") { created } }', admin);
  check('graphql-ws: a freed slot takes a new subscription', keys(await again.take(1))[0] === 'SlotX');

  for (const c of [wsAdmin, wsAnon, wsShort, wsBad, wsMany]) await c.dispose();
  sseAdmin.dispose();

  await stalledClient(addr, url, admin);

  if (process.env.PG_URL) {
    const a = await start(process.env.PG_URL);
    const b = await start(process.env.PG_URL);
    const onA = createWsClient({ url: `ws://${a}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const last = (await gql(a, '{ changes(first: 1000) { totalCount pageInfo { endCursor } } }', admin)).changes;
    // On an empty log there is no cursor: "0" (the whole log) rather than none, since a
    // subscription without `after` may begin after the write below.
    let cursor = last.pageInfo.endCursor ?? '0';
    for (let more = last; more.totalCount > 1000 && more.pageInfo.endCursor;) {
      more = (await gql(a, `{ changes(first: 1000, after: "${more.pageInfo.endCursor}") { totalCount pageInfo { endCursor } } }`, admin)).changes;
      cursor = more.pageInfo.endCursor ?? cursor;
    }
    const remote = collector((sink) => onA.subscribe({ query: SUBSCRIBE, variables: { after: cursor } }, sink));
    const started = Date.now();
    // A name of its own: the database may hold an earlier run's.
    const name = `Replica${Date.now()}X`;
    await gql(b, `mutation { ensureOrganization(shortName: "${name}") { created } }`, admin);
    const got = await remote.take(1);
    const took = Date.now() - started;
    check(`PostgreSQL: a change through replica B reaches a subscriber of replica A (${took} ms)`, keys(got)[0] === name, got);
    await onA.dispose();
  } else {
    console.log('skip PostgreSQL replicas: PG_URL is not set');
  }
}

try {
  await main();
} catch (err) {
  console.error(err);
  results.push(false);
} finally {
  for (const child of children) child.kill();
  rmSync(work, { recursive: true, force: true });
}
const failed = results.filter((ok) => !ok).length;
console.log(`subscriptions: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
