#!/usr/bin/env node
// How a downstream service (the catalog, ecommerce) keeps a copy of the tenancy graph current:
// subscribe to `changes` over graphql-ws, apply each change, and store the cursor of the last
// change applied *after* applying it. On restart, resume with `after: <stored cursor>`: the
// service replays what followed it and goes on live, with no gap and no duplicate.
//
// Usage: node tests/node/feed-consumer.mjs ws://127.0.0.1:8000/graphql CURSOR_FILE [JWT]
//   (npm ci in tests/node first). Prints each change; Ctrl-C and run again to see it resume.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const [url = 'ws://127.0.0.1:8000/graphql', cursorFile = 'tenancy.cursor', token] = process.argv.slice(2);
const after = existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || null : null;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `JWT ${token}` } : undefined,
  // Reconnect forever; each reconnect resubscribes from the last stored cursor.
  retryAttempts: Infinity,
  shouldRetry: () => true,
});

/** Apply one change to the local copy (here: print it). Must be idempotent per change id. */
function apply(change) {
  console.log(`${change.id} ${change.kind} ${change.entity} ${change.key} by ${change.actor ?? '-'}`);
}

async function follow() {
  for (;;) {
    const from = existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || null : after;
    const changes = client.iterate({
      query: 'subscription($after: String) { changes(after: $after) { id kind entity key actor before after } }',
      variables: { after: from },
    });
    try {
      for await (const result of changes) {
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        const change = result.data.changes;
        apply(change);
        writeFileSync(cursorFile, change.id); // the id is a cursor too
      }
    } catch (err) {
      console.error(`subscription ended (${err.message ?? err}); resuming from the stored cursor`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

follow();
