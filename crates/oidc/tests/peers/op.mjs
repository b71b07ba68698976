// An independent OpenID Provider for motcua-oidc's tests: npm oidc-provider
// v9 with its development login and consent pages (devInteractions).
//
// Environment:
//   OP_PORT      port on 127.0.0.1 (required)
//   OP_REDIRECT  the relying party's redirect_uri (required)
//   OP_KID       kid of the signing key (default "key-a")
//   OP_ALG       ID token algorithm: RS256, PS256 or ES256 (default RS256)
//   OP_ACR       acr put in every login (default "urn:motcua:test:level-2")
//   OP_MODULE    path of oidc-provider's lib/index.js (default: resolve the
//                package "oidc-provider" from this file's folder upwards)
//
// A fresh key is generated at every start, so restarting with another
// OP_KID is a key rotation. Prints READY <issuer> once listening.
import { generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(
  process.env.OP_MODULE ? pathToFileURL(process.env.OP_MODULE).href : 'oidc-provider'
);

const port = Number(process.env.OP_PORT);
const redirect = process.env.OP_REDIRECT;
if (!port || !redirect) {
  console.error('OP_PORT and OP_REDIRECT are required');
  process.exit(2);
}
const kid = process.env.OP_KID || 'key-a';
const alg = process.env.OP_ALG || 'RS256';
const acr = process.env.OP_ACR || 'urn:motcua:test:level-2';
const issuer = `http://127.0.0.1:${port}`;

function signingKey() {
  const { privateKey } = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg };
}

// The people the dev login page accepts (login = the account id, any password).
const accounts = {
  'citizen-001': {
    name: 'Nguyễn Văn An',
    birthdate: '1985-03-12',
    personal_id: '001085012345',
  },
  'org-0100100079': {
    name: 'Công ty Cổ phần Hòa Phát',
    tax_code: '0100100079',
  },
};

const configuration = {
  clients: [{
    client_id: 'motcua',
    client_secret: 'motcua-test-secret',
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: alg,
  }],
  jwks: { keys: [signingKey()] },
  cookies: { keys: ['motcua-oidc-test-cookie-key'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
  },
  acrValues: [acr],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: ['name', 'birthdate', 'personal_id', 'tax_code'],
  },
  async findAccount(_ctx, sub) {
    const claims = accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
};

const provider = new Provider(issuer, configuration);

// devInteractions finishes a login with only the account id; give every
// login this provider's acr, as a real e-ID would its assurance level.
const interactionResult = provider.interactionResult.bind(provider);
provider.interactionResult = (req, res, result, options) => {
  if (result && result.login) {
    result.login.acr = acr;
  }
  return interactionResult(req, res, result, options);
};

provider.on('server_error', (_ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
