// Grants: the caller's own (from `viewer`), the grants on an organization or a partner (folded
// from its history, the only place the API lists other people's grants), and the form to grant
// or revoke a role.

import { useState, useEffect } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';
import { html, ErrorMessage, Notice, Action, Confirm, link, when, useId } from './ui.js';
import { grantableRoles, grantReason, canWrite, SUBJECT_HINT } from './rules.js';
import { historyQuery } from './history.js';

const GRANT = `mutation($s: String!, $r: Role!, $p: String, $o: String) {
  grantRole(subject: $s, role: $r, partner: $p, organization: $o) { subject role } }`;
const REVOKE = `mutation($s: String!, $r: Role!, $p: String, $o: String) {
  revokeRole(subject: $s, role: $r, partner: $p, organization: $o) }`;

/** The grants standing now on a record, replaying its GRANT changes (at most 1,000 changes). */
async function currentGrants(kind, key) {
  const grants = new Map();
  let after = null;
  for (let page = 0; page < 10; page += 1) {
    const data = await gql(historyQuery(kind), { key, first: 100, after });
    const history = data.record?.history;
    if (!history) break;
    for (const { node } of history.edges) {
      if (node.entity !== 'GRANT') continue;
      if (node.after) grants.set(node.key, { ...node.after, since: node.at });
      else grants.delete(node.key);
    }
    if (!history.pageInfo.hasNextPage) break;
    after = history.pageInfo.endCursor;
  }
  return [...grants.values()];
}

/** Grants on one organization or partner: listed, revocable, and a form to add one. */
export function GrantsPanel({ viewer, kind, keyValue, partners }) {
  const target = kind === 'partner' ? { partner: keyValue } : { organization: keyValue };
  const roles = grantableRoles(viewer, { ...target, partners });
  const reason = grantReason(viewer, roles, `${kind} ${keyValue}`);
  const [grants, setGrants] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState('');
  const [revoking, setRevoking] = useState(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    currentGrants(kind, keyValue).then(setGrants, setError);
  }, [kind, keyValue, round]);
  const refresh = (text) => { setNote(text); setRound((r) => r + 1); };
  return html`<section aria-labelledby="grants-title" class="panel">
    <h2 id="grants-title">Access</h2>
    <${Notice} text=${note} />
    <${ErrorMessage} error=${error} label="Could not load grants" />
    ${grants && html`<ul class="rows">
      ${grants.map((g) => html`<li key=${`${g.subject}/${g.role}`}>
        <strong>${g.subject}</strong> <span class="role">${g.role}</span> <span class="muted">since ${when(g.since)}</span>
        <${Action} allowed=${roles.includes(g.role) ? { ok: true } : { ok: false, why: reason ?? `You may not revoke ${g.role}.` }}
          quiet=${Boolean(reason)} label=${`Revoke ${g.role} from ${g.subject}`} onClick=${() => setRevoking(g)}>Revoke</${Action}>
      </li>`)}
      ${grants.length === 0 && html`<li class="muted">No grants you may see.</li>`}
    </ul>`}
    ${reason && html`<p class="why">${reason}</p>`}
    ${roles.length > 0 && html`<${GrantForm} roles=${roles} target=${target}
      onDone=${(g) => refresh(`Granted ${g.role} to ${g.subject}.`)} />`}
    ${revoking && html`<${Confirm} title=${`Revoke ${revoking.role} from ${revoking.subject}?`} confirm="Revoke"
      text=${`${revoking.subject} loses ${revoking.role} on ${keyValue} at once.`}
      onConfirm=${async () => {
        await gql(REVOKE, { s: revoking.subject, r: revoking.role, p: target.partner, o: target.organization });
        refresh(`Revoked ${revoking.role} from ${revoking.subject}.`);
      }} onClose=${() => setRevoking(null)} />`}
  </section>`;
}

