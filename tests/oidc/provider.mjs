// A real OpenID Connect provider for Lockgate's OIDC tests: panva's oidc-provider (MIT), on
// 127.0.0.1 only, configured from a JSON file written by tests/fixtures/oidc_provider.py.
//
//   node tests/oidc/provider.mjs <config.json>
//
// config.json: { "port": 0 | <port>, "keysFile": "<path>", "clients": [...], "accounts": {id: claims} }
// Port 0 takes a free port; the issuer is http://127.0.0.1:<port>. The signing key (RS256) is read
// from keysFile, or made and written there when the file is missing: restarting on the same port
// after deleting the file is a key rotation. Sign-in uses the provider's development interactions
// (a login form taking an account id, then a consent form). One JSON line on stdout says it is
// ready: {"ready": true, "issuer": ..., "port": ...}.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function signingKeys(path) {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  const keys = { keys: [jwk] };
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port || 0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
const accounts = config.accounts;

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: signingKeys(config.keysFile),
  features: { devInteractions: { enabled: true } },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  cookies: { keys: [randomUUID()] },
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
});
// Development warnings go to stderr; the fixture keeps them in its log.
server.on('request', provider.callback());
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
process.stdout.write(`${JSON.stringify({ ready: true, issuer, port })}\n`);
