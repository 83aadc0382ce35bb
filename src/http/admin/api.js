// The console's only way to the service: POST /graphql (and GET /csrf/api/v1/token before a
// cookie-authenticated write, as frontend-platform does). Nothing here knows the schema.

const TOKEN_KEY = 'tenancy-admin-token';

/** The pasted token, kept for this tab only (sessionStorage), or null to use the LMS cookies. */
export const auth = { token: sessionStorage.getItem(TOKEN_KEY) };

export function setToken(token) {
  auth.token = token || null;
  if (auth.token) sessionStorage.setItem(TOKEN_KEY, auth.token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A refused or failed operation: every GraphQL error, the first one's code and field. */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? null;
    // `input.shortCode` names the form field `shortCode`.
    this.field = errors[0]?.extensions?.field?.split('.').pop() ?? null;
  }
}

let csrf = null;
async function csrfToken() {
  if (!csrf) {
    const res = await fetch('/csrf/api/v1/token', { credentials: 'same-origin' });
    if (!res.ok) throw new ApiError([{ message: `the CSRF endpoint answered HTTP ${res.status}` }]);
    csrf = (await res.json()).csrfToken;
  }
  return csrf;
}

export async function gql(query, variables = {}) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (auth.token) {
    headers.authorization = `JWT ${auth.token}`;
  } else if (/^\s*mutation\b/.test(query)) {
    // Cookie-authenticated writes must echo the csrftoken cookie (docs/openedx.md).
    headers['x-csrftoken'] = await csrfToken();
  }
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError([{ message: `the service did not answer (${err.message})`, extensions: { code: 'NETWORK' } }]);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError([{ message: `HTTP ${res.status} without a GraphQL answer` }]);
  }
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data;
}

export const VIEWER = `{ viewer { subject administrator filters restricted authenticatedBy
  grants { role created partner { shortCode name } organization { shortName name } } } }`;
