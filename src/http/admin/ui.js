// Shared pieces of the console: data hooks over `gql`, messages, the confirmation dialog, and
// the guarded action (a button that is disabled with its reason shown when the caller may not).

import { html, useState, useEffect, useRef, useCallback } from './htm-preact-3.1.1.standalone.mjs';
import { gql } from './api.js';

export { html };

/** Runs `query` when `key` changes (and on `reload()`): `[{ data, error, loading }, reload]`. */
export function useQuery(query, variables, key) {
  const [state, setState] = useState({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    gql(query, variables).then(
      (data) => current && setState({ data, loading: false }),
      (error) => current && setState({ error, loading: false }),
    );
    return () => { current = false; };
  }, [key, round]);
  return [state, useCallback(() => setRound((r) => r + 1), [])];
}

/**
 * A cursor-paged connection with "load more": `page(after)` answers a connection (edges,
 * pageInfo, totalCount). Starts over when `key` changes.
 */
export function usePaged(page, key) {
  const [state, setState] = useState({ edges: [], loading: true });
  const [round, setRound] = useState(0);
  const generation = useRef(0);
  const load = (after, edges) => {
    const mine = generation.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    page(after).then(
      (conn) => mine === generation.current && setState({
        edges: [...edges, ...conn.edges], total: conn.totalCount,
        next: conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null, loading: false,
      }),
      (error) => mine === generation.current && setState((s) => ({ ...s, error, loading: false })),
    );
  };
  useEffect(() => {
    generation.current += 1;
    load(null, []);
  }, [key, round]);
  return {
    ...state,
    more: () => load(state.next, state.edges),
    reload: () => setRound((r) => r + 1),
  };
}

export function ErrorMessage({ error, label }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${label ?? 'Refused'}:</strong> ${error.message}
    ${error.code && html` <code class="code">${error.code}</code>`}
  </div>`;
}

export function Notice({ text }) {
  return html`<p class="notice" role="status">${text ?? ''}</p>`;
}

let nextId = 0;
export function useId(prefix) {
  const id = useRef(null);
  if (id.current === null) id.current = `${prefix}-${(nextId += 1)}`;
  return id.current;
}

/** A button for an action the caller may not be allowed: disabled, with the reason next to it. */
export function Action({ allowed, onClick, children, kind, label, quiet }) {
  // `quiet`: the reason is already shown by a neighbour (it is still announced).
  const why = useId('why');
  return html`<span class="action">
    <button type="button" class=${kind ?? ''} onClick=${onClick} disabled=${!allowed.ok}
      aria-label=${label} aria-describedby=${allowed.ok ? undefined : why}>${children}</button>
    ${!allowed.ok && html`<span class=${quiet ? 'visually-hidden' : 'why'} id=${why}>${allowed.why}</span>`}
  </span>`;
}

/** A modal confirmation (native <dialog>: focus is trapped and Escape cancels). */
export function Confirm({ title, text, confirm, onConfirm, onClose }) {
  const ref = useRef(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    dialog.showModal();
    // Back to the button that opened it, or to the heading if that button is gone.
    return () => (opener?.isConnected ? opener.focus() : document.querySelector("main h1")?.focus());
  }, []);
  const go = async () => {
    setBusy(true);
    try {
      await onConfirm();
      ref.current.close();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<dialog ref=${ref} aria-labelledby="confirm-title" aria-describedby="confirm-text" onClose=${onClose}>
    <h2 id="confirm-title">${title}</h2>
    <p id="confirm-text">${text}</p>
    <${ErrorMessage} error=${error} />
    <div class="buttons">
      <button type="button" onClick=${() => ref.current.close()}>Cancel</button>
      <button type="button" class="danger" disabled=${busy} onClick=${go}>${confirm}</button>
    </div>
  </dialog>`;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '');

export const link = (kind, key, suffix = '') => `#/${kind}s/${encodeURIComponent(key)}${suffix}`;

export function Status({ active }) {
  return html`<span class=${`badge ${active ? 'on' : 'off'}`}>${active ? 'Active' : 'Inactive'}</span>`;
}

export function LoadMore({ list, what }) {
  return html`<div class="more">
    <p class="count" aria-live="polite">Showing ${list.edges.length} of ${list.total ?? '…'} ${what}.</p>
    ${list.next && html`<button type="button" onClick=${list.more} disabled=${list.loading}>Load more</button>`}
    <${ErrorMessage} error=${list.error} label="Could not load" />
  </div>`;
}
