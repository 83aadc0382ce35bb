#!/usr/bin/env node
// Proves that opening the service's bare address in a real browser reaches a
// working GraphiQL (`/` redirects to /graphql), that it opens with README's
// first query, a token example and the token command the server printed, that it
// links to the admin console, and that running that query answers it from the demo
// data; every request is answered by the gateway itself (the service runs without
// internet). The screenshot shows the answered query.
//
// Usage: node tests/node/graphiql-check.mjs http://127.0.0.1:PORT out/graphiql.png
// (the service must hold `seed --demo`; scripts/graphiql-check.sh does both)
// Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM); playwright-core
// never downloads a browser. Exit 0 on success, 1 on any failure or after 60 s.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const TIMEOUT_MS = 60_000;
// The default query (README's first query) as the editor must hold it, and what its answer
// must show with the demo data: edx's organizations and a course of each.
const QUERY = 'partner(shortCode: "edx")';
const TOKEN_EXAMPLE = '{"Authorization": "JWT <the token>"}';
// The token command the server printed at start-up (scripts/graphiql-check.sh gives it).
const TOKEN_COMMAND = process.env.TOKEN_COMMAND || 'token --subject ada --administrator';
const EXPECTED = ['"totalCount": 4', '"shortName": "VJx"', '"courseKey": "course-v1:VJx+VJx101+2024_T1"'];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
];

function fail(message) {
  console.log(`FAIL graphiql-check: ${message}`);
  process.exit(1);
}

const [baseArg, shotPath] = process.argv.slice(2);
if (!baseArg || !shotPath) fail('usage: graphiql-check.mjs http://127.0.0.1:PORT out/graphiql.png');
let base;
try {
  base = new URL(baseArg);
} catch {
  fail(`not a URL: ${baseArg}`);
}
if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

let browser;
let timedOut = false;
const timer = setTimeout(async () => {
  timedOut = true; // closing the browser makes the pending step throw: stay quiet there
  console.log(`FAIL graphiql-check: timed out after ${TIMEOUT_MS / 1000} s`);
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 3000))]);
  process.exit(1);
}, TIMEOUT_MS);

const foreign = []; // requests to any origin but the gateway's
const problems = []; // page errors and failed same-origin responses
let requests = 0;

// CodeMirror 5 keeps its instance on the wrapper element; innerText is the fallback.
function editorText(selector) {
  const el = document.querySelector(selector);
  if (!el) return null;
  return el.CodeMirror ? el.CodeMirror.getValue() : el.innerText;
}

try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, serviceWorkers: 'block' });

  // Anything not for the gateway is recorded and never leaves the machine.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== base.origin) {
      foreign.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('request', (req) => {
    requests += 1;
    const url = new URL(req.url());
    // data: URLs (the CSS's inlined fonts) name no host; anything else must be ours.
    if (url.protocol !== 'data:' && url.origin !== base.origin && !foreign.includes(url.href)) {
      foreign.push(url.href);
    }
  });
  page.on('websocket', (ws) => foreign.push(ws.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // The page's Content-Security-Policy must allow everything GraphiQL does.
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });

  // A plain navigation: Chromium sends Accept: text/html,... as any browser does.
  const url = new URL('/', base);
  const nav = await page.goto(url.href, { waitUntil: 'load', timeout: 20_000 });
  if (!nav) throw new Error(`no response for ${url.href}`);
  const accept = (await nav.request().allHeaders()).accept ?? '';
  const type = nav.headers()['content-type'] ?? '';
  if (nav.status() !== 200 || !type.startsWith('text/html')) {
    throw new Error(`GET ${url.pathname} (Accept: ${accept}) gave ${nav.status()} ${type}, not an HTML page`);
  }
  if (new URL(page.url()).pathname !== '/graphql') throw new Error(`/ led to ${page.url()}, not /graphql`);
  // A missing asset or a script error would only show later as a timeout: say so now.
  if (problems.length) throw new Error('page did not load cleanly');

  await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });
  const query = await page.evaluate(editorText, '.graphiql-query-editor .CodeMirror');
  if (!query?.includes(QUERY) || !query.includes(TOKEN_EXAMPLE) || !query.includes(TOKEN_COMMAND)) {
    throw new Error(`the editor does not open with the example query and token command (it holds ${JSON.stringify(query)})`);
  }
  // The logo's corner links to the admin console, and the link leads to it.
  const consoleLink = await page.$('.graphiql-logo a[href="/admin"]');
  if (!consoleLink) throw new Error('no link to the admin console (/admin) in the logo corner');
  const admin = await page.request.get(new URL('/admin', base).href);
  if (admin.status() !== 200 || !(await admin.text()).includes('Admin console')) {
    throw new Error(`the console link's target answered ${admin.status()}`);
  }

  await page.click('button.graphiql-execute-button', { timeout: 10_000 });
  try {
    await page.waitForFunction(
      ([sel, want]) => {
        const el = document.querySelector(sel);
        const text = el && (el.CodeMirror ? el.CodeMirror.getValue() : el.innerText);
        return typeof text === 'string' && want.every((w) => text.includes(w));
      },
      ['.graphiql-response .CodeMirror', EXPECTED],
      { timeout: 15_000 },
    );
  } catch {
    const shown = await page.evaluate(editorText, '.graphiql-response .CodeMirror');
    throw new Error(`result pane never showed ${EXPECTED.join(', ')}; it shows ${JSON.stringify(shown)}`);
  }

  mkdirSync(dirname(shotPath), { recursive: true });
  await page.screenshot({ path: shotPath, fullPage: true });

  if (foreign.length || problems.length) throw new Error('GraphiQL worked, but not cleanly');

  console.log(
    `PASS graphiql-check: / led to GraphiQL, which opened with the example query and answered it (${EXPECTED.join(', ')}); ` +
      `${requests} requests, all to ${base.origin}; screenshot ${shotPath}`,
  );
  clearTimeout(timer);
  await browser.close();
  process.exit(0);
} catch (err) {
  if (timedOut) await new Promise(() => {}); // the timer reports and exits
  clearTimeout(timer);
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 3000))]);
  // Playwright appends a multi-line call log: keep the verdict on one line.
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const also = [...problems];
  if (foreign.length) also.unshift(`requests left the gateway: ${[...new Set(foreign)].join(', ')}`);
  fail([first, ...also].join('; '));
}
