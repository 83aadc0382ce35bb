// The three lists: organizations, partners and sites, each searchable (sites by partner or
// exact domain: the API has no site search), paged with cursors ("load more").

import { useState } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';
import { html, usePaged, LoadMore, Status, Action, link, when, useId } from './ui.js';
import { canCreate } from './rules.js';

const PAGE = 20;
const PAGE_INFO = 'totalCount pageInfo { hasNextPage endCursor }';

const KINDS = {
  organization: {
    title: 'Organizations',
    search: { label: 'Search short names and names', arg: 'search' },
    query: `query($first: Int, $after: String, $search: String, $partner: String, $inactive: Boolean) {
      list: organizations(first: $first, after: $after, search: $search, partner: $partner, includeInactive: $inactive) {
        ${PAGE_INFO} edges { node { key: shortName name active created } } } }`,
    columns: ['Short name', 'Name', 'Status', 'Created'],
    row: (n) => [n.name, html`<${Status} active=${n.active} />`, when(n.created)],
    partnerFilter: true,
  },
  partner: {
    title: 'Partners',
    search: { label: 'Search short codes and names', arg: 'search' },
    query: `query($first: Int, $after: String, $search: String, $inactive: Boolean) {
      list: partners(first: $first, after: $after, search: $search, includeInactive: $inactive) {
        ${PAGE_INFO} edges { node { key: shortCode name active lmsUrl } } } }`,
    columns: ['Short code', 'Name', 'Status', 'LMS'],
    row: (n) => [n.name, html`<${Status} active=${n.active} />`, n.lmsUrl ?? ''],
  },
  site: {
    title: 'Sites',
    query: `query($first: Int, $after: String, $partner: String, $inactive: Boolean) {
      list: sites(first: $first, after: $after, partner: $partner, includeInactive: $inactive) {
        ${PAGE_INFO} edges { node { key: domain name active partner { shortCode } } } } }`,
    columns: ['Domain', 'Name', 'Status', 'Partner'],
    row: (n) => [n.name, html`<${Status} active=${n.active} />`,
      n.partner ? html`<a href=${link('partner', n.partner.shortCode)}>${n.partner.shortCode}</a>` : ''],
    partnerFilter: true,
    lookup: true,
  },
};

export function ListScreen({ kind, viewer }) {
  const spec = KINDS[kind];
  const [filters, setFilters] = useState({ search: '', partner: '', inactive: false });
  const [draft, setDraft] = useState(filters);
  const searchId = useId('search');
  const partnerId = useId('partner');
  const inactiveId = useId('inactive');
  const list = usePaged(async (after) => (await gql(spec.query, {
    first: PAGE, after, search: filters.search || null, partner: filters.partner || null, inactive: filters.inactive,
  })).list, JSON.stringify(filters));
  const create = canCreate(viewer, kind);
  const apply = (e) => { e.preventDefault(); setFilters(draft); };
  const set = (name) => (e) => setDraft({ ...draft, [name]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  return html`<section aria-labelledby="page-title">
    <div class="title-row">
      <h1 id="page-title" tabindex="-1">${spec.title}</h1>
      <${Action} allowed=${create} onClick=${() => { location.hash = `#/new/${kind}`; }}>New ${kind}</${Action}>
    </div>
    <form class="filters" role="search" aria-label=${`Filter ${spec.title.toLowerCase()}`} onSubmit=${apply}>
      ${spec.search && html`<label for=${searchId}>${spec.search.label}</label>
        <input id=${searchId} type="search" value=${draft.search} onInput=${set('search')} />`}
      ${spec.partnerFilter && html`<label for=${partnerId}>Partner short code</label>
        <input id=${partnerId} value=${draft.partner} onInput=${set('partner')} size="8" />`}
      ${viewer.subject && html`<span class="check"><input id=${inactiveId} type="checkbox" checked=${draft.inactive}
        onChange=${set('inactive')} /><label for=${inactiveId}>Include inactive</label></span>`}
      <button type="submit">Apply</button>
    </form>
    ${spec.lookup && html`<${DomainLookup} />`}
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">${spec.title}${list.loading ? ' (loading)' : ''}</caption>
        <thead><tr>${spec.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
        <tbody>
          ${list.edges.map(({ node }) => html`<tr key=${node.key}>
            <th scope="row"><a href=${link(kind, node.key)}>${node.key}</a></th>
            ${spec.row(node).map((cell) => html`<td>${cell}</td>`)}
          </tr>`)}
          ${!list.loading && list.edges.length === 0 && html`<tr><td colspan=${spec.columns.length}>Nothing matches.</td></tr>`}
        </tbody>
      </table>
    </div>
    <${LoadMore} list=${list} what=${spec.title.toLowerCase()} />
  </section>`;
}

/** Sites have no search in the API: a domain (any case, with or without port) opens its page. */
function DomainLookup() {
  const [domain, setDomain] = useState('');
  const id = useId('domain');
  return html`<form class="filters" aria-label="Open a site by domain"
      onSubmit=${(e) => { e.preventDefault(); if (domain.trim()) location.hash = link('site', domain.trim()); }}>
    <label for=${id}>Open the site of a domain</label>
    <input id=${id} value=${domain} onInput=${(e) => setDomain(e.target.value)} />
    <button type="submit">Open</button>
  </form>`;
}
