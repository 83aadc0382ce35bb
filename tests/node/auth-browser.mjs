#!/usr/bin/env node
// A micro-frontend in a real browser (docs/openedx.md): a page served from another
// origin of 127.0.0.1 calls the service with credentials:"include" and the LMS's two JWT
// cookies, fetches the CSRF token, runs a query and a mutation; a disallowed origin and a
// mutation without X-CSRFToken are refused, and nothing is written by them. Over WebSocket
// (which carries the cookies whatever page opens it): a page of a foreign origin can neither
// read nor write as the user in either subprotocol, and the allowed page's cookie socket reads
// but cannot write.
//
// Usage: node tests/node/auth-browser.mjs target/debug/tenancy-gateway
// Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM). Exit 0 on success, 1 otherwise.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const SECRET = 'browser-check-secret-of-at-least-32-bytes';
const bin = process.argv[2] || 'target/debug/tenancy-gateway';

const PAGE = '<!doctype html><title>mfe</title><p>a micro-frontend</p>';
function pageServer() {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function startService(allowed) {
  const work = mkdtempSync(join(tmpdir(), 'auth-browser-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${work}/tenancy.db?mode=rwc`,
      TENANCY_JWT_SECRET: SECRET,
      TENANCY_CORS_ALLOWED_ORIGINS: allowed,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ base: m[1], stop: () => { child.kill(); rmSync(work, { recursive: true, force: true }); } });
    });
    child.on('exit', (code) => reject(new Error(`the service exited (${code})`)));
  });
}

const checks = [];
function check(name, ok, detail) {
  checks.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${JSON.stringify(detail)}`}`);
}

const allowedPage = await pageServer();
const otherPage = await pageServer();
const originA = `http://127.0.0.1:${allowedPage.address().port}`;
const originB = `http://127.0.0.1:${otherPage.address().port}`;
const service = await startService(originA);
const token = execFileSync(bin, ['token', '--subject', 'ada', '--administrator', '--filter', 'user:me'], {
  env: { ...process.env, TENANCY_JWT_SECRET: SECRET },
}).toString().trim();
const [header, payload, signature] = token.split('.');
const host = new URL(service.base).hostname;

