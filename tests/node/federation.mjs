#!/usr/bin/env node
// Proves tenancy-gateway is a working Apollo Federation v2 subgraph behind the routers people
// run: it starts the binary (seeded with the demo data) and a small in-process catalog subgraph
// that owns Course.title, composes both with @apollo/composition and with The Guild's
// @theguild/federation-composition, and checks queries that cross the graph in both directions
// through @apollo/gateway and through Hive Gateway (the `hive-gateway` CLI, twice: subscribing
// to us over SSE, and over WebSocket), the client's token forwarded to us. `subscription {
// changes }` is routed to us by Hive Gateway, whatever the client's transport (SSE or
// WebSocket): a grant change reaches the administrator's subscriptions and not the anonymous
// ones. @apollo/gateway does not execute subscriptions; the check records how it refuses one.
//
// Usage: node tests/node/federation.mjs path/to/tenancy-gateway
// Prints one PASS/FAIL line per check and then `N passed, M failed`; exit 0 only when every
// check passed. Everything runs on 127.0.0.1 (a connection to any other host, from this process
// or a gateway it starts, is refused and fails the run) and nothing is downloaded; the whole run
// is cut off after 120 s.
// FEDERATION_DEBUG=1 also prints the supergraph and every request the gateway sends.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import composition from '@apollo/composition';
import gatewayPkg from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import subgraphPkg from '@apollo/subgraph';
import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';

import { offLoopback } from './routers/loopback.mjs';
import { describe, feed } from './routers/feeds.mjs';
import { startHive } from './routers/hive.mjs';

const { composeServices } = composition;
const { ApolloGateway, RemoteGraphQLDataSource } = gatewayPkg;
const { buildSubgraphSchema } = subgraphPkg;

const TIMEOUT_MS = 120_000;
const DEBUG = process.env.FEDERATION_DEBUG === '1';
const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');
// The subgraph verifies HS256 tokens signed with this (minted by its own `token` verb).
const SECRET = 'federation-check-secret-of-32-bytes!';

// Composition hints that are accepted, by hint code, each with the reason. A hint is
// composition telling us something in our SDL (or the catalog's) is probably not what was
// meant, so the list is empty: every hint fails the run until it is fixed or justified here.
const ALLOWED_HINTS = new Map([
  // ['HINT_CODE', 'why it is fine for this graph'],
]);

// Hermetic: no Apollo uplink, usage reporting or schema reporting (those need APOLLO_KEY and
// friends), no anonymous telemetry (@apollo/gateway otherwise exports OpenTelemetry metrics to
// Apollo and probes cloud metadata endpoints for them), and no proxy for loopback requests.
for (const name of Object.keys(process.env)) if (name.startsWith('APOLLO_')) delete process.env[name];
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
for (const name of ['NO_PROXY', 'no_proxy']) {
  process.env[name] = ['127.0.0.1', 'localhost', process.env[name]].filter(Boolean).join(',');
}

// ---------------------------------------------------------------- verdicts and cleanup

let passed = 0;
let failed = 0;
function pass(name, detail = '') {
  passed += 1;
  console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
}
function fail(name, detail = '') {
  failed += 1;
  console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
}
/** One verdict: `fn` returns a detail string (PASS) or throws (FAIL). */
async function check(name, fn) {
  try {
    pass(name, (await fn()) ?? '');
    return true;
  } catch (err) {
    fail(name, err?.message ?? String(err));
    return false;
  }
}
// Compares as JSON values: the gateway builds its results on null-prototype objects.
function assertEqual(actual, expected, what) {
  const plain = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  if (!isDeepStrictEqual(plain(actual), plain(expected))) {
    throw new Error(`${what}\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`);
  }
}

let tenancyProcess = null;
const hiveLogs = { sse: '', ws: '' };
let tenancyStderr = '';
let tempDir = null;
const children = new Set(); // every process we started that has not exited
const cleanups = []; // async, run in reverse order

