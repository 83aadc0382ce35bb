// Hive Gateway (`hive-gateway supergraph supergraph.graphql -c hive-gateway.config.mjs`) in front
// of tenancy-gateway, as tests/node/federation.mjs runs it. The client's token reaches the
// tenancy subgraph on every request: queries and SSE subscriptions as the `Authorization` header,
// WebSocket subscriptions (TENANCY_SUBSCRIPTIONS=ws) in `connection_init`'s payload.
// Clients send the token as the `Authorization` header, or over a WebSocket to the gateway as
// `connectionParams: { authorization: 'JWT ...' }`.
import { defineConfig } from '@graphql-hive/gateway';

/** The client's `Authorization`: its HTTP header, or its WebSocket connectionParams. */
function authorization({ context, request }) {
  const headers = context?.headers ?? {};
  return headers.authorization ?? headers.Authorization ?? request?.headers?.get?.('authorization') ?? undefined;
}

const websocket = process.env.TENANCY_SUBSCRIPTIONS === 'ws';

export const gatewayConfig = defineConfig({
  // Queries, mutations and SSE subscriptions to the subgraphs carry the client's token.
  propagateHeaders: {
    fromClientToSubgraphs: (payload) => {
      const value = authorization(payload);
      return value ? { authorization: value } : {};
    },
  },
  // Subscriptions go to tenancy-gateway over GraphQL over SSE by default (POST /graphql with
  // Accept: text/event-stream); with TENANCY_SUBSCRIPTIONS=ws over graphql-transport-ws on the
  // same URL, the token in connection_init as tenancy-gateway reads it.
  transportEntries: websocket
    ? {
        tenancy: {
          options: {
            subscriptions: {
              kind: 'ws',
              options: { connectionParams: { Authorization: '{context.headers.authorization}' } },
            },
          },
        },
      }
    : {},
});