let browser;
const timer = setTimeout(() => { console.log('FAIL auth-browser: timed out'); process.exit(1); }, 90_000);
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  const context = await browser.newContext();
  await context.addCookies([
    { name: 'edx-jwt-cookie-header-payload', value: `${header}.${payload}`, domain: host, path: '/' },
    { name: 'edx-jwt-cookie-signature', value: signature, domain: host, path: '/' },
  ]);
  const page = await context.newPage();
  await page.goto(`${originA}/`);
  const result = await page.evaluate(async (base) => {
    const gql = async (query, headers = {}) => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST', credentials: 'include',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return res.json();
    };
    const count = async () => (await gql('{ organizations { totalCount } }')).data.organizations.totalCount;
    const csrf = await (await fetch(`${base}/csrf/api/v1/token`, { credentials: 'include' })).json();
    const viewer = await gql('{ viewer { subject authenticatedBy } }');
    const before = await count();
    const created = await gql('mutation { ensureOrganization(shortName: "BrowserX") { created } }', { 'X-CSRFToken': csrf.csrfToken });
    const afterCreate = await count();
    const noCsrf = await gql('mutation { ensureOrganization(shortName: "NoCsrfX") { created } }');
    const afterRefusal = await count();
    return { csrf, viewer, before, created, afterCreate, noCsrf, afterRefusal };
  }, service.base);
  check('the CSRF endpoint answers a token', typeof result.csrf.csrfToken === 'string' && result.csrf.csrfToken.length >= 32, result.csrf);
  check('the query sees the cookie user', result.viewer.data?.viewer?.subject === 'ada' && result.viewer.data.viewer.authenticatedBy === 'COOKIE', result.viewer);
  check('the mutation with X-CSRFToken succeeds', result.created.data?.ensureOrganization?.created === true && result.afterCreate === result.before + 1, result);
  check('the mutation without X-CSRFToken is FORBIDDEN', result.noCsrf.errors?.[0]?.extensions?.code === 'FORBIDDEN', result.noCsrf);
  check('and wrote nothing', result.afterRefusal === result.afterCreate, result);

  const other = await context.newPage();
  await other.goto(`${originB}/`);
  const refused = await other.evaluate(async (base) => {
    try {
      await fetch(`${base}/graphql`, {
        method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { ensureOrganization(shortName: "EvilX") { created } }' }),
      });
      return 'answered';
    } catch (err) {
      return `refused: ${err.name}`;
    }
  }, service.base);
  check('a disallowed origin is refused by the browser', refused.startsWith('refused'), refused);

  // Cross-site WebSocket hijacking: the browser sends the LMS cookies with the upgrade.
  const overSocket = (base, protocol, query) => new Promise((resolve) => {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + '/graphql', protocol);
    const legacy = protocol === 'graphql-ws';
    let opened = false;
    const done = (what) => { try { ws.close(); } catch { /* closed */ } resolve({ ...what, opened }); };
    setTimeout(() => done({ timeout: true }), 10_000);
    ws.onopen = () => { opened = true; ws.send(JSON.stringify({ type: 'connection_init', payload: {} })); };
    ws.onerror = () => done({ refused: true });
    ws.onclose = (event) => done({ closed: event.code });
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: legacy ? 'start' : 'subscribe', payload: { query } }));
      } else if (['next', 'data', 'error'].includes(message.type)) {
        done({ payload: message.payload });
      }
    };
  });
  for (const p of [page, other]) await p.evaluate((src) => { window.__overSocket = src; }, overSocket.toString());
  const grant = 'mutation { grantRole(subject: "mallory", role: PARTNER_ADMIN, partner: "edx") { subject } }';
  for (const protocol of ['graphql-transport-ws', 'graphql-ws']) {
    const foreign = await other.evaluate(async ([base, protocol, grant]) => {
      const overSocket = eval(`(${window.__overSocket})`);
      return { write: await overSocket(base, protocol, grant), read: await overSocket(base, protocol, '{ viewer { subject } }') };
    }, [service.base, protocol, grant]).catch((err) => ({ error: String(err) }));
    // Refused at the upgrade: the socket never opens, so nothing is sent or answered.
    const shut = (r) => r && r.opened === false && r.payload === undefined;
    check(`a foreign page's ${protocol} socket is refused (no write)`, shut(foreign.write), foreign);
    check(`a foreign page's ${protocol} socket is refused (no read)`, shut(foreign.read), foreign);
    const own = await page.evaluate(async ([base, protocol, grant]) => {
      const overSocket = eval(`(${window.__overSocket})`);
      return { write: await overSocket(base, protocol, grant), read: await overSocket(base, protocol, '{ viewer { subject authenticatedBy } }') };
    }, [service.base, protocol, grant]).catch((err) => ({ error: String(err) }));
    check(`the allowed page's ${protocol} cookie socket reads as the user`, own.read?.payload?.data?.viewer?.subject === 'ada', own);
    const refusal = Array.isArray(own.write?.payload) ? own.write.payload[0] : own.write?.payload?.errors?.[0];
    check(`the allowed page's ${protocol} cookie socket cannot write`, refusal?.extensions?.code === 'FORBIDDEN', own);
  }
  const final = await page.evaluate(async (base) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ organizations { edges { node { shortName } } } }' }),
    });
    return (await res.json()).data.organizations.edges.map((e) => e.node.shortName);
  }, service.base);
  check('only BrowserX was written', JSON.stringify(final) === '["BrowserX"]', final);
  const grants = await page.evaluate(async (base) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ changes(entities: [GRANT]) { totalCount } }' }),
    });
    return (await res.json()).data.changes.totalCount;
  }, service.base);
  check('no grant was written through any socket', grants === 0, grants);
} catch (err) {
  check('the browser run', false, String(err));
} finally {
  clearTimeout(timer);
  await browser?.close();
  service.stop();
  allowedPage.close();
  otherPage.close();
}
const failed = checks.filter((ok) => !ok).length;
console.log(`auth-browser: ${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
