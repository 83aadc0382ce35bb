// A record's history (Organization/Partner/Site.history): every change the caller may see,
// oldest first, with the record before and after each one.

import { gql } from './api.js';
import { html, usePaged, LoadMore, link, when } from './ui.js';

const FIELD = { organization: 'shortName', partner: 'shortCode', site: 'domain' };

export const historyQuery = (kind) => `query($key: String!, $first: Int, $after: String) {
  record: ${kind}(${FIELD[kind]}: $key${kind === 'organization' ? ', includeInactive: true' : ''}) {
    history(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id at actor kind entity key before after } } } } }`;

function diff(before, after) {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const show = (v) => (v === undefined || v === null ? '—' : JSON.stringify(v));
  return keys
    .filter((k) => !before || !after || JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => html`<li><span class="mono">${k}</span>: ${before ? html`${show(before[k])} → ` : ''}${show(after?.[k])}</li>`);
}

export function HistoryScreen({ kind, keyValue }) {
  const list = usePaged(async (after) => {
    const data = await gql(historyQuery(kind), { key: keyValue, first: 50, after });
    if (!data.record) throw Object.assign(new Error(`no ${kind} ${keyValue} (or you may not see it)`), { code: 'NOT_FOUND' });
    return data.record.history;
  }, `${kind}/${keyValue}`);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">History of ${kind} ${keyValue}</h1>
    <p><a href=${link(kind, keyValue)}>Back to ${keyValue}</a></p>
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Changes, oldest first</caption>
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th>
          <th scope="col">What</th><th scope="col">Record</th><th scope="col">Fields</th></tr></thead>
        <tbody>
          ${list.edges.map(({ node: c }) => html`<tr key=${c.id}>
            <td>${c.id}</td><td>${when(c.at)}</td><td>${c.actor ?? '—'}</td>
            <td><span class=${`kind ${c.kind.toLowerCase()}`}>${c.kind}</span> ${c.entity.replace('_', ' ').toLowerCase()}</td>
            <td class="mono">${c.key}</td>
            <td><ul class="diff">${diff(c.before, c.after)}</ul></td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <${LoadMore} list=${list} what="changes" />
  </section>`;
}
