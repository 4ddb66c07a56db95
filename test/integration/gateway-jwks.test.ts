// Tokens signed with RSA, ECDSA and Ed25519 keys, verified by jose through a local JWKS server and
// static PEM keys, with the real client: accepted when key, audience and issuer match, refused
// otherwise; the JWKS cache is keyed by endpoint and kid.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { JwksCache, TokenVerifier, InvalidTokenError, verifyConnectToken } from '../../src/gateway/index.js';
import { EMPTY_TOKEN_VERIFICATION } from '../../src/config/index.js';
import { newClient, nextEvent, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** A JWKS endpoint serving `keys`; counts its fetches. */
async function startJwks(keys: () => JWK[]): Promise<{ url: string; fetches: () => number; server: Server }> {
  let count = 0;
  const server = createServer((_req, res) => {
    count++;
    const body = JSON.stringify({ keys: keys() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, fetches: () => count, server };
}

async function jwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
}

function sign(pair: KeyPair, alg: string, kid: string | undefined, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, ...(kid !== undefined ? { kid } : {}) })
    .setExpirationTime('1h')
    .sign(pair.privateKey);
}

/** The close code (or connect error code) the real client ends with, or 0 when it connected. */
async function connectOutcome(url: string, token: string): Promise<number> {
  const c = newClient(url, 'json', { token });
  const outcome = Promise.race([
    nextEvent(c, 'connected').then(() => 0),
    nextEvent<{ code: number }>(c, 'disconnected').then((d) => d.code),
  ]);
  c.connect();
  const code = await outcome;
  c.disconnect();
  return code;
}

void describe('JWKS and asymmetric connection tokens', () => {
  let rsa: KeyPair;
  let ec: KeyPair;
  let ed: KeyPair;
  let stranger: KeyPair;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let published: JWK[] = [];
  let gw: TestGateway;

  before(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    ed = await generateKeyPair('EdDSA');
    stranger = await generateKeyPair('RS256');
    published = [await jwk(rsa, 'rsa-1', 'RS256'), await jwk(ec, 'ec-1', 'ES256'), await jwk(ed, 'ed-1', 'EdDSA')];
    jwks = await startJwks(() => published);
    gw = await startTestGateway(
      {},
      {
        configFile: { client: { token: { jwks_public_endpoint: jwks.url, audience: 'chat-app', issuer: 'https://id.example' } } },
      },
    );
  });
  after(async () => {
    await gw.close();
    jwks.server.close();
  });

  const good = { sub: 'u1', aud: 'chat-app', iss: 'https://id.example' };

  void it('RS256, ES256 and EdDSA tokens from the JWKS are accepted', async () => {
    assert.equal(await connectOutcome(gw.wsUrl, await sign(rsa, 'RS256', 'rsa-1', good)), 0);
    assert.equal(await connectOutcome(gw.wsUrl, await sign(ec, 'ES256', 'ec-1', good)), 0);
    assert.equal(await connectOutcome(gw.wsUrl, await sign(ed, 'EdDSA', 'ed-1', good)), 0);
  });

  void it('a wrong audience, a wrong issuer, an unknown key or an HMAC token are refused with 3500', async () => {
    assert.equal(await connectOutcome(gw.wsUrl, await sign(rsa, 'RS256', 'rsa-1', { ...good, aud: 'other-app' })), 3500);
    assert.equal(await connectOutcome(gw.wsUrl, await sign(rsa, 'RS256', 'rsa-1', { ...good, iss: 'https://evil.example' })), 3500);
    assert.equal(await connectOutcome(gw.wsUrl, await sign(stranger, 'RS256', 'rsa-1', good)), 3500);
    assert.equal(await connectOutcome(gw.wsUrl, await sign(stranger, 'RS256', 'unknown-kid', good)), 3500);
    const hmac = await new SignJWT(good).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('guess'));
    assert.equal(await connectOutcome(gw.wsUrl, hmac), 3500);
  });

  void it('an unknown kid refetches the key set, at most once per cooldown', async () => {
    const cache = new JwksCache({ cooldownMs: 60_000 });
    const v = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, jwksPublicEndpoint: jwks.url }, cache);
    const before = jwks.fetches();
    await v.verify(await sign(rsa, 'RS256', 'rsa-1', { sub: 'a' }), Date.now());
    assert.equal(jwks.fetches(), before + 1);
    const rotated = await generateKeyPair('RS256');
    published = [...published, await jwk(rotated, 'rsa-2', 'RS256')];
    // The first fetch is younger than the cooldown, so the unknown kid is not fetched again yet.
    await assert.rejects(v.verify(await sign(rotated, 'RS256', 'rsa-2', { sub: 'a' }), Date.now()), InvalidTokenError);
    assert.equal(jwks.fetches(), before + 1);
    const eager = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, jwksPublicEndpoint: jwks.url }, new JwksCache({ cooldownMs: 0 }));
    await eager.verify(await sign(rsa, 'RS256', 'rsa-1', { sub: 'a' }), Date.now());
    assert.equal((await eager.verify(await sign(rotated, 'RS256', 'rsa-2', { sub: 'b' }), Date.now()))['sub'], 'b');
  });

  void it('the cache is keyed by endpoint and kid: a kid of another endpoint never verifies', async () => {
    const other = await generateKeyPair('RS256');
    const keysB = [await jwk(other, 'rsa-1', 'RS256')];
    const b = await startJwks(() => keysB);
    try {
      const cache = new JwksCache({ cooldownMs: 0 });
      const forA = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, jwksPublicEndpoint: jwks.url }, cache);
      const forB = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, jwksPublicEndpoint: b.url }, cache);
      const tokenB = await sign(other, 'RS256', 'rsa-1', { sub: 'from-b' });
      assert.equal((await forB.verify(tokenB, Date.now()))['sub'], 'from-b');
      await assert.rejects(forA.verify(tokenB, Date.now()), InvalidTokenError, 'same kid, other endpoint: refused');
      const tokenA = await sign(rsa, 'RS256', 'rsa-1', { sub: 'from-a' });
      assert.equal((await forA.verify(tokenA, Date.now()))['sub'], 'from-a');
      await assert.rejects(forB.verify(tokenA, Date.now()), InvalidTokenError, 'and the other way round');
    } finally {
      b.server.close();
    }
  });

  void it('audience_regex, issuer_regex and user_id_claim', async () => {
    const v = new TokenVerifier({
      ...EMPTY_TOKEN_VERIFICATION,
      jwksPublicEndpoint: jwks.url,
      audienceRegex: '^app-\\d+$',
      issuerRegex: '^https://id\\.',
      userIdClaim: 'uid',
    });
    const ok = await sign(rsa, 'RS256', 'rsa-1', { uid: 'u-7', aud: ['other', 'app-12'], iss: 'https://id.example' });
    assert.equal((await verifyConnectToken(ok, v, Date.now())).user, 'u-7');
    await assert.rejects(
      v.verify(await sign(rsa, 'RS256', 'rsa-1', { aud: 'app-x', iss: 'https://id.example' }), Date.now()),
      InvalidTokenError,
    );
    await assert.rejects(
      v.verify(await sign(rsa, 'RS256', 'rsa-1', { aud: 'app-1', iss: 'https://evil.example' }), Date.now()),
      InvalidTokenError,
    );
  });

  void it('a JWKS endpoint that is down gives the client a temporary error 100, not an invalid-token close', async () => {
    const closed = await startJwks(() => []);
    const url = closed.url;
    await new Promise<void>((r) => closed.server.close(() => r()));
    const down = await startTestGateway({}, { configFile: { client: { token: { jwks_public_endpoint: url } } } });
    try {
      const c = newClient(down.wsUrl, 'json', { token: await sign(rsa, 'RS256', 'rsa-1', { sub: 'u' }) });
      const error = nextEvent<{ error: { code: number; temporary?: boolean } }>(c, 'error');
      c.connect();
      const e = await error;
      assert.deepEqual([e.error.code, e.error.temporary], [100, true]);
      assert.equal(c.state, 'connecting');
      c.disconnect();
    } finally {
      await down.close();
    }
  });

  void it('static PEM keys verify RS256/PS256 and ES384 tokens; the algorithm must fit the key type', async () => {
    const rsaPem = await exportSPKI(rsa.publicKey);
    const ec384 = await generateKeyPair('ES384');
    const v = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, rsaPublicKey: rsaPem, ecdsaPublicKey: await exportSPKI(ec384.publicKey) });
    assert.equal((await v.verify(await sign(rsa, 'RS256', undefined, { sub: 'r' }), Date.now()))['sub'], 'r');
    const psPair = await generateKeyPair('PS256', { extractable: true });
    const psVerifier = new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, rsaPublicKey: await exportSPKI(psPair.publicKey) });
    const ps = await new SignJWT({ sub: 'p' }).setProtectedHeader({ alg: 'PS256' }).sign(psPair.privateKey);
    assert.equal((await psVerifier.verify(ps, Date.now()))['sub'], 'p');
    assert.equal((await v.verify(await sign(ec384, 'ES384', undefined, { sub: 'e' }), Date.now()))['sub'], 'e');
    // HS256 signed with the RSA public key text (the classic confusion attack) finds no HMAC key.
    const confused = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(rsaPem));
    await assert.rejects(
      v.verify(confused, Date.now()),
      (err: unknown) => err instanceof InvalidTokenError && err.reason === 'unsupported algorithm',
    );
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"n"}').toString('base64url')}.`;
    await assert.rejects(v.verify(none, Date.now()), InvalidTokenError);
  });
});
