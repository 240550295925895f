// A real OpenID Connect provider for the hub's test suite, built on `oidc-provider` (v9).
//
//   node tests/oidc/provider.mjs <config.json>
//
// The Python side (tests/oidc_provider.py) writes the config file; nothing test-specific is
// hard-coded here. Config (JSON):
//
//   port              TCP port to listen on (always 127.0.0.1, plain HTTP)
//   issuer            e.g. "http://127.0.0.1:41234"
//   jwks              {"keys": [private JWKs, each with kid and alg]}; the FIRST key's alg (and
//                     kid) signs access tokens and ID tokens
//   resources         {"<resource indicator>": {"scope": "a b", "accessTokenTTL": 600}, ...}
//   defaultResource   resource used when a client does not send `resource`
//   accounts          [{"sub": ..., "email": ..., "email_verified": ...}, ...]
//   clients           oidc-provider client metadata, plus the optional non-standard
//                     "access_token_ttl" (seconds) overriding the resource's accessTokenTTL;
//                     resource scopes listed in a client's "scope" limit what it may get
//   exitOnStdinEOF    optional boolean: exit when stdin is closed (the parent died)
//
// Behaviour:
//   - Access tokens are RFC 9068 JWTs (header typ "at+jwt") whose `aud` is the resource.
//     oidc-provider sets iss, sub (the account, or the client_id for client credentials), aud,
//     exp, iat, jti, client_id and scope (the granted scopes of that resource only).
//   - User (authorization code) access tokens also carry the account's email and
//     email_verified, via extraTokenClaims.
//   - Grants: authorization_code (PKCE S256 required for every client) and client_credentials.
//   - devInteractions: oidc-provider's built-in login/consent pages. Any password is accepted,
//     but the login must be the sub of one of `accounts`, else the login form comes back.
//   - Prints exactly one line "ready <issuer>" on stdout once listening; exits 0 on SIGTERM or
//     SIGINT. Server-side errors are logged to stderr.

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node provider.mjs <config.json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));

const keys = config.jwks?.keys ?? [];
if (keys.length === 0 || !keys[0].alg) {
  console.error('config.jwks.keys must hold at least one private JWK, the first one with an alg');
  process.exit(2);
}
// The first key decides how access tokens and ID tokens are signed.
const signingAlg = keys[0].alg;
const signingKid = keys[0].kid;

const resources = config.resources ?? {};
const accounts = new Map((config.accounts ?? []).map((account) => [account.sub, account]));

// Non-standard client metadata understood by this script (see extraClientMetadata below).
const CLIENT_TTL = 'access_token_ttl';

// OpenID scopes known to the provider (`scopes` plus the `claims` keys below). oidc-provider
// rejects a client whose `scope` metadata names anything else, and it never uses client.scope
// to limit resource scopes: those come from getResourceServerInfo. So a client's `scope` is
// split here: OpenID scopes stay in its metadata, resource scopes (e.g. "hub:read") are kept
// aside and limit what getResourceServerInfo grants to that client. A client without `scope`
// may get every scope of every resource.
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'email']);
const resourceScopesByClient = new Map();
const clients = (config.clients ?? []).map((metadata) => {
  if (typeof metadata.scope !== 'string') return metadata;
  const requested = metadata.scope.split(' ').filter(Boolean);
  resourceScopesByClient.set(
    metadata.client_id,
    new Set(requested.filter((scope) => !OIDC_SCOPES.has(scope))),
  );
  const oidcScope = requested.filter((scope) => OIDC_SCOPES.has(scope)).join(' ');
  const { scope, ...rest } = metadata;
  return oidcScope ? { ...rest, scope: oidcScope } : rest;
});

// The scopes of `resourceIndicator` that `client` may be granted.
function resourceScopeFor(resourceIndicator, client) {
  const all = (resources[resourceIndicator].scope ?? '').split(' ').filter(Boolean);
  const allowed = client && resourceScopesByClient.get(client.clientId);
  return (allowed ? all.filter((scope) => allowed.has(scope)) : all).join(' ');
}

// TTL of an access token: the client's access_token_ttl if it has one, else the resource
// server's accessTokenTTL, else `fallback`. Used for both user and client-credentials tokens.
const accessTokenTTL = (fallback) => (ctx, token, client) => (
  client?.[CLIENT_TTL] ?? token.resourceServer?.accessTokenTTL ?? fallback
);

