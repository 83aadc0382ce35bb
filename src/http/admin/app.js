// The admin console (docs/operating.md): hash routes, the signed-in caller, the live feed.
// Built on the public GraphQL API only; see docs/operating.md, "The admin console".

import { render, useState, useEffect, useRef } from './htm-preact-3.1.1.standalone.mjs';
import { auth, setToken, gql, VIEWER } from './api.js';
import { LiveFeed } from './live.js';
import { html, ErrorMessage, link, when } from './ui.js';
import { ListScreen } from './lists.js';
import { FormScreen } from './forms.js';
import { DetailScreen } from './detail.js';
import { HistoryScreen } from './history.js';
import { GrantsScreen } from './access.js';

const KINDS = { organizations: 'organization', partners: 'partner', sites: 'site' };
// How to mint a token for this server, as its start-up worked it out (the page's meta tag).
const TOKEN_HINT = document.querySelector('meta[name="tenancy-token-hint"]')?.content
  || 'tenancy-gateway token --subject ada --administrator';
const ANONYMOUS = { subject: null, administrator: false, filters: [], restricted: false, grants: [] };

/** `#/organizations`, `#/new/site`, `#/partners/edx`, `#/partners/edx/edit`, `.../history`. */
function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'new' && Object.values(KINDS).includes(parts[1])) return { screen: 'form', kind: parts[1] };
  const kind = KINDS[parts[0]];
  if (kind && parts.length === 1) return { screen: 'list', kind };
  if (kind && parts.length === 2) return { screen: 'detail', kind, key: parts[1] };
  if (kind && parts[2] === 'edit') return { screen: 'form', kind, key: parts[1] };
  if (kind && parts[2] === 'history') return { screen: 'history', kind, key: parts[1] };
  if (['grants', 'live', 'signin'].includes(parts[0])) return { screen: parts[0] };
  return { screen: 'list', kind: 'organization' };
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const route = parse(hash);
  const [viewer, setViewer] = useState(null);
  const [viewerError, setViewerError] = useState(null);
  const [changes, setChanges] = useState([]);
  const [live, setLive] = useState({ text: 'not connected', ok: false });
  const loadViewer = async () => {
    try {
      const data = await gql(VIEWER);
      setViewer(data.viewer);
      setViewerError(null);
      return data.viewer;
    } catch (err) {
      // A pasted token the service refuses: forget it and fall back to the cookies.
      if (auth.token) setToken(null);
      setViewerError(err);
      setViewer(ANONYMOUS);
      return null;
    }
  };
  useEffect(() => {
    loadViewer().then((v) => { if (!v?.subject && !location.hash) location.hash = '#/signin'; });
  }, []);
  // One feed per caller: signing in or out starts it again with the new credentials.
  useEffect(() => {
    if (!viewer) return undefined;
    setChanges([]);
    const feed = new LiveFeed(
      (change) => setChanges((list) => [change, ...list].slice(0, 200)),
      (text, ok) => setLive({ text, ok }),
    );
    return () => feed.close();
  }, [viewer?.subject, auth.token]);
  // Focus follows navigation: the new screen's heading, so screen readers announce it.
  useEffect(() => {
    document.title = `${document.querySelector('main h1')?.textContent ?? 'Admin'} · tenancy-gateway`;
    document.querySelector('main h1')?.focus();
  }, [hash, viewer === null]);

  if (!viewer) return html`<p class="loading">Loading…</p>`;
  const screens = {
    list: () => html`<${ListScreen} key=${route.kind} kind=${route.kind} viewer=${viewer} />`,
    detail: () => html`<${DetailScreen} key=${hash} kind=${route.kind} keyValue=${route.key} viewer=${viewer} />`,
    form: () => html`<${FormScreen} key=${hash} kind=${route.kind} keyValue=${route.key} viewer=${viewer} />`,
    history: () => html`<${HistoryScreen} key=${hash} kind=${route.kind} keyValue=${route.key} />`,
    grants: () => html`<${GrantsScreen} viewer=${viewer} />`,
    live: () => html`<${LiveScreen} changes=${changes} status=${live} />`,
    signin: () => html`<${SignIn} viewer=${viewer} error=${viewerError}
      signIn=${async (token) => { setToken(token); const v = await loadViewer(); if (v?.subject) location.hash = '#/organizations'; }}
      useCookies=${async () => { setToken(null); const v = await loadViewer(); if (v?.subject) location.hash = '#/organizations'; }} />`,
  };
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.querySelector('main h1')?.focus(); }}>Skip to content</a>
    <header>
      <p class="brand"><a href="#/organizations">tenancy-gateway</a> <span class="muted">admin</span></p>
      <nav aria-label="Sections"><ul>
        ${[['organizations', 'Organizations'], ['partners', 'Partners'], ['sites', 'Sites'], ['grants', 'Grants'], ['live', 'Live changes']]
          .map(([path, label]) => {
            const current = hash.startsWith(`#/${path}`) || (path === 'organizations' && !hash);
            return html`<li><a href=${`#/${path}`} aria-current=${current ? 'page' : undefined}>${label}${path === 'live' && changes.length > 0
              ? html` <span class="count-badge">${changes.length}<span class="visually-hidden"> received</span></span>` : ''}</a></li>`;
          })}
      </ul></nav>
      <${Who} viewer=${viewer} signOut=${() => { setToken(null); loadViewer().then(() => { location.hash = '#/signin'; }); }} />
    </header>
    <main id="main">${(screens[route.screen] ?? screens.list)()}</main>`;
}

function Who({ viewer, signOut }) {
  if (!viewer.subject) return html`<p class="who">Not signed in · <a href="#/signin">Sign in</a></p>`;
  const how = viewer.authenticatedBy === 'COOKIE' ? 'LMS session' : 'pasted token';
  return html`<p class="who"><span>Signed in as <strong>${viewer.subject}</strong></span>
    <span class="muted">${viewer.administrator ? 'administrator' : `${viewer.grants.length} grant${viewer.grants.length === 1 ? '' : 's'}`}${viewer.restricted ? ', read-only' : ''} · ${how}</span>
    ${auth.token && html`<button type="button" class="link" onClick=${signOut}>Sign out</button>`}</p>`;
}

function SignIn({ viewer, error, signIn, useCookies }) {
  const [token, setTokenText] = useState('');
  const [busy, setBusy] = useState(false);
  const area = useRef(null);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Sign in</h1>
    ${viewer.subject && html`<p role="status">You are signed in as <strong>${viewer.subject}</strong>. Signing in again replaces this.</p>`}
    <${ErrorMessage} error=${error} label="Sign-in failed" />
    <section class="panel" aria-labelledby="cookie-title">
      <h2 id="cookie-title">With your LMS session</h2>
      <p>When this console is served under the LMS's cookie domain, the LMS's JWT cookies sign you in:
        sign in to the LMS, then come back here. Changes then carry the CSRF token.</p>
      <button type="button" onClick=${useCookies}>Use my LMS session</button>
    </section>
    <section class="panel" aria-labelledby="token-title">
      <h2 id="token-title">With a token</h2>
      <form onSubmit=${async (e) => { e.preventDefault(); if (!token.trim()) { area.current.focus(); return; } setBusy(true); await signIn(token.trim()); setBusy(false); }}>
        <div class="field">
          <label for="token">JWT</label>
          <textarea id="token" ref=${area} rows="4" value=${token} spellcheck="false" autocomplete="off"
            aria-describedby="token-hint" onInput=${(e) => setTokenText(e.target.value)}></textarea>
          <p class="hint" id="token-hint">Kept in this tab only (sessionStorage) and sent as <span class="mono">Authorization: JWT …</span>.
            A token for this server: <span class="mono">${TOKEN_HINT}</span></p>
        </div>
        <div class="buttons"><button type="submit" class="primary" disabled=${busy}>Sign in</button></div>
      </form>
    </section>
  </section>`;
}

function LiveScreen({ changes, status }) {
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Live changes</h1>
    <p class="live-status" role="status">Feed: <span class=${status.ok ? 'badge on' : 'badge off'}>${status.text}</span>
      <span class="muted"> (GraphQL subscription over WebSocket; every change you may see, newest first)</span></p>
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Changes received since this page opened</caption>
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Record</th></tr></thead>
        <tbody aria-live="polite">
          ${changes.map((c) => html`<tr key=${c.id}>
            <td>${c.id}</td><td>${when(c.at)}</td><td>${c.actor ?? '—'}</td>
            <td><span class=${`kind ${c.kind.toLowerCase()}`}>${c.kind}</span> ${c.entity.replace('_', ' ').toLowerCase()}</td>
            <td class="mono">${['ORGANIZATION', 'PARTNER', 'SITE'].includes(c.entity)
              ? html`<a href=${link(c.entity.toLowerCase(), c.key)}>${c.key}</a>` : c.key}</td>
          </tr>`)}
          ${changes.length === 0 && html`<tr><td colspan="5">Nothing yet: changes appear here as they are committed.</td></tr>`}
        </tbody>
      </table>
    </div>
  </section>`;
}

render(html`<${App} />`, document.getElementById('app'));