/** Subject and role for a fixed target, or (without `target`) with the target typed in. */
function GrantForm({ roles, target, onDone, revoke }) {
  const [subject, setSubject] = useState('');
  const [role, setRole] = useState(roles[0]);
  const [on, setOn] = useState('');
  const [error, setError] = useState(null);
  const [missing, setMissing] = useState(false);
  const ids = { s: useId('subject'), r: useId('role'), t: useId('target') };
  const run = async (mutation) => {
    if (!subject.trim() || (!target && !on.trim())) { setMissing(true); return; }
    setMissing(false);
    setError(null);
    const to = target ?? (role === 'PARTNER_ADMIN' ? { partner: on.trim() } : { organization: on.trim() });
    try {
      const data = await gql(mutation, { s: subject.trim(), r: role, p: to.partner, o: to.organization });
      onDone(data.grantRole ?? { subject: subject.trim(), role, revoked: data.revokeRole });
      setSubject('');
    } catch (err) { setError(err); }
  };
  return html`<form class="grant" novalidate onSubmit=${(e) => { e.preventDefault(); run(GRANT); }}>
    <div class="field"><label for=${ids.s}>Username</label>
      <input id=${ids.s} value=${subject} onInput=${(e) => setSubject(e.target.value)} aria-describedby=${`${ids.s}-hint`} />
      <p class="hint" id=${`${ids.s}-hint`}>${SUBJECT_HINT}</p></div>
    <div class="field"><label for=${ids.r}>Role</label>
      <select id=${ids.r} value=${role} onChange=${(e) => setRole(e.target.value)}>
        ${roles.map((r) => html`<option value=${r}>${r}</option>`)}
      </select></div>
    ${!target && html`<div class="field"><label for=${ids.t}>${role === 'PARTNER_ADMIN' ? 'Partner short code' : 'Organization short name'}</label>
      <input id=${ids.t} value=${on} onInput=${(e) => setOn(e.target.value)} /></div>`}
    ${missing && html`<p class="field-error" role="alert">Fill in the username${target ? '' : ' and the target'}.</p>`}
    <${ErrorMessage} error=${error} />
    <div class="buttons">
      <button type="submit" class="primary">Grant role</button>
      ${revoke && html`<button type="button" onClick=${() => run(REVOKE)}>Revoke role</button>`}
    </div>
  </form>`;
}

/** #/grants: who you are, your grants, and grant/revoke by name. */
export function GrantsScreen({ viewer }) {
  const [note, setNote] = useState('');
  const write = canWrite(viewer);
  const roles = !write.ok ? [] : viewer.administrator ? ['ORG_ADMIN', 'ORG_STAFF', 'PARTNER_ADMIN']
    : viewer.grants.some((g) => g.role === 'PARTNER_ADMIN') ? ['ORG_ADMIN', 'ORG_STAFF']
      : viewer.grants.some((g) => g.role === 'ORG_ADMIN') ? ['ORG_STAFF'] : [];
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Grants</h1>
    <section class="panel" aria-labelledby="mine-title">
      <h2 id="mine-title">Your access</h2>
      <p>${viewer.subject ? html`Signed in as <strong>${viewer.subject}</strong>${viewer.administrator ? ' (administrator: everything)' : ''}${viewer.restricted ? ', read-only token' : ''}.` : 'Not signed in: you read the public directory.'}
        ${viewer.filters.length > 0 && html` Token filters: <span class="mono">${viewer.filters.join(', ')}</span>.`}</p>
      <ul class="rows">
        ${viewer.grants.map((g) => html`<li><span class="role">${g.role}</span> on
          ${g.partner ? html`partner <a href=${link('partner', g.partner.shortCode)}>${g.partner.shortCode}</a>`
            : html`organization <a href=${link('organization', g.organization.shortName)}>${g.organization.shortName}</a>`}
          <span class="muted">since ${when(g.created)}</span></li>`)}
        ${viewer.grants.length === 0 && html`<li class="muted">No grants${viewer.administrator ? ' (none needed)' : ''}.</li>`}
      </ul>
    </section>
    <section class="panel" aria-labelledby="give-title">
      <h2 id="give-title">Grant or revoke a role</h2>
      <${Notice} text=${note} />
      ${roles.length ? html`<${GrantForm} roles=${roles} revoke=${true} onDone=${(g) => setNote(g.revoked === undefined
        ? `Granted ${g.role} to ${g.subject}.` : g.revoked ? `Revoked ${g.role} from ${g.subject}.` : `${g.subject} had no such grant.`)} />`
        : html`<p class="why">${write.ok ? 'Granting roles needs administrator, PARTNER_ADMIN or ORG_ADMIN.' : write.why}</p>`}
    </section>
  </section>`;
}
