// A record's page: its fields, edit / deactivate / reactivate (with confirmation), its
// relations, its grants, and a link to its history.

import { useState } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';
import { html, useQuery, ErrorMessage, Notice, Action, Confirm, Status, link, when } from './ui.js';
import { canEditOrganization, canEditPartner, canEditMemberships } from './rules.js';
import { Courses, Memberships } from './relations.js';
import { GrantsPanel } from './access.js';

const MEMBERS = 'totalCount edges { since node { key: shortName name active } }';

const SPEC = {
  organization: {
    query: `query($key: String!) { record: organization(shortName: $key, includeInactive: true) {
      key: shortName name description logoUrl active created modified
      partners(first: 100) { totalCount edges { since node { key: shortCode name active } } }
      sites(first: 100) { totalCount edges { since node { key: domain name active } } } } }`,
    fields: [['name', 'Name'], ['description', 'Description'], ['logoUrl', 'Logo URL']],
    toggle: (key, active) => gql(`mutation($key: String!) { ${active ? 'reactivate' : 'deactivate'}Organization(shortName: $key) { active } }`, { key }),
    deactivateText: 'Its course links become inactive too; reactivating brings them back.',
  },
  partner: {
    query: `query($key: String!) { record: partner(shortCode: $key) {
      key: shortCode name active lmsUrl studioUrl marketingSiteUrl created modified
      sites(first: 100) { totalCount edges { node { key: domain name active } } }
      organizations(first: 100, includeInactive: true) { ${MEMBERS} } } }`,
    fields: [['name', 'Name'], ['lmsUrl', 'LMS URL'], ['studioUrl', 'Studio URL'], ['marketingSiteUrl', 'Marketing site URL']],
    toggle: (key, active) => gql('mutation($key: String!, $active: Boolean) { updatePartner(shortCode: $key, input: { active: $active }) { active } }', { key, active }),
    deactivateText: 'It leaves the public directory; its sites and organizations stay as they are.',
  },
  site: {
    query: `query($key: String!) { record: site(domain: $key) {
      key: domain name active created modified partner { shortCode name }
      organizations(first: 100) { ${MEMBERS} } } }`,
    fields: [['name', 'Name']],
    toggle: (key, active) => gql('mutation($key: String!, $active: Boolean) { updateSite(domain: $key, input: { active: $active }) { active } }', { key, active }),
    deactivateText: 'It leaves the public directory; its organizations stay as they are.',
  },
};

const ADD_TO_PARTNER = 'mutation($p: String!, $o: String!) { addOrganizationToPartner(partner: $p, organization: $o) { shortCode } }';
const REMOVE_FROM_PARTNER = 'mutation($p: String!, $o: String!) { removeOrganizationFromPartner(partner: $p, organization: $o) { shortCode } }';
const ADD_TO_SITE = 'mutation($s: String!, $o: String!) { addOrganizationToSite(site: $s, organization: $o) { domain } }';
const REMOVE_FROM_SITE = 'mutation($s: String!, $o: String!) { removeOrganizationFromSite(site: $s, organization: $o) { domain } }';

function permission(kind, viewer, record) {
  if (kind === 'organization') return canEditOrganization(viewer, record.key, record.partners.edges.map((e) => e.node.key));
  return canEditPartner(viewer, kind === 'partner' ? record.key : record.partner?.shortCode);
}

