// A provincial portal signing people in through Motcua with the certified
// relying party `openid-client` (npm, v6) — issue #12 §1. Run by the cli
// test `sso_rp.rs` against `motcua demo`:
//   BASE=http://127.0.0.1:PORT OPENID_CLIENT=<path to openid-client's build/index.js> node sso_rp.mjs
// It registers a client as the demo operator (the console form), logs a
// demo citizen in, drives authorization code + PKCE with acr_values and a
// nonce, checks the ID token (openid-client verifies iss, aud, exp, nonce,
// the signature against the JWKS), userinfo, refresh, introspection,
// revocation, then the negative cases, then RP-initiated logout (with
// openid-client's end-session URL) and back-channel logout (the logout
// token received on a local endpoint and checked with `jose`, the JOSE
// library openid-client itself uses). Prints "OK <n> checks" or throws.
import assert from 'node:assert/strict';
import http from 'node:http';

const BASE = process.env.BASE;
const client = await import(process.env.OPENID_CLIENT);
let checks = 0;
const ok = (cond, what) => { assert.ok(cond, what); checks++; };

// A tiny browser: cookies by name, no automatic redirects.
function browser() {
  const jar = new Map();
  const req = async (path, { method = 'GET', form } = {}) => {
    const headers = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = BASE;
      body = new URLSearchParams(form).toString();
    }
    const url = path.startsWith('http') ? path : BASE + path;
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  };
  return req;
}
const field = (html, name) => {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1].replaceAll('&#38;', '&').replaceAll('&amp;', '&').replaceAll('&#34;', '"') : undefined;
};
async function login(b, username, password) {
  const page = await b('/login');
  const r = await b('/login', { method: 'POST', form: { csrf: field(page.text, 'csrf'), username, password } });
  assert.equal(r.status, 303, `login ${username}: ${r.status}`);
}

// The portal's back-channel logout endpoint.
const logoutTokens = [];
const bc = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    logoutTokens.push(new URLSearchParams(body).get('logout_token'));
    res.writeHead(200).end();
  });
});
await new Promise((r) => bc.listen(0, '127.0.0.1', r));
const BACKCHANNEL = `http://localhost:${bc.address().port}/backchannel`;

// 1. The operator registers the provincial portal.
const REDIRECT = `${BASE.replace('127.0.0.1', 'localhost')}/rp/callback`;
const AFTER_LOGOUT = `${BASE.replace('127.0.0.1', 'localhost')}/rp/signed-out`;
const op = browser();
await login(op, 'operator', 'Quan-Tri-Cong-2026');
const consolePage = await op('/console/sso');
const reg = await op('/console/sso', {
  method: 'POST',
  form: [
    ['csrf', field(consolePage.text, 'csrf')], ['client_id', 'cong.tinh.demo'], ['name', 'Cổng DVC tỉnh (thử nghiệm)'],
    ['kind', 'portal'], ['redirect_uris', REDIRECT], ['post_logout_uris', AFTER_LOGOUT],
    ['backchannel_logout_uri', BACKCHANNEL], ['scopes', 'openid'], ['scopes', 'profile'], ['scopes', 'email'],
    ['scopes', 'identity'], ['scopes', 'offline_access'], ['max_level', '2'],
  ],
});
assert.equal(reg.status, 200, reg.text.slice(0, 500));
const secret = reg.text.match(/<code>([^<]+)<\/code>/)[1];
ok(secret.length >= 40, 'a secret shown once');

// 2. Discovery with the certified client.
const config = await client.discovery(new URL(BASE), 'cong.tinh.demo', secret, undefined, {
  execute: [client.allowInsecureRequests],
});
ok(config.serverMetadata().issuer === BASE, 'issuer');

