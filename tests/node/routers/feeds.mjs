// Subscriptions as a client sees them: `changes` through the npm graphql-sse and graphql-ws
// clients, each feed collecting its events.

import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';

export const SUBSCRIBE = 'subscription($after: String) { changes(after: $after) { kind entity key } }';

/** Collects the events of one subscription; `take(n)` waits for the next n. */
export function collector(subscribe) {
  const events = [];
  let waiting = null;
  let ended = null;
  const dispose = subscribe({
    next: (value) => { events.push(value); waiting?.(); },
    error: (err) => { ended = { error: err }; waiting?.(); },
    complete: () => { ended ||= { complete: true }; waiting?.(); },
  });
  return {
    dispose,
    get ended() { return ended; },
    /** The next `n` events, waiting at most `ms` for them. */
    async take(n, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (events.length < n && !ended && Date.now() < deadline) {
        await new Promise((resolve) => { waiting = resolve; setTimeout(resolve, 100); });
      }
      return events.splice(0, n);
    },
  };
}

/** A `changes` subscription after `cursor` at the GraphQL endpoint `url` over `transport`
 * (`sse` or `ws`), with `token` (or anonymous): the token goes as the Authorization header over
 * SSE and in connection_init's payload over WebSocket. */
export function feed(url, transport, token, cursor) {
  const request = { query: SUBSCRIBE, variables: { after: cursor } };
  const authorization = token ? `JWT ${token}` : undefined;
  if (transport === 'sse') {
    const client = createSseClient({
      url,
      headers: authorization ? { authorization } : {},
      retryAttempts: 0,
    });
    const f = collector((sink) => client.subscribe(request, sink));
    f.close = () => { f.dispose(); client.dispose(); };
    return f;
  }
  const client = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : undefined,
    retryAttempts: 0,
  });
  const f = collector((sink) => client.subscribe(request, sink));
  f.close = () => { f.dispose(); client.dispose(); };
  return f;
}

/** What a feed's events say: `ENTITY key`, or the error codes. */
export function describe(events) {
  return events.map((e) => (e.data?.changes
    ? `${e.data.changes.entity} ${e.data.changes.key}`
    : `errors ${JSON.stringify(e.errors ?? e)}`));
}
