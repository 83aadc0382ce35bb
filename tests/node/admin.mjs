#!/usr/bin/env node
// The admin console (docs/operating.md) in headless Chromium at 800 px: an administrator signs
// in with a pasted token, creates a partner, a site and organizations, links a course, adds
// memberships, grants a role, deactivates and reactivates, reads the history, and sees a
// change made by another client arrive in the live panel; an ORG_ADMIN limited to one
// organization sees only it and finds the forbidden actions disabled with their reason; the
// LMS cookies sign in and write with the CSRF token. Every screen is screenshotted and checked
// with axe-core (no serious or critical violation), no request leaves the service, the page
// never scrolls sideways, and the console raises no script error or CSP violation.
//
// Usage: node tests/node/admin.mjs target/debug/tenancy-gateway [target/admin-screens]
// Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM). Exit 0 on success, 1 otherwise.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const SECRET = 'admin-console-check-secret-of-32-bytes+';
const bin = process.argv[2] || 'target/debug/tenancy-gateway';
const shots = process.argv[3] || 'target/admin-screens';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTH = 800;

function startService() {
  const work = mkdtempSync(join(tmpdir(), 'admin-console-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DATABASE_URL: `sqlite://${work}/tenancy.db?mode=rwc`, TENANCY_JWT_SECRET: SECRET, RUST_LOG: 'warn' },
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

const token = (...args) => execFileSync(bin, ['token', ...args], { env: { ...process.env, TENANCY_JWT_SECRET: SECRET } })
  .toString().trim();

let failures = 0;
const started = Date.now();
function check(name, ok, detail) {
  if (!ok) failures += 1;
  const at = `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${at} ${name}${ok ? '' : `: ${JSON.stringify(detail)}`}`);
  return ok;
}

const service = await startService();
const base = service.base;
const admin = token('--subject', 'ada', '--administrator');
const olga = token('--subject', 'olga', '--filter', 'content_org:MITx');

/** Another client: a GraphQL request over HTTP with the administrator's token. */
async function api(query) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `JWT ${admin}` },
    body: JSON.stringify({ query }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`API: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const problems = []; // script errors, CSP refusals, failed responses, foreign requests
let refusing = false; // while a bad token is tried on purpose, its 401 is expected
async function newPage(browser, cookies) {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 }, serviceWorkers: 'block' });
  if (cookies) await context.addCookies(cookies);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== base && url.protocol !== 'data:') {
      problems.push(`request left the service: ${url.href}`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !(refusing && msg.text().includes('401'))) problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !(refusing && res.status() === 401)) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  return page;
}

/** Screenshot, then axe-core: no serious or critical violation; no sideways scrolling. */
async function screen(page, name) {
  await page.waitForTimeout(150); // let the last render settle before the picture
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(`axe on ${name}: no serious or critical violation`, violations.length === 0, violations);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(`${name} fits ${WIDTH} px`, wide <= WIDTH, { scrollWidth: wide });
}

const h1 = (page, text) => page.waitForSelector(`main h1:text-is("${text}")`);
const nav = (page, label) => page.click(`nav a:text-is("${label}")`);
const field = (page, label) => page.getByLabel(label, { exact: true });
const rows = (page) => page.locator('main tbody tr');
const section = (page, title) => page.locator('section.panel').filter({ has: page.locator(`h2:has-text("${title}")`) });

mkdirSync(shots, { recursive: true });
let browser;
// Generous: CI machines are shared (a run takes 80 s here with a load average of 14 on 2 cores).
const timer = setTimeout(() => { console.log('FAIL admin console: timed out after 480 s'); process.exit(1); }, 480_000);
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  const page = await newPage(browser);

  // --- the page itself -------------------------------------------------------------------
  const nav0 = await page.goto(`${base}/admin`, { waitUntil: 'load' });
  const headers = nav0.headers();
  check('GET /admin is an HTML page', nav0.status() === 200 && headers['content-type']?.startsWith('text/html'), headers);
  check('CSP forbids inline script and framing', /script-src 'self'/.test(headers['content-security-policy'])
    && /frame-ancestors 'none'/.test(headers['content-security-policy']), headers['content-security-policy']);
  await h1(page, 'Sign in');
  check('an anonymous visitor lands on sign-in', true);
  await screen(page, '01-sign-in');

  // --- sign in with a pasted token (a refused one first) ------------------------------------
  refusing = true;
  await field(page, 'JWT').fill('not.a.token');
  await page.click('button:text-is("Sign in")');
  const refused = await page.locator('.error:has-text("Sign-in failed")').textContent();
  refusing = false;
  check('a refused token is reported with its code', refused.includes('UNAUTHENTICATED'), refused);
  check('and forgotten', await page.evaluate(() => sessionStorage.length) === 0);
  await field(page, 'JWT').fill(admin);
  await page.click('button:text-is("Sign in")');
  await h1(page, 'Organizations');
  const who = await page.textContent('.who');
  check('the header shows who is signed in', who.includes('ada') && who.includes('administrator'), who);
  check('focus moves to the new screen\'s heading', await page.evaluate(() => document.activeElement?.tagName === 'H1'));
  check('the token is kept in sessionStorage only', await page.evaluate((t) => sessionStorage.getItem('tenancy-admin-token') === t
    && localStorage.length === 0 && !document.cookie.includes(t.slice(-20)), admin));
  await page.reload();
  await page.waitForSelector('.who:has-text("ada")');
  check('a reload of the tab stays signed in', true);

  // --- a partner: the field rules inline, then a refusal from the service ------------------
  await nav(page, 'Partners');
  await h1(page, 'Partners');
  await page.click('button:text-is("New partner")');
  await h1(page, 'New partner');
  await field(page, 'Short code').fill('ed x');
  await field(page, 'Name').focus();
  const rule = await page.textContent('#field-shortCode-error');
  check('a short code with a space is refused inline', rule.includes('Only A-Z'), rule);
  await screen(page, '02-partner-form');
  await field(page, 'Short code').fill('edx');
  await field(page, 'Name').fill('edX');
  await field(page, 'LMS URL (optional)').fill('https://lms.example.org');
  await page.click('button:text-is("Create partner")');
  await h1(page, 'Partner edx');
  await page.goto(`${base}/admin#/new/partner`);
  await h1(page, 'New partner');
  await field(page, 'Short code').fill('EDX');
  await field(page, 'Name').fill('Another');
  await page.click('button:text-is("Create partner")');
  const refusal = await page.locator('.error[role="alert"]').textContent();
  check('a duplicate is refused with the service\'s message and code', refusal.includes('already exists') && refusal.includes('ALREADY_EXISTS'), refusal);

  // --- a site and organizations ------------------------------------------------------------
  await page.goto(`${base}/admin#/new/site`);
  await h1(page, 'New site');
  await field(page, 'Domain').fill('learn.example.org');
  await field(page, 'Name').fill('Learn');
  await field(page, 'Partner short code (optional)').fill('edx');
  await page.click('button:text-is("Create site")');
  await h1(page, 'Site learn.example.org');

  await nav(page, 'Organizations');
  await h1(page, 'Organizations');
  await page.click('button:text-is("New organization")');
  await h1(page, 'New organization');
  await screen(page, '03-organization-form');
  await field(page, 'Short name').fill('MITx');
  await field(page, 'Name').fill('MIT');
  await field(page, 'Description (optional)').fill('Courses from MIT.');
  await page.click('button:text-is("Create organization")');
  await h1(page, 'Organization MITx');

  // --- a course link (with the key grammar checked inline first) --------------------------
  const courses = section(page, 'Courses and libraries');
  await courses.getByLabel('Course key').fill('not a key');
  await courses.locator('button:text-is("Link course")').click();
  check('a malformed course key is refused inline', (await courses.locator('.field-error').textContent()).includes('Not a course key'));
  await courses.getByLabel('Course key').fill('course-v1:MITx+6.002x+2026');
  await courses.locator('button:text-is("Link course")').click();
  await courses.locator('li:has-text("course-v1:MITx+6.002x+2026")').waitFor();
  check('a course is linked', true);

  // --- memberships and a grant ----------------------------------------------------------
  const partners = section(page, 'Partners');
  await partners.getByLabel('Partner short code').fill('edx');
  await partners.locator('button:text-is("Add")').click();
  await partners.locator('li a:text-is("edx")').waitFor();
  const sites = section(page, 'Sites');
  await sites.getByLabel('Site domain').fill('learn.example.org');
  await sites.locator('button:text-is("Add")').click();
  await sites.locator('li a:text-is("learn.example.org")').waitFor();
  check('MITx joins partner edx and site learn.example.org', true);
  const access = section(page, 'Access');
  await access.getByLabel('Username').fill('olga');
  await access.getByLabel('Role').selectOption('ORG_ADMIN');
  await access.locator('button:text-is("Grant role")').click();
  await access.locator('li:has-text("olga"):has-text("ORG_ADMIN")').waitFor();
  check('olga is granted ORG_ADMIN on MITx', true);
  await screen(page, '04-organization-detail');
  // The top of this screen is the picture in docs/operating.md (docs/admin-console.png).
  await page.screenshot({ path: join(shots, 'readme.png'), fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: 620 } });

  // --- deactivate and reactivate, with confirmation; Escape cancels ---------------------
  await page.click('button:text-is("Deactivate")');
  await page.waitForSelector('dialog[open]');
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog', { state: 'detached' });
  check('Escape cancels and focus returns to the button',
    await page.evaluate(() => document.activeElement?.textContent.trim()) === 'Deactivate');
  await page.click('button:text-is("Deactivate")');
  await page.waitForSelector('dialog[open]');
  await screen(page, '05-confirm-deactivate');
  await page.click('dialog button:text-is("Deactivate")');
  await page.waitForSelector('.status-line .badge:text-is("Inactive")');
  await courses.locator('li:has-text("course-v1:MITx+6.002x+2026") .badge:text-is("Inactive")').waitFor();
  check('MITx is deactivated, its course link too', true);
  await page.click('button:text-is("Reactivate")');
  await page.click('dialog button:text-is("Reactivate")');
  await page.waitForSelector('.status-line .badge:text-is("Active")');
  await courses.locator('li:has-text("course-v1:MITx+6.002x+2026") .badge:text-is("Active")').waitFor();
  check('MITx is reactivated with its course link', true);

  // --- edit -----------------------------------------------------------------------------
  await page.click('button:text-is("Edit")');
  await h1(page, 'Edit organization MITx');
  await field(page, 'Name').fill('Massachusetts Institute of Technology');
  await page.click('button:text-is("Save changes")');
  await h1(page, 'Organization MITx');
  await page.waitForSelector('dd:text-is("Massachusetts Institute of Technology")');
  check('MITx is renamed', true);

  // --- history --------------------------------------------------------------------------
  await page.click('a:text-is("History")');
  await h1(page, 'History of organization MITx');
  await rows(page).nth(6).waitFor();
  const history = await page.locator('main tbody').textContent();
  const kinds = ['CREATED organization', 'CREATED course link', 'CREATED partner organization', 'CREATED site organization',
    'CREATED grant', 'DEACTIVATED organization', 'REACTIVATED organization', 'UPDATED organization'];
  check('the history lists every change of MITx', kinds.every((k) => history.includes(k)), kinds.filter((k) => !history.includes(k)));
  await screen(page, '06-organization-history');

  // --- lists: search and "load more" -----------------------------------------------------
  await api(`mutation { ${Array.from({ length: 25 }, (_, i) => `o${i}: createOrganization(input: { shortName: "Bulk${String(i).padStart(2, '0')}", name: "Bulk ${i}" }) { shortName }`).join(' ')}
    h: createOrganization(input: { shortName: "HarvardX", name: "Harvard" }) { shortName } }`);
  await nav(page, 'Organizations');
  await h1(page, 'Organizations');
  await page.waitForSelector('.count:has-text("Showing 20 of 27")');
  await page.click('button:text-is("Load more")');
  await page.waitForSelector('.count:has-text("Showing 27 of 27")');
  check('the list pages with a cursor (20, then 27 of 27)', await rows(page).count() === 27);
  await field(page, 'Search short names and names').fill('massachusetts');
  await page.click('button:text-is("Apply")');
  await page.waitForSelector('.count:has-text("Showing 1 of 1")');
  check('search finds MITx by name', (await rows(page).first().textContent()).includes('MITx'));
  await screen(page, '07-organizations');

  await nav(page, 'Partners');
  await h1(page, 'Partners');
  await rows(page).first().waitFor();
  await screen(page, '08-partners');
  await page.click('main tbody a:text-is("edx")');
  await h1(page, 'Partner edx');
  await section(page, 'Member organizations').locator('li a:text-is("MITx")').waitFor();
  await screen(page, '09-partner-detail');
  await nav(page, 'Sites');
  await h1(page, 'Sites');
  await rows(page).first().waitFor();
  await screen(page, '10-sites');
  await page.click('main tbody a:text-is("learn.example.org")');
  await h1(page, 'Site learn.example.org');
  await section(page, 'Organizations').locator('li a:text-is("MITx")').waitFor();
  await screen(page, '11-site-detail');
  await nav(page, 'Grants');
  await h1(page, 'Grants');
  await screen(page, '12-grants');

  // --- live changes: a write by another client appears --------------------------------------
  await nav(page, 'Live changes');
  await h1(page, 'Live changes');
  await page.waitForSelector('.live-status .badge:text-is("connected")');
  await page.waitForTimeout(500); // the server begins the subscription after the ack
  await api('mutation { ensureOrganization(shortName: "LiveX", name: "Live") { created } }');
  await page.locator('main tbody tr:has-text("LiveX")').waitFor();
  check('a change made over HTTP by another client appears live',
    (await page.locator('main tbody tr:has-text("LiveX")').textContent()).includes('CREATED'));
  await screen(page, '13-live');

  // --- a restricted user: ORG_ADMIN of MITx, token limited to it ----------------------------
  const limited = await newPage(browser);
  await limited.goto(`${base}/admin#/signin`);
  await h1(limited, 'Sign in');
  await field(limited, 'JWT').fill(olga);
  await limited.click('button:text-is("Sign in")');
  await h1(limited, 'Organizations');
  await limited.waitForSelector('.count:has-text("Showing 1 of 1")');
  check('the restricted user sees only MITx', (await rows(limited).allTextContents()).every((t) => t.includes('MITx')));
  check('creating organizations is disabled with its reason',
    await limited.locator('button:text-is("New organization")').isDisabled()
    && (await limited.locator('.why').first().textContent()).includes('Only administrators'));
  await screen(limited, '14-restricted-organizations');
  await limited.click('main tbody a:text-is("MITx")');
  await h1(limited, 'Organization MITx');
  await section(limited, 'Access').locator('li:has-text("olga")').waitFor();
  check('the restricted user may edit MITx', !(await limited.locator('button:text-is("Edit")').isDisabled()));
  check('memberships are closed to it, saying why',
    (await section(limited, 'Partners').textContent()).includes('need PARTNER_ADMIN')
    && await section(limited, 'Partners').getByLabel('Partner short code').count() === 0);
  const roles = await section(limited, 'Access').getByLabel('Role').locator('option').allTextContents();
  check('an ORG_ADMIN may grant ORG_STAFF only', JSON.stringify(roles) === '["ORG_STAFF"]', roles);
  await screen(limited, '15-restricted-detail');
  await limited.goto(`${base}/admin#/organizations/HarvardX`);
  await limited.waitForSelector('main p[role="alert"]:has-text("No organization HarvardX")');
  check('another organization is simply absent', true);
  await limited.goto(`${base}/admin#/new/organization`);
  await h1(limited, 'New organization');
  check('the create form is not offered', await limited.locator('form.entity').count() === 0
    && (await limited.locator('main .why').textContent()).includes('Only administrators'));
  await limited.goto(`${base}/admin#/partners/edx`);
  await h1(limited, 'Partner edx');
  check('partner changes are disabled with the content_org reason',
    await limited.locator('button:text-is("Edit")').isDisabled()
    && (await limited.locator('.why').first().textContent()).includes('content_org'));

  // --- the LMS cookies: signed in without a token, and writes carry the CSRF token ----------
  const host = new URL(base).hostname;
  const [head, payload, signature] = admin.split('.');
  const cookied = await newPage(browser, [
    { name: 'edx-jwt-cookie-header-payload', value: `${head}.${payload}`, domain: host, path: '/' },
    { name: 'edx-jwt-cookie-signature', value: signature, domain: host, path: '/' },
  ]);
  await cookied.goto(`${base}/admin#/organizations/MITx/edit`);
  await h1(cookied, 'Edit organization MITx');
  check('the LMS cookies sign in', (await cookied.textContent('.who')).includes('LMS session'));
  await field(cookied, 'Description (optional)').fill('Written with the LMS cookies.');
  await cookied.click('button:text-is("Save changes")');
  await h1(cookied, 'Organization MITx');
  await cookied.waitForSelector('dd:text-is("Written with the LMS cookies.")');
  check('a cookie-authenticated change succeeds (CSRF token sent)', true);

  check('no script error, CSP refusal, failed response or foreign request', problems.length === 0, problems);
} catch (err) {
  check('the walk-through completes', false, (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' '));
  if (problems.length) console.log(`     also: ${JSON.stringify(problems)}`);
}
clearTimeout(timer);
await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 3000))]);
service.stop();
console.log(failures ? `FAIL admin console: ${failures} check(s) failed` : `PASS admin console: screenshots in ${shots}`);
process.exit(failures ? 1 : 0);
