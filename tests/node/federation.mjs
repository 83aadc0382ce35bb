#!/usr/bin/env node
// Proves tenancy-gateway is a working Apollo Federation v2 subgraph with Apollo's own tools:
// it starts the binary (seeded with the demo data) and a small in-process catalog subgraph
// that owns Course.title, composes both with @apollo/composition, runs @apollo/gateway over
// the supergraph and checks queries that cross the graph in both directions.
//
// Usage: node tests/node/federation.mjs path/to/tenancy-gateway
// Prints one PASS/FAIL line per check and then `N passed, M failed`; exit 0 only when every
// check passed. Everything runs on 127.0.0.1 (a connection to any other host is refused and
// fails the run) and nothing is downloaded; the whole run is cut off after 60 s.
// FEDERATION_DEBUG=1 also prints the supergraph and every request the gateway sends.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { parse } from 'graphql';

const { composeServices } = composition;
const { ApolloGateway, RemoteGraphQLDataSource } = gatewayPkg;
const { buildSubgraphSchema } = subgraphPkg;

const TIMEOUT_MS = 60_000;
const DEBUG = process.env.FEDERATION_DEBUG === '1';
const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');

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

// Loopback only, enforced: any TCP connection this process opens to another host is refused
// and reported by a check of its own.
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const offLoopback = [];
const socketConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  let options = args[0];
  if (Array.isArray(options)) options = options[0]; // net.connect passes normalized [options, cb]
  if (typeof options !== 'object' || options === null) {
    options = { port: options, host: typeof args[1] === 'string' ? args[1] : 'localhost' };
  }
  if (options.path == null) { // TCP (a path means a Unix socket)
    const host = options.host ?? 'localhost';
    if (!LOOPBACK.has(host)) {
      offLoopback.push(`${host}:${options.port}`);
      process.nextTick(() => this.destroy(new Error(`refused a connection off loopback: ${host}:${options.port}`)));
      return this;
    }
  }
  return socketConnect.apply(this, args);
};

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
    const env = { ...process.env };
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

async function postGraphQL(url, query, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
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

// ---------------------------------------------------------------- the gateway

const subgraphRequests = []; // { subgraph, query, variables } for every fetch the gateway makes

class CountingDataSource extends RemoteGraphQLDataSource {
  constructor(name, url) {
    super({ url });
    this.subgraphName = name;
  }

  willSendRequest({ request }) {
    subgraphRequests.push({ subgraph: this.subgraphName, query: request.query, variables: request.variables });
    if (DEBUG) console.log(`  -> ${this.subgraphName}: ${oneLine(request.query)} ${JSON.stringify(request.variables ?? {})}`);
  }
}

/** Runs `query` through the gateway; returns the result and the fetches per subgraph. */
async function viaGateway(server, query) {
  subgraphRequests.length = 0;
  if (DEBUG) console.log(`query ${oneLine(query)}`);
  const response = await server.executeOperation({ query });
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
  await check('gateway: { courses { title organization { name } } } (catalog -> tenancy)', async () => {
    const { result: r, fetches } = await viaGateway(server, '{ courses { title organization { name } } }');
    assertEqual(r.errors, undefined, 'errors');
    assertEqual(
      r.data,
      {
        courses: [
          { title: 'Circuits and Electronics', organization: { name: 'Massachusetts Institute of Technology' } },
          { title: 'Virtual Joint Course 101', organization: { name: 'VJx' } },
          { title: 'CS50 Problem Library', organization: { name: 'Harvard University' } },
          { title: 'edX Demonstration Course', organization: null },
        ],
      },
      'data',
    );
    return expectFetches(fetches, { catalog: { count: 1, entities: false }, tenancy: { count: 1, entities: true } });
  });

  // tenancy -> catalog: we list the organization's course links, the catalog adds the titles.
  await check('gateway: { organization(shortName: "VJx") { name courses { ... title } } } (tenancy -> catalog)', async () => {
    const { result: r, fetches } = await viaGateway(
      server,
      '{ organization(shortName: "VJx") { name courses { edges { node { courseKey title } } } } }',
    );
    assertEqual(r.errors, undefined, 'errors');
    assertEqual(
      r.data,
      {
        organization: {
          name: 'VJx',
          courses: { edges: [{ node: { courseKey: 'course-v1:VJx+VJx101+2024_T1', title: 'Virtual Joint Course 101' } }] },
        },
      },
      'data',
    );
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
console.log(`${passed} passed, ${failed} failed`);
// Exit explicitly: a handle left open by a failed step must not keep the run alive.
process.exit(failed === 0 && passed > 0 ? 0 : 1);
