// Relations on a detail page: an organization's course links (link, unlink) and the
// memberships between organizations and partners or sites (add, remove).

import { useState } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';
import { html, usePaged, LoadMore, ErrorMessage, Notice, Action, Confirm, Status, link, when, useId } from './ui.js';
import { courseKeyError } from './rules.js';

const COURSES = `query($key: String!, $after: String) { organization(shortName: $key, includeInactive: true) {
  courses(first: 20, after: $after, includeInactive: true) {
    totalCount pageInfo { hasNextPage endCursor } edges { since active node { courseKey } } } } }`;

/** A one-field form that runs `run(value)`; `check(value)` is the field's own rule. */
export function AddForm({ label, hint, button, allowed, run, check }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [shown, setShown] = useState(null);
  const [busy, setBusy] = useState(false);
  const id = useId('add');
  if (!allowed.ok) return html`<p class="why">${allowed.why}</p>`;
  const submit = async (e) => {
    e.preventDefault();
    const v = value.trim();
    const problem = check ? check(v) : (v === '' ? 'Required.' : null);
    setShown(problem);
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      await run(v);
      setValue('');
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<form class="add" onSubmit=${submit} novalidate>
    <label for=${id}>${label}</label>
    <input id=${id} value=${value} onInput=${(e) => { setValue(e.target.value); setShown(null); }}
      aria-invalid=${shown ? 'true' : 'false'} aria-describedby=${`${id}-hint${shown ? ` ${id}-error` : ''}`} />
    <button type="submit" disabled=${busy}>${button}</button>
    <p class="hint" id=${`${id}-hint`}>${hint}</p>
    ${shown && html`<p class="field-error" id=${`${id}-error`}>${shown}</p>`}
    <${ErrorMessage} error=${error} />
  </form>`;
}

/** `version` changes when the organization does (deactivating takes its links along). */
export function Courses({ organization, version, allowed, onChange }) {
  const list = usePaged(async (after) => (await gql(COURSES, { key: organization, after })).organization.courses,
    `${organization}/${version}`);
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const changed = (text) => { setNote(text); list.reload(); onChange?.(); };
  const linkCourse = async (courseKey) => {
    const data = await gql(`mutation($k: String!, $o: String) { linkCourse(courseKey: $k, organization: $o) { created } }`,
      { k: courseKey, o: organization });
    changed(`${data.linkCourse.created ? 'Linked' : 'Already linked (now active)'}: ${courseKey}.`);
  };
  const unlink = async (courseKey) => {
    setError(null);
    try {
      await gql(`mutation($k: String!, $o: String!) { unlinkCourse(courseKey: $k, organization: $o) { created } }`,
        { k: courseKey, o: organization });
      changed(`Unlinked ${courseKey}.`);
    } catch (err) { setError(err); }
  };
  return html`<section aria-labelledby="courses-title" class="panel">
    <h2 id="courses-title">Courses and libraries</h2>
    <${Notice} text=${note} />
    <${ErrorMessage} error=${error} />
    <ul class="rows">
      ${list.edges.map(({ node, since, active }) => html`<li key=${node.courseKey}>
        <span class="mono">${node.courseKey}</span> <${Status} active=${active} />
        <span class="muted">linked ${when(since)}</span>
        ${active && html`<${Action} allowed=${allowed} quiet=${true} label=${`Unlink ${node.courseKey}`}
          onClick=${() => unlink(node.courseKey)}>Unlink</${Action}>`}
      </li>`)}
    </ul>
    <${LoadMore} list=${list} what="courses" />
    <${AddForm} label="Course key" button="Link course" allowed=${allowed} run=${linkCourse} check=${courseKeyError}
      hint="course-v1:ORG+COURSE+RUN, ORG/COURSE/RUN, library-v1:ORG+LIBRARY or lib:ORG:SLUG. Linking again after unlinking reactivates the link." />
  </section>`;
}

/**
 * Members on one side of a membership. `edges`: `{ since, node: { key, name, active } }`;
 * `add(key)` / `remove(key)` run the mutations; `kind` is what the members are.
 */
export function Memberships({ title, kind, edges, total, allowed, add, remove, addLabel, hint, onChange }) {
  const [note, setNote] = useState('');
  const [confirm, setConfirm] = useState(null);
  const id = useId('members');
  return html`<section aria-labelledby=${id} class="panel">
    <h2 id=${id}>${title} <span class="muted">(${total})</span></h2>
    <${Notice} text=${note} />
    <ul class="rows">
      ${edges.map(({ node, since }) => html`<li key=${node.key}>
        <a href=${link(kind, node.key)}>${node.key}</a> ${node.name}
        ${node.active === false && html` <${Status} active=${false} />`}
        ${since && html`<span class="muted">since ${when(since)}</span>`}
        ${remove && html`<${Action} allowed=${allowed} quiet=${Boolean(add)} label=${`Remove ${node.key}`}
          onClick=${() => setConfirm(node.key)}>Remove</${Action}>`}
      </li>`)}
      ${edges.length === 0 && html`<li class="muted">None.</li>`}
    </ul>
    ${add && html`<${AddForm} label=${addLabel} button="Add" hint=${hint} allowed=${allowed}
      run=${async (key) => { await add(key); setNote(`Added ${key}.`); onChange(); }} />`}
    ${confirm && html`<${Confirm} title=${`Remove ${confirm}?`} confirm="Remove"
      text=${`${confirm} will no longer be listed under ${title.toLowerCase()} here. You can add it again later.`}
      onConfirm=${async () => { await remove(confirm); setNote(`Removed ${confirm}.`); onChange(); }}
      onClose=${() => setConfirm(null)} />`}
  </section>`;
}