// 3. Authorization code + PKCE + nonce + acr.
const citizen = browser();
await login(citizen, 'nguyenvanan', 'Demo-Citizen-2026');
async function authorize(params, { consent = true } = {}) {
  const url = client.buildAuthorizationUrl(config, params);
  let r = await citizen(url.href);
  if (r.status === 200 && consent) {
    const form = {};
    for (const n of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'acr_values']) {
      form[n] = field(r.text, n) ?? '';
    }
    form.csrf = field(r.text, 'csrf');
    form.decision = 'allow';
    r = await citizen('/oidc/authorize', { method: 'POST', form });
  }
  return r;
}
const verifier = client.randomPKCECodeVerifier();
const challenge = await client.calculatePKCECodeChallenge(verifier);
const state = client.randomState();
const nonce = client.randomNonce();
const base = { redirect_uri: REDIRECT, scope: 'openid profile email offline_access', code_challenge: challenge, code_challenge_method: 'S256' };
let r = await authorize({ ...base, state, nonce, acr_values: 'urn:motcua:loa:1' });
assert.equal(r.status, 303, `consent: ${r.status} ${r.text.slice(0, 300)}`);
const callback = new URL(r.location);
const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
});
const idc = tokens.claims();
ok(idc.iss === BASE && idc.aud === 'cong.tinh.demo' && idc.nonce === nonce, 'ID token checked by openid-client');
ok(idc.acr === 'urn:motcua:loa:1', 'acr');
ok(typeof tokens.refresh_token === 'string', 'a refresh token with offline_access');

// 4. Userinfo.
const info = await client.fetchUserInfo(config, tokens.access_token, idc.sub);
ok(info.sub === idc.sub && info.name === 'Nguyễn Văn An' && info.email === 'an.nguyen@demo.motcua.localhost', 'userinfo');
ok(info.personal_id === undefined, 'identity not granted');

// 5. Refresh with rotation; the old one is then refused.
const again = await client.refreshTokenGrant(config, tokens.refresh_token);
ok(again.refresh_token && again.refresh_token !== tokens.refresh_token, 'rotated');
await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
checks++;
await assert.rejects(client.refreshTokenGrant(config, again.refresh_token), (e) => e.error === 'invalid_grant', 'the family ended');
checks++;

// 6. Introspection and revocation.
const fresh = await (async () => {
  const v = client.randomPKCECodeVerifier();
  const s = client.randomState();
  const r2 = await authorize({ ...base, code_challenge: await client.calculatePKCECodeChallenge(v), state: s });
  return client.authorizationCodeGrant(config, new URL(r2.location), { pkceCodeVerifier: v, expectedState: s });
})();
const intro = await client.tokenIntrospection(config, fresh.access_token);
ok(intro.active === true && intro.client_id === 'cong.tinh.demo', 'introspection');
await client.tokenRevocation(config, fresh.refresh_token);
await assert.rejects(client.refreshTokenGrant(config, fresh.refresh_token), (e) => e.error === 'invalid_grant', 'revoked');
checks++;

// 7. Negative cases.
// A reused code.
{
  const v = client.randomPKCECodeVerifier();
  const s = client.randomState();
  const r3 = await authorize({ ...base, code_challenge: await client.calculatePKCECodeChallenge(v), state: s });
  const cb = new URL(r3.location);
  await client.authorizationCodeGrant(config, cb, { pkceCodeVerifier: v, expectedState: s });
  await assert.rejects(client.authorizationCodeGrant(config, cb, { pkceCodeVerifier: v, expectedState: s }), (e) => e.error === 'invalid_grant');
  checks++;
}
// A PKCE mismatch.
{
  const v = client.randomPKCECodeVerifier();
  const s = client.randomState();
  const r4 = await authorize({ ...base, code_challenge: await client.calculatePKCECodeChallenge(v), state: s });
  await assert.rejects(
    client.authorizationCodeGrant(config, new URL(r4.location), { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: s }),
    (e) => e.error === 'invalid_grant',
  );
  checks++;
}
// A wrong redirect URI: the portal refuses, no redirect.
{
  const url = client.buildAuthorizationUrl(config, { ...base, redirect_uri: `${REDIRECT}/other`, state: 'x' });
  const r5 = await citizen(url.href);
  ok(r5.status === 400 && !r5.location, 'wrong redirect URI: no redirect');
}
// Claims it may not have.
{
  const url = client.buildAuthorizationUrl(config, { ...base, scope: 'openid phone', state: 'y' });
  const r6 = await citizen(url.href);
  ok(r6.status === 303 && new URL(r6.location).searchParams.get('error') === 'invalid_scope', 'a scope it may not have');
}
// A level above the session's: step up first.
{
  const url = client.buildAuthorizationUrl(config, { ...base, state: 'z', acr_values: 'urn:motcua:loa:2' });
  const r7 = await citizen(url.href);
  ok(r7.status === 303 && r7.location.startsWith('/auth/step-up?level=2'), 'step-up');
}
// An expired or forged access token at userinfo.
await assert.rejects(client.fetchUserInfo(config, `${tokens.access_token.slice(0, -4)}AAAA`, idc.sub));
checks++;

