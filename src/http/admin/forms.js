// Create and edit forms for organizations, partners and sites. Each field shows its rule
// (docs/design.md) and, once touched, whether the value keeps it; the service's refusals are
// shown on the field they name (`extensions.field`) or above the buttons.

import { useState, useEffect, useRef } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';
import { html, ErrorMessage, useQuery, link } from './ui.js';
import { FIELDS, canCreate, canEditOrganization, canEditPartner } from './rules.js';

const LOAD = {
  organization: `query($key: String!) { record: organization(shortName: $key, includeInactive: true) {
    shortName name description logoUrl partners(first: 100) { edges { node { shortCode } } } } }`,
  partner: `query($key: String!) { record: partner(shortCode: $key) { shortCode name lmsUrl studioUrl marketingSiteUrl } }`,
  site: `query($key: String!) { record: site(domain: $key) { domain name partner { shortCode } } }`,
};

const SAVE = {
  organization: {
    create: 'mutation($input: CreateOrganizationInput!) { saved: createOrganization(input: $input) { key: shortName } }',
    update: 'mutation($key: String!, $input: UpdateOrganizationInput!) { saved: updateOrganization(shortName: $key, input: $input) { key: shortName } }',
  },
  partner: {
    create: 'mutation($input: CreatePartnerInput!) { saved: createPartner(input: $input) { key: shortCode } }',
    update: 'mutation($key: String!, $input: UpdatePartnerInput!) { saved: updatePartner(shortCode: $key, input: $input) { key: shortCode } }',
  },
  site: {
    create: 'mutation($input: CreateSiteInput!) { saved: createSite(input: $input) { key: domain } }',
    update: 'mutation($key: String!, $input: UpdateSiteInput!) { saved: updateSite(domain: $key, input: $input) { key: domain } }',
  },
};

function permission(kind, viewer, key, record) {
  if (!key) return canCreate(viewer, kind);
  if (kind === 'organization') {
    return canEditOrganization(viewer, key, record?.partners?.edges.map((e) => e.node.shortCode));
  }
  return canEditPartner(viewer, kind === 'partner' ? key : record?.partner?.shortCode);
}

export function FormScreen({ kind, keyValue, viewer }) {
  const editing = keyValue != null;
  const [loaded] = useQuery(editing ? LOAD[kind] : '{ __typename }', { key: keyValue }, `${kind}/${keyValue}`);
  const record = editing ? loaded.data?.record : null;
  const title = editing ? `Edit ${kind} ${keyValue}` : `New ${kind}`;
  const allowed = permission(kind, viewer, keyValue, record);
  let body;
  if (editing && loaded.loading) body = html`<p>Loading…</p>`;
  else if (loaded.error) body = html`<${ErrorMessage} error=${loaded.error} label="Could not load" />`;
  else if (editing && !record) body = html`<p role="alert">No ${kind} ${keyValue} (or you may not see it).</p>`;
  else if (!allowed.ok) body = html`<p class="why" role="note">${allowed.why}</p>`;
  else body = html`<${EntityForm} kind=${kind} keyValue=${keyValue} record=${record} />`;
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">${title}</h1>
    <p><a href=${editing ? link(kind, keyValue) : `#/${kind}s`}>Back</a></p>
    ${body}
  </section>`;
}

function initial(kind, record) {
  const values = {};
  for (const f of FIELDS[kind]) {
    const v = f.name === 'partner' ? record?.partner?.shortCode : record?.[f.name];
    values[f.name] = v ?? '';
  }
  return values;
}

function EntityForm({ kind, keyValue, record }) {
  const editing = keyValue != null;
  const fields = FIELDS[kind].filter((f) => !(editing && f.key));
  const [values, setValues] = useState(() => initial(kind, record));
  const [touched, setTouched] = useState({});
  const [server, setServer] = useState({ error: null, field: null });
  const [busy, setBusy] = useState(false);
  const form = useRef(null);
  const errors = Object.fromEntries(fields.map((f) => [f.name, f.check(values[f.name])]));
  if (server.field && errors[server.field] == null) errors[server.field] = server.error.message;
  useEffect(() => {
    if (server.field) form.current?.querySelector(`[name="${server.field}"]`)?.focus();
  }, [server]);

  const submit = async (e) => {
    e.preventDefault();
    setTouched(Object.fromEntries(fields.map((f) => [f.name, true])));
    const bad = fields.find((f) => f.check(values[f.name]));
    if (bad) {
      form.current.querySelector(`[name="${bad.name}"]`)?.focus();
      return;
    }
    const input = {};
    for (const f of fields) {
      const v = values[f.name].trim();
      // Creating leaves an empty optional field out; editing sends null, which clears it.
      if (v !== '') input[f.name] = v;
      else if (editing && f.optional) input[f.name] = null;
    }
    setBusy(true);
    setServer({ error: null, field: null });
    try {
      const op = SAVE[kind][editing ? 'update' : 'create'];
      const data = await gql(op, { key: keyValue, input });
      location.hash = link(kind, data.saved.key);
    } catch (err) {
      const field = fields.some((f) => f.name === err.field) ? err.field : null;
      setServer({ error: err, field });
      setBusy(false);
    }
  };

  return html`<form ref=${form} class="entity" novalidate onSubmit=${submit} aria-label=${editing ? `Edit ${kind}` : `New ${kind}`}>
    ${fields.map((f) => {
      const id = `field-${f.name}`;
      const shown = (touched[f.name] || server.field === f.name) ? errors[f.name] : null;
      const props = {
        id, name: f.name, value: values[f.name],
        'aria-invalid': shown ? 'true' : 'false',
        'aria-describedby': `${id}-hint${shown ? ` ${id}-error` : ''}`,
        'aria-required': f.optional ? 'false' : 'true',
        onInput: (e) => {
          setValues({ ...values, [f.name]: e.target.value });
          if (server.field === f.name) setServer({ error: null, field: null });
        },
        onBlur: () => setTouched({ ...touched, [f.name]: true }),
      };
      return html`<div class="field">
        <label for=${id}>${f.label}${f.optional ? html` <span class="optional">(optional)</span>` : ''}</label>
        ${f.textarea ? html`<textarea rows="4" ...${props}></textarea>` : html`<input type=${f.type ?? 'text'} ...${props} />`}
        <p class="hint" id=${`${id}-hint`}>${f.hint}</p>
        ${shown && html`<p class="field-error" id=${`${id}-error`}>${shown}</p>`}
      </div>`;
    })}
    ${server.error && !server.field && html`<${ErrorMessage} error=${server.error} label="The service refused" />`}
    <div class="buttons">
      <button type="submit" class="primary" disabled=${busy}>${editing ? 'Save changes' : `Create ${kind}`}</button>
    </div>
  </form>`;
}