function spawnTracked(bin, args, options) {
  const child = spawn(bin, args, options);
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}
// Whatever happens (timeout, uncaught error, Ctrl-C), the binary does not outlive us.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`FAIL federation: interrupted by ${signal}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  });
}
const timer = setTimeout(() => {
  console.log(`FAIL federation: timed out after ${TIMEOUT_MS / 1000} s`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, TIMEOUT_MS);
timer.unref();

async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${err?.message ?? err}`);
    }
  }
}

// ---------------------------------------------------------------- helpers

function run(bin, args, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const child = spawnTracked(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${bin} ${args.join(' ')} exited with ${code ?? signal}:\n${out.slice(-2000)}`));
    });
  });
}

/** Starts `serve` on 127.0.0.1:0 and resolves with the URL it printed. */
function startTenancy(bin, databaseUrl) {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, TENANCY_JWT_SECRET: SECRET, RUST_LOG: 'warn' };
    delete env.DATABASE_URL;
    delete env.TENANCY_LISTEN;
    const child = spawnTracked(bin, ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    tenancyProcess = child;
    let stdout = '';
    const t = setTimeout(() => reject(new Error(`no "listening on" line within 20 s:\n${tenancyStderr.slice(-2000)}`)), 20_000);
    child.stderr.on('data', (d) => {
      tenancyStderr = (tenancyStderr + d).slice(-20_000);
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^listening on (http:\/\/\S+)\s*$/m);
      if (m) {
        clearTimeout(t);
        resolvePromise(m[1]);
      }
    });
    child.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`serve exited early with ${code ?? signal}:\n${tenancyStderr.slice(-2000)}`));
    });
  });
}

async function stopTenancy() {
  const child = tenancyProcess;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(t);
}

async function postGraphQL(url, query, variables, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${res.status} with non-JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body };
}