export function DetailScreen({ kind, keyValue, viewer }) {
  const spec = SPEC[kind];
  const [state, reload] = useQuery(spec.query, { key: keyValue }, `${kind}/${keyValue}`);
  const [confirming, setConfirming] = useState(false);
  const [note, setNote] = useState('');
  const record = state.data?.record;
  let body = null;
  if (state.error) body = html`<${ErrorMessage} error=${state.error} label="Could not load" />`;
  else if (state.loading && !record) body = html`<p>Loading…</p>`;
  else if (!record) body = html`<p role="alert">No ${kind} ${keyValue} (or you may not see it).</p>`;
  else {
    const allowed = permission(kind, viewer, record);
    body = html`
      <p class="status-line"><${Status} active=${record.active} />${' '}
        <span class="muted">created ${when(record.created)}, modified ${when(record.modified)}</span></p>
      <${Notice} text=${note} />
      <dl class="fields">
        ${spec.fields.map(([name, label]) => html`<dt>${label}</dt><dd>${record[name] ?? html`<span class="muted">—</span>`}</dd>`)}
        ${kind === 'site' && html`<dt>Partner</dt><dd>${record.partner
          ? html`<a href=${link('partner', record.partner.shortCode)}>${record.partner.shortCode}</a> ${record.partner.name}` : html`<span class="muted">—</span>`}</dd>`}
      </dl>
      <div class="buttons">
        <${Action} allowed=${allowed} onClick=${() => { location.hash = link(kind, record.key, '/edit'); }}>Edit</${Action}>
        <${Action} allowed=${allowed} quiet=${true} kind=${record.active ? 'danger' : ''} onClick=${() => setConfirming(true)}>
          ${record.active ? 'Deactivate' : 'Reactivate'}</${Action}>
        <a class="button" href=${link(kind, record.key, '/history')}>History</a>
      </div>
      ${confirming && html`<${Confirm} title=${`${record.active ? 'Deactivate' : 'Reactivate'} ${kind} ${record.key}?`}
        text=${record.active ? spec.deactivateText : `It becomes active and public again.`}
        confirm=${record.active ? 'Deactivate' : 'Reactivate'}
        onConfirm=${async () => {
          await spec.toggle(record.key, !record.active);
          setNote(`${record.key} is now ${record.active ? 'inactive' : 'active'}.`);
          reload();
        }} onClose=${() => setConfirming(false)} />`}
      <${Relations} kind=${kind} record=${record} viewer=${viewer} allowed=${allowed} reload=${reload} />`;
  }
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">${kind[0].toUpperCase()}${kind.slice(1)} ${keyValue}</h1>
    <p><a href=${`#/${kind}s`}>All ${kind}s</a></p>
    ${body}
  </section>`;
}

function Relations({ kind, record, viewer, allowed, reload }) {
  const key = record.key;
  if (kind === 'organization') {
    const members = canEditMemberships(viewer);
    const partners = record.partners.edges.map((e) => e.node.key);
    return html`
      <${Courses} organization=${key} version=${`${record.active}/${record.modified}`} allowed=${allowed} onChange=${reload} />
      <${Memberships} title="Partners" kind="partner" edges=${record.partners.edges} total=${record.partners.totalCount}
        allowed=${members} addLabel="Partner short code" hint="Adding also needs PARTNER_ADMIN on the partner (or administrator)."
        add=${(p) => gql(ADD_TO_PARTNER, { p, o: key })} remove=${(p) => gql(REMOVE_FROM_PARTNER, { p, o: key })} onChange=${reload} />
      <${Memberships} title="Sites" kind="site" edges=${record.sites.edges} total=${record.sites.totalCount}
        allowed=${members} addLabel="Site domain" hint="The site presents this organization."
        add=${(s) => gql(ADD_TO_SITE, { s, o: key })} remove=${(s) => gql(REMOVE_FROM_SITE, { s, o: key })} onChange=${reload} />
      <${GrantsPanel} viewer=${viewer} kind="organization" keyValue=${key} partners=${partners} />`;
  }
  if (kind === 'partner') {
    return html`
      <${Memberships} title="Member organizations" kind="organization" edges=${record.organizations.edges}
        total=${record.organizations.totalCount} allowed=${allowed} addLabel="Organization short name"
        hint="Adding an organization also needs ORG_ADMIN on it (or administrator)."
        add=${(o) => gql(ADD_TO_PARTNER, { p: key, o })} remove=${(o) => gql(REMOVE_FROM_PARTNER, { p: key, o })} onChange=${reload} />
      <${Memberships} title="Sites" kind="site" edges=${record.sites.edges} total=${record.sites.totalCount}
        allowed=${allowed} onChange=${reload} />
      <p class="muted">A site joins a partner from its own form (its partner field).</p>
      <${GrantsPanel} viewer=${viewer} kind="partner" keyValue=${key} />`;
  }
  return html`
    <${Memberships} title="Organizations" kind="organization" edges=${record.organizations.edges}
      total=${record.organizations.totalCount} allowed=${allowed} addLabel="Organization short name"
      hint="The site presents the organization."
      add=${(o) => gql(ADD_TO_SITE, { s: key, o })} remove=${(o) => gql(REMOVE_FROM_SITE, { s: key, o })} onChange=${reload} />`;
}