// RP-initiated logout: openid-client's end-session URL with the ID token.
{
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye',
  });
  ok(url.href.startsWith(`${BASE}/oidc/logout`), 'end_session_endpoint discovered');
  const r8 = await citizen(url.href);
  ok(r8.status === 303 && r8.location === `${AFTER_LOGOUT}?state=bye`, 'back to the portal with its state');
  const r9 = await citizen('/account');
  ok(r9.status === 303 && r9.location.startsWith('/login'), 'the session ended');
  // Back-channel: the portal receives a logout token it can verify.
  for (let i = 0; i < 100 && logoutTokens.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  ok(logoutTokens.length === 1, 'a back-channel logout token arrived');
  const jose = await import(new URL('../../jose/dist/webapi/index.js', new URL(`file://${process.env.OPENID_CLIENT}`)).href);
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload } = await jose.jwtVerify(logoutTokens[0], jwks, { issuer: BASE, audience: 'cong.tinh.demo', typ: 'logout+jwt' });
  ok(payload.sid === idc.sid && payload.sub === idc.sub && payload.events['http://schemas.openid.net/event/backchannel-logout'] && payload.nonce === undefined,
    'the logout token names the session (jose verified it)');
}
bc.close();

// A ministry's system authenticates with its key (private_key_jwt):
// openid-client signs the assertion.
{
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'sys-1', use: 'sig' };
  delete jwk.key_ops;
  delete jwk.ext;
  const page = await op('/console/sso');
  const r = await op('/console/sso', {
    method: 'POST',
    form: [
      ['csrf', field(page.text, 'csrf')], ['client_id', 'he-thong.demo'], ['name', 'Hệ thống chuyên ngành (thử nghiệm)'],
      ['kind', 'system'], ['agency_code', 'H29'], ['scopes', 'dossiers'], ['max_level', '1'],
      ['auth_method', 'private_key_jwt'], ['jwks', JSON.stringify({ keys: [jwk] })],
    ],
  });
  assert.equal(r.status, 200, r.text.slice(0, 500));
  const sys = await client.discovery(new URL(BASE), 'he-thong.demo', {}, client.PrivateKeyJwt({ key: privateKey, kid: 'sys-1' }), {
    execute: [client.allowInsecureRequests],
  });
  const t = await client.clientCredentialsGrant(sys, { scope: 'dossiers' });
  ok(typeof t.access_token === 'string' && t.token_type.toLowerCase() === 'bearer', 'client credentials with private_key_jwt');
  const wrongKey = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])).privateKey;
  const forged = await client.discovery(new URL(BASE), 'he-thong.demo', {}, client.PrivateKeyJwt({ key: wrongKey, kid: 'sys-1' }), {
    execute: [client.allowInsecureRequests],
  });
  await assert.rejects(client.clientCredentialsGrant(forged, { scope: 'dossiers' }), (e) => (e.status ?? e.response?.status) === 401);
  checks++;
}

console.log(`OK ${checks} checks`);
