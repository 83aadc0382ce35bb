// Hive Gateway as an operator runs it: the `hive-gateway` CLI of @graphql-hive/gateway over a
// supergraph file, configured by tests/node/hive-gateway.config.mjs, on 127.0.0.1.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(NODE_DIR, 'node_modules/@graphql-hive/gateway/dist/bin.js');
const CONFIG = join(NODE_DIR, 'hive-gateway.config.mjs');
const LOOPBACK = join(NODE_DIR, 'routers/loopback.mjs');

/** A free port on 127.0.0.1 (the CLI cannot report the port it got for port 0). */
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

/**
 * Starts the gateway over `supergraphFile` with `env` added to a clean environment (no Hive or
 * Apollo credentials, so no usage reporting or registry); resolves with its GraphQL URL once
 * `/healthcheck` answers. `spawnTracked` is the caller's, so the process does not outlive it;
 * `log` receives its output.
 */
export async function startHive(spawnTracked, supergraphFile, env, log) {
  const port = await freePort();
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(HIVE_|APOLLO_|OTEL_|OPENTELEMETRY)/.test(name)),
  );
  const child = spawnTracked(
    process.execPath,
    ['--import', LOOPBACK, BIN, 'supergraph', supergraphFile, '-c', CONFIG, '-h', '127.0.0.1', '-p', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, NO_COLOR: '1', ...env } },
  );
  child.stdout.on('data', (d) => log(String(d)));
  child.stderr.on('data', (d) => log(String(d)));
  let exited = null;
  child.on('exit', (code, signal) => { exited = code ?? signal; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`hive-gateway exited with ${exited}`);
    try {
      const res = await fetch(`${base}/healthcheck`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return { url: `${base}/graphql`, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`hive-gateway did not answer /healthcheck on ${base} within 30 s`);
}