async function fetchSdl(url) {
  const { status, body } = await postGraphQL(url, '{ _service { sdl } }');
  if (status !== 200 || body.errors || typeof body.data?._service?.sdl !== 'string') {
    throw new Error(`{ _service { sdl } } at ${url}: ${status} ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body.data._service.sdl;
}

function oneLine(query) {
  return query.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------- the catalog subgraph

// What course-discovery would own: the course's catalog data. The last key has no link in the
// demo data, so the tenancy subgraph answers organization: null for it.
const CATALOG = [
  { courseKey: 'course-v1:MITx+6.002x+2024_T1', title: 'Circuits and Electronics' },
  { courseKey: 'course-v1:VJx+VJx101+2024_T1', title: 'Virtual Joint Course 101' },
  { courseKey: 'lib:HarvardX:cs50-problems', title: 'CS50 Problem Library' },
  { courseKey: 'course-v1:edX+DemoX+Demo_Course', title: 'edX Demonstration Course' },
];
const CATALOG_TYPEDEFS = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  type Course @key(fields: "courseKey") {
    courseKey: String!
    title: String!
  }

  type Query {
    courses: [Course!]!
  }
`);
const catalogResolvers = {
  Query: { courses: () => CATALOG },
  Course: {
    __resolveReference: (ref) => CATALOG.find((c) => c.courseKey === ref.courseKey) ?? null,
  },
};

// Queries that cross the graph, and what every router must answer.
const CATALOG_TO_TENANCY = {
  query: '{ courses { title organization { name } } }',
  data: {
    courses: [
      { title: 'Circuits and Electronics', organization: { name: 'Massachusetts Institute of Technology' } },
      { title: 'Virtual Joint Course 101', organization: { name: 'VJx' } },
      { title: 'CS50 Problem Library', organization: { name: 'Harvard University' } },
      { title: 'edX Demonstration Course', organization: null },
    ],
  },
};
const TENANCY_TO_CATALOG = {
  query: '{ organization(shortName: "VJx") { name courses { edges { node { courseKey title } } } } }',
  data: {
    organization: {
      name: 'VJx',
      courses: { edges: [{ node: { courseKey: 'course-v1:VJx+VJx101+2024_T1', title: 'Virtual Joint Course 101' } }] },
    },
  },
};
// Who the subgraph says the caller is: the token must have come through the router.
const VIEWER = '{ viewer { subject administrator } }';

// ---------------------------------------------------------------- the gateway

const subgraphRequests = []; // { subgraph, query, variables } for every fetch the gateway makes

class CountingDataSource extends RemoteGraphQLDataSource {
  constructor(name, url) {
    super({ url });
    this.subgraphName = name;
  }

  // The client's token goes on to the subgraph (as a router forwards it).
  willSendRequest({ request, context }) {
    if (context?.authorization) request.http.headers.set('authorization', context.authorization);
    subgraphRequests.push({ subgraph: this.subgraphName, query: request.query, variables: request.variables });
    if (DEBUG) console.log(`  -> ${this.subgraphName}: ${oneLine(request.query)} ${JSON.stringify(request.variables ?? {})}`);
  }
}

/** Runs `query` through the gateway (with the client's `authorization`, if any); returns the
 * result and the fetches per subgraph. */
async function viaGateway(server, query, authorization) {
  subgraphRequests.length = 0;
  if (DEBUG) console.log(`query ${oneLine(query)}`);
  const response = await server.executeOperation({ query }, { contextValue: { authorization } });
  if (response.body.kind !== 'single') throw new Error(`unexpected ${response.body.kind} response`);
  const fetches = { tenancy: [], catalog: [] };
  for (const r of subgraphRequests) (fetches[r.subgraph] ??= []).push(r);
  return { result: response.body.singleResult, fetches };
}

function describeFetches(fetches) {
  return Object.entries(fetches)
    .map(([name, list]) => {
      const kinds = list.map((r) =>
        /\b_entities\s*\(/.test(r.query) ? `_entities x${r.variables?.representations?.length ?? '?'}` : 'root query',
      );
      return `${name} ${list.length}${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
    })
    .join(', ');
}

function expectFetches(fetches, expected) {
  for (const [name, { count, entities }] of Object.entries(expected)) {
    const list = fetches[name] ?? [];
    if (list.length !== count) throw new Error(`${name}: ${list.length} requests, expected ${count} (${describeFetches(fetches)})`);
    for (const r of list) {
      const isEntities = /\b_entities\s*\(/.test(r.query);
      if (isEntities !== entities) {
        throw new Error(`${name}: expected ${entities ? 'an _entities fetch' : 'a root query'}, got ${oneLine(r.query)}`);
      }
    }
  }
  return describeFetches(fetches);
}

// ---------------------------------------------------------------- the run

async function main() {
  const bin = process.argv[2];
  if (!bin) {
    fail('federation', 'usage: node tests/node/federation.mjs path/to/tenancy-gateway');
    return;
  }

  tempDir = mkdtempSync(join(tmpdir(), 'tenancy-federation-'));
  const databaseUrl = `sqlite://${join(tempDir, 'tenancy.db')}?mode=rwc`;

  let tenancyUrl;
  const started = await check('tenancy subgraph: seed --demo and serve on 127.0.0.1:0', async () => {
    await run(bin, ['seed', '--demo', '--database-url', databaseUrl], 30_000);
    cleanups.push(stopTenancy); // before it is up: a binary that never says where it listens is stopped too
    const base = await startTenancy(bin, databaseUrl);
    tenancyUrl = `${base}/graphql`;
    return tenancyUrl;
  });
  if (!started) return;

  let tenancySdl;
  await check('tenancy subgraph: _service.sdl equals the checked-in schema.graphql', async () => {
    tenancySdl = await fetchSdl(tenancyUrl);
    const file = readFileSync(SCHEMA_FILE, 'utf8');
    if (tenancySdl.trimEnd() !== file.trimEnd()) {
      const a = tenancySdl.trimEnd().split('\n');
      const b = file.trimEnd().split('\n');
      const i = a.findIndex((line, n) => line !== b[n]);
      const at = i === -1 ? Math.min(a.length, b.length) : i;
      throw new Error(`differs from ${SCHEMA_FILE} at line ${at + 1}: served ${JSON.stringify(a[at])}, file ${JSON.stringify(b[at])}`);
    }
    return `${tenancySdl.length} characters`;
  });
  if (!tenancySdl) return;

  let catalogUrl;
  let catalogSdl;
  const catalogStarted = await check('catalog subgraph: buildSubgraphSchema on 127.0.0.1', async () => {
    const catalog = new ApolloServer({
      schema: buildSubgraphSchema({ typeDefs: CATALOG_TYPEDEFS, resolvers: catalogResolvers }),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    const { url } = await startStandaloneServer(catalog, { listen: { host: '127.0.0.1', port: 0 } });
    cleanups.push(() => catalog.stop());
    catalogUrl = url;
    catalogSdl = await fetchSdl(catalogUrl);
    return catalogUrl;
  });
  if (!catalogStarted) return;

  // Composition sees what Rover would: each subgraph's SDL as served by `_service`.
  const result = composeServices([
    { name: 'tenancy', url: tenancyUrl, typeDefs: parse(tenancySdl) },
    { name: 'catalog', url: catalogUrl, typeDefs: parse(catalogSdl) },
  ]);
  const composed = await check('composition: composeServices(tenancy, catalog) has no errors', () => {
    if (result.errors?.length) {
      throw new Error(`${result.errors.length} error(s):\n${result.errors.map((e) => `  [${e.extensions?.code}] ${e.message}`).join('\n')}`);
    }
    return `supergraph ${result.supergraphSdl.length} characters`;
  });
  for (const hint of result.hints ?? []) console.log(`hint [${hint.definition.code}] ${hint.message}`);
  await check('composition: no hints outside the allow-list', () => {
    const hints = result.hints ?? [];
    const unexpected = hints.filter((h) => !ALLOWED_HINTS.has(h.definition.code));
    if (unexpected.length) throw new Error(`${unexpected.length} unexpected hint(s): ${unexpected.map((h) => h.definition.code).join(', ')}`);
    return `${hints.length} hint(s)`;
  });
  if (!composed) return;
  if (DEBUG) console.log(result.supergraphSdl);

  let server;
  const gatewayStarted = await check('gateway: @apollo/gateway over the static supergraph', async () => {
    const gateway = new ApolloGateway({
      supergraphSdl: result.supergraphSdl,
      buildService: ({ name, url }) => new CountingDataSource(name, url),
    });
    server = new ApolloServer({ gateway });
    await server.start();
    cleanups.push(() => server.stop());
    return 'started';
  });
  if (!gatewayStarted) return;

  // catalog -> tenancy: the catalog lists courses, the gateway asks us for their organization.
  await check(`gateway: ${CATALOG_TO_TENANCY.query} (catalog -> tenancy)`, async () => {
    const { result: r, fetches } = await viaGateway(server, CATALOG_TO_TENANCY.query);
    assertEqual(r.errors, undefined, 'errors');
    assertEqual(r.data, CATALOG_TO_TENANCY.data, 'data');
    return expectFetches(fetches, { catalog: { count: 1, entities: false }, tenancy: { count: 1, entities: true } });
  });

  // tenancy -> catalog: we list the organization's course links, the catalog adds the titles.
  await check(`gateway: ${TENANCY_TO_CATALOG.query} (tenancy -> catalog)`, async () => {
    const { result: r, fetches } = await viaGateway(server, TENANCY_TO_CATALOG.query);
    assertEqual(r.errors, undefined, 'errors');
    assertEqual(r.data, TENANCY_TO_CATALOG.data, 'data');
    return expectFetches(fetches, { tenancy: { count: 1, entities: false }, catalog: { count: 1, entities: true } });
  });

  // Every organization of the joint course, in link order, for every catalog course at once.
  await check('gateway: { courses { courseKey organizations { shortName } } } (all links, link order)', async () => {
    const { result: r, fetches } = await viaGateway(server, '{ courses { courseKey organizations { shortName } } }');
    assertEqual(r.errors, undefined, 'errors');
    const names = (...xs) => xs.map((shortName) => ({ shortName }));
    assertEqual(
      r.data,
      {
        courses: [
          { courseKey: 'course-v1:MITx+6.002x+2024_T1', organizations: names('MITx') },
          { courseKey: 'course-v1:VJx+VJx101+2024_T1', organizations: names('VJx', 'MITx', 'HarvardX') },
          { courseKey: 'lib:HarvardX:cs50-problems', organizations: names('HarvardX') },
          { courseKey: 'course-v1:edX+DemoX+Demo_Course', organizations: [] },
        ],
      },
      'data',
    );
    return expectFetches(fetches, { catalog: { count: 1, entities: false }, tenancy: { count: 1, entities: true } });
  });

  // The representation the gateway would send for a catalog course nobody linked.
  await check('tenancy subgraph: _entities for an unlinked course key gives organization: null, no error', async () => {
    const { status, body } = await postGraphQL(
      tenancyUrl,
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Course { courseKey organization { shortName } organizations { shortName } } } }',
      { representations: [{ __typename: 'Course', courseKey: 'course-v1:edX+DemoX+Demo_Course' }] },
    );
    assertEqual(status, 200, 'HTTP status');
    assertEqual(body.errors, undefined, 'errors');
    assertEqual(
      body.data,
      { _entities: [{ courseKey: 'course-v1:edX+DemoX+Demo_Course', organization: null, organizations: [] }] },
      'data',
    );
    return 'organization: null, organizations: []';
  });

  // ------------------------------------------------------------ tokens through @apollo/gateway
  const admin = mintToken(bin, 'ada', '--administrator');
  await check(`gateway: the client's token reaches the tenancy subgraph (${VIEWER})`, async () => {
    const signedIn = await viaGateway(server, VIEWER, `JWT ${admin}`);
    assertEqual(signedIn.result.errors, undefined, 'errors');
    assertEqual(signedIn.result.data, { viewer: { subject: 'ada', administrator: true } }, 'with the token');
    const anonymous = await viaGateway(server, VIEWER);
    assertEqual(anonymous.result.data, { viewer: { subject: null, administrator: false } }, 'without');
    return 'subject ada with the token, null without';
  });

  // @apollo/gateway plans queries and mutations only (subscriptions need Apollo Router).
  await check('gateway: @apollo/gateway refuses subscription { changes } and sends us nothing', async () => {
    subgraphRequests.length = 0;
    const response = await server.executeOperation({ query: 'subscription { changes { key } }' });
    const single = response.body.kind === 'single' ? response.body.singleResult : null;
    const message = single?.errors?.[0]?.message;
    if (!message || single.data) throw new Error(`expected a refusal, got ${JSON.stringify(response.body)}`);
    assertEqual(subgraphRequests.length, 0, 'subgraph requests');
    return JSON.stringify(message);
  });

  // ------------------------------------------------------------ The Guild's composition
  await check('composition: both supergraphs route Subscription.changes to tenancy', () => {
    const routed = /type Subscription\s+@join__type\(graph: TENANCY\)\s*\{[^}]*\bchanges\(/s;
    if (!routed.test(result.supergraphSdl)) throw new Error('@apollo/composition: no Subscription joined to TENANCY');
    return '@apollo/composition: type Subscription @join__type(graph: TENANCY)';
  });
  let guild;
  const guildComposed = await check('composition: @theguild/federation-composition composes tenancy + catalog', () => {
    guild = composeWithGuild([
      { name: 'tenancy', url: tenancyUrl, typeDefs: parse(tenancySdl) },
      { name: 'catalog', url: catalogUrl, typeDefs: parse(catalogSdl) },
    ]);
    if (guild.errors?.length) {
      throw new Error(`${guild.errors.length} error(s):\n${guild.errors.map((e) => `  [${e.extensions?.code}] ${e.message}`).join('\n')}`);
    }
    if (!/type Subscription\s+@join__type\(graph: TENANCY\)\s*\{[^}]*\bchanges\(/s.test(guild.supergraphSdl)) {
      throw new Error('no Subscription joined to TENANCY');
    }
    return `supergraph ${guild.supergraphSdl.length} characters, Subscription joined to TENANCY`;
  });
  if (!guildComposed) return;

  // ------------------------------------------------------------ Hive Gateway
  // Two gateways over The Guild's supergraph: one subscribes to us over SSE (its default), the
  // other over WebSocket (TENANCY_SUBSCRIPTIONS=ws in hive-gateway.config.mjs).
  const supergraphFile = join(tempDir, 'supergraph.graphql');
  writeFileSync(supergraphFile, guild.supergraphSdl);
  const hive = {};
  const hiveStarted = await check('hive: hive-gateway supergraph (twice: subscriptions to us over SSE and over WebSocket)', async () => {
    const [sse, ws] = await Promise.all(
      ['sse', 'ws'].map((upstream) => startHive(spawnTracked, supergraphFile, { TENANCY_SUBSCRIPTIONS: upstream }, (text) => {
        hiveLogs[upstream] = (hiveLogs[upstream] + text).slice(-20_000);
        if (text.includes('LOOPBACK-REFUSED')) offLoopback.push(...text.match(/LOOPBACK-REFUSED \S+/g));
      })),
    );
    hive.sse = sse.url;
    hive.ws = ws.url;
    for (const { child } of [sse, ws]) {
      cleanups.push(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      });
    }
    return `${hive.sse} and ${hive.ws}`;
  });
  if (!hiveStarted) return;

  for (const [what, { query, data }] of [['catalog -> tenancy', CATALOG_TO_TENANCY], ['tenancy -> catalog', TENANCY_TO_CATALOG]]) {
    await check(`hive: ${query} (${what})`, async () => {
      const { status, body } = await postGraphQL(hive.sse, query);
      assertEqual(status, 200, 'HTTP status');
      assertEqual(body.errors, undefined, 'errors');
      assertEqual(body.data, data, 'data');
      return 'same answer as @apollo/gateway';
    });
  }
  await check(`hive: the client's token reaches the tenancy subgraph (${VIEWER})`, async () => {
    for (const url of [hive.sse, hive.ws]) {
      const signedIn = await postGraphQL(url, VIEWER, undefined, { authorization: `JWT ${admin}` });
      assertEqual(signedIn.body, { data: { viewer: { subject: 'ada', administrator: true } } }, `with the token at ${url}`);
      const anonymous = await postGraphQL(url, VIEWER);
      assertEqual(anonymous.body, { data: { viewer: { subject: null, administrator: false } } }, `without at ${url}`);
    }
    return 'subject ada with the token, null without';
  });

  await routedSubscriptions(tenancyUrl, hive, admin);
}

/** A token for `subject`, minted by the service's own `token` verb with the test secret. */
function mintToken(bin, subject, ...flags) {
  return execFileSync(bin, ['token', '--subject', subject, ...flags], {
    env: { ...process.env, TENANCY_JWT_SECRET: SECRET },
  }).toString().trim();
}

/** Open subscriptions and WebSocket upgrades (HTTP 101) at the tenancy subgraph, from /metrics. */
async function liveAt(tenancyUrl) {
  const text = await (await fetch(new URL('/metrics', tenancyUrl))).text();
  const value = (pattern) => Number(text.split('\n').find((l) => pattern.test(l))?.trim().split(/\s+/).pop() ?? 0);
  return {
    subscriptions: value(/^tenancy_live_subscriptions\s/),
    upgrades: value(/^tenancy_http_requests_total\{(?=.*route="\/graphql")(?=.*status="101")/),
  };
}

/** Waits until the subgraph holds `subscriptions` open subscriptions; returns what /metrics says. */
async function waitForSubscriptions(tenancyUrl, subscriptions, ms = 20_000) {
  const deadline = Date.now() + ms;
  let now = await liveAt(tenancyUrl);
  while (now.subscriptions < subscriptions && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    now = await liveAt(tenancyUrl);
  }
  if (now.subscriptions < subscriptions) throw new Error(`${now.subscriptions} subscriptions open at tenancy, expected ${subscriptions}`);
  return now;
}

/**
 * `subscription { changes }` through both Hive gateways, each with clients over SSE and over
 * WebSocket, signed in as an administrator or anonymous: a grant change reaches only the
 * administrator's subscriptions, the organization created after it reaches every one.
 */
async function routedSubscriptions(tenancyUrl, hive, admin) {
  const feeds = [];
  const write = async (query) => {
    const { body } = await postGraphQL(tenancyUrl, query, undefined, { authorization: `JWT ${admin}` });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };
  try {
    // Start after the last change so far: every feed then sees exactly the changes below,
    // whenever the gateway's subscription to us begins.
    const { body } = await postGraphQL(tenancyUrl, '{ changes(first: 1000) { totalCount pageInfo { endCursor } } }', undefined, { authorization: `JWT ${admin}` });
    const cursor = body.data.changes.pageInfo.endCursor ?? '0';
    if (body.data.changes.totalCount > 1000) throw new Error('more than 1000 changes: page to the last cursor');
    const before = await liveAt(tenancyUrl);
    const open = (gateway, client, who) => {
      const f = feed(hive[gateway], client, who === 'admin' ? admin : undefined, cursor);
      feeds.push({ name: `hive (to us over ${gateway.toUpperCase()}), client over ${client.toUpperCase()}, ${who}`, who, f });
    };
    const ok = await check('hive: subscriptions reach tenancy over SSE from one gateway and over WebSocket from the other', async () => {
      for (const client of ['sse', 'ws']) for (const who of ['admin', 'anonymous']) open('sse', client, who);
      const overSse = await waitForSubscriptions(tenancyUrl, before.subscriptions + 4);
      assertEqual(overSse.upgrades, before.upgrades, 'WebSocket upgrades at tenancy from the SSE gateway');
      for (const client of ['sse', 'ws']) for (const who of ['admin', 'anonymous']) open('ws', client, who);
      const overWs = await waitForSubscriptions(tenancyUrl, before.subscriptions + 8);
      if (overWs.upgrades <= before.upgrades) throw new Error('the WebSocket gateway opened no WebSocket to tenancy');
      return `${overWs.subscriptions - before.subscriptions} subscriptions at tenancy, ${overWs.upgrades - before.upgrades} WebSocket(s) from the second gateway`;
    });
    if (!ok) return;
    await write('mutation { grantRole(subject: "bo", role: ORG_STAFF, organization: "VJx") { role } }');
    await write('mutation { ensureOrganization(shortName: "RoutedX") { created } }');
    for (const { name, who, f } of feeds) {
      await check(`hive: ${name}: ${who === 'admin' ? 'the grant change, then the organization' : 'the organization, never the grant change'}`, async () => {
        const expected = who === 'admin' ? ['GRANT bo/ORG_STAFF/VJx', 'ORGANIZATION RoutedX'] : ['ORGANIZATION RoutedX'];
        const got = describe(await f.take(expected.length));
        assertEqual(got, expected, 'events');
        return got.join(', ');
      });
    }
  } finally {
    for (const { f } of feeds) f.close();
  }
}

try {
  await main();
} catch (err) {
  fail('federation', err?.stack ?? String(err));
} finally {
  await cleanup(); // still under the global timeout
}
if (passed + failed > 0) {
  await check('network: every connection stayed on loopback', () => {
    if (offLoopback.length) throw new Error(`refused ${offLoopback.length}: ${[...new Set(offLoopback)].join(', ')}`);
    return '127.0.0.1 only';
  });
}
if (failed && tenancyStderr && DEBUG) console.log(`tenancy-gateway stderr (tail):\n${tenancyStderr.slice(-3000)}`);
if (failed && DEBUG) for (const [name, log] of Object.entries(hiveLogs)) if (log) console.log(`hive-gateway (${name}) output (tail):\n${log.slice(-3000)}`);
console.log(`${passed} passed, ${failed} failed`);
// Exit explicitly: a handle left open by a failed step must not keep the run alive.
process.exit(failed === 0 && passed > 0 ? 0 : 1);