// The devInteractions login form accepts any login and password and puts the login in the
// session as is. With a login findAccount does not know, oidc-provider's default policy goes on
// to the consent prompt and fails there with a 500 server_error. This extra check of the login
// prompt shows the login form again instead, like a wrong password at a real provider.
function loginPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login').checks.add(new interactionPolicy.Check(
    'unknown_account',
    'the logged-in account does not exist',
    (ctx) => (ctx.oidc.session.accountId && !ctx.oidc.account
      ? interactionPolicy.Check.REQUEST_PROMPT
      : interactionPolicy.Check.NO_NEED_TO_PROMPT),
  ));
  return policy;
}

const provider = new Provider(config.issuer, {
  jwks: config.jwks,
  clients,

  // ID tokens are signed with the same alg as access tokens (oidc-provider's default is RS256,
  // which would fail with an EC-only key set). Every alg of the key set is allowed.
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: signingAlg,
  },
  enabledJWA: {
    idTokenSigningAlgValues: [...new Set(
      ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA', ...keys.map((key) => key.alg)],
    )],
  },

  // Accepts the custom `access_token_ttl` client property (a positive integer of seconds).
  extraClientMetadata: {
    properties: [CLIENT_TTL],
    validator(ctx, key, value) {
      if (key === CLIENT_TTL && value !== undefined
          && !(Number.isSafeInteger(value) && value > 0)) {
        throw new errors.InvalidClientMetadata(`${CLIENT_TTL} must be a positive integer`);
      }
    },
  },

  // `email` scope -> email, email_verified claims (in the ID token and userinfo).
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access'], // plus 'email', from `claims` (= OIDC_SCOPES)

  // Accounts come from the config; findAccount returns undefined for any other login.
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: account.email_verified };
      },
    };
  },

  // Put the account's email on user access tokens (not only the ID token), so the resource
  // server can link users by verified email. Client-credentials tokens have no account.
  async extraTokenClaims(ctx, token) {
    const account = token.accountId ? accounts.get(token.accountId) : undefined;
    if (!account) return undefined;
    const claims = {};
    if (account.email !== undefined) claims.email = account.email;
    if (account.email_verified !== undefined) claims.email_verified = account.email_verified;
    return claims;
  },

  interactions: { policy: loginPolicy() },

  // PKCE for every authorization-code request, whatever the client type (only S256 exists in
  // oidc-provider v9).
  pkce: { required: () => true },

  ttl: {
    AccessToken: accessTokenTTL(60 * 60),
    ClientCredentials: accessTokenTTL(10 * 60),
  },

  // Signed cookies (interaction / session); a fresh secret per process is enough for tests.
  cookies: { keys: [randomBytes(32).toString('base64url')] },

  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Called with (ctx, client) when a request names no resource, and with
      // (ctx, client, oneOf) when several granted resources could apply at the token endpoint.
      async defaultResource(ctx, client, oneOf) {
        if (oneOf) {
          return oneOf.includes(config.defaultResource) ? config.defaultResource : oneOf;
        }
        return config.defaultResource;
      },
      // At the token endpoint (authorization_code grant) with no `resource` parameter, issue
      // the access token for the resource granted at /auth instead of an opaque userinfo token.
      async useGrantedResource() {
        return true;
      },
      async getResourceServerInfo(ctx, resourceIndicator, client) {
        const resource = resources[resourceIndicator];
        if (!resource) {
          throw new errors.InvalidTarget(`unknown resource indicator ${resourceIndicator}`);
        }
        return {
          scope: resourceScopeFor(resourceIndicator, client),
          audience: resourceIndicator,
          accessTokenTTL: client?.[CLIENT_TTL] ?? resource.accessTokenTTL ?? 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signingAlg, kid: signingKid } },
        };
      },
    },
  },
});

// Log what would otherwise be hidden behind generic error responses.
provider.on('server_error', (ctx, err) => console.error('server_error', err));
for (const event of ['grant.error', 'authorization.error', 'introspection.error']) {
  provider.on(event, (ctx, err) => console.error(event, err.message, err.error_description ?? ''));
}

// oidc-provider validates static client metadata lazily, on first use. Load every client now
// so that a bad client fails the start with its reason instead of a later invalid_client.
for (const { client_id: clientId } of clients) {
  try {
    if (!await provider.Client.find(clientId)) throw new Error('not found');
  } catch (err) {
    console.error(`invalid client ${clientId}: ${err.error_description ?? err.message}`);
    process.exit(1);
  }
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
server.on('error', (err) => {
  console.error(`cannot listen on 127.0.0.1:${config.port}: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  // Do not wait for idle keep-alive connections held by clients.
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

// Opt-in: exit when stdin reaches EOF, i.e. when the parent process that holds the other end
// of the pipe is gone (even after SIGKILL), so a crashed test run leaves no provider behind.
if (config.exitOnStdinEOF) {
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}
