// A small client of the graphql-transport-ws protocol (the graphql-ws library's) for
// `Subscription.changes`: it authenticates like the HTTP calls (the pasted token in
// connection_init, or the cookies of the upgrade request) and, after a drop, resubscribes
// after the last change it saw, so nothing is missed or repeated.

import { auth } from './api.js';

const QUERY = `subscription Live($after: String) {
  changes(after: $after) { id at actor kind entity key }
}`;

export class LiveFeed {
  /** `onChange(change)` for each change; `onStatus(text, ok)` when the connection changes. */
  constructor(onChange, onStatus) {
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.after = null;
    this.closed = false;
    this.retry = 1000;
    this.open();
  }

  open() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    const ws = new WebSocket(url, 'graphql-transport-ws');
    this.ws = ws;
    this.onStatus('connecting…', false);
    ws.onopen = () => {
      const payload = auth.token ? { Authorization: `JWT ${auth.token}` } : {};
      ws.send(JSON.stringify({ type: 'connection_init', payload }));
    };
    ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    ws.onclose = (event) => {
      if (this.closed) return;
      this.onStatus(`disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''}); retrying`, false);
      setTimeout(() => this.closed || this.open(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    };
  }

  receive(message) {
    switch (message.type) {
      case 'connection_ack':
        this.retry = 1000;
        this.ws.send(JSON.stringify({
          id: 'changes', type: 'subscribe', payload: { query: QUERY, variables: { after: this.after } },
        }));
        this.onStatus('connected', true);
        break;
      case 'next': {
        const change = message.payload?.data?.changes;
        if (change) {
          this.after = change.id;
          this.onChange(change);
        } else if (message.payload?.errors) {
          this.onStatus(`error: ${message.payload.errors.map((e) => e.message).join('; ')}`, false);
        }
        break;
      }
      case 'error':
        this.onStatus(`error: ${(message.payload ?? []).map((e) => e.message).join('; ')}`, false);
        break;
      case 'complete':
        this.onStatus('the server ended the feed', false);
        break;
      case 'ping':
        this.ws.send(JSON.stringify({ type: 'pong' }));
        break;
      default:
        break;
    }
  }

  close() {
    this.closed = true;
    this.ws?.close(1000, 'signed out');
  }
}
