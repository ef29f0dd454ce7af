import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FedopsError } from '@fedops/domain';
import { waitFor } from '@fedops/testing';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { TokenVerifier } from './token-verifier';

/**
 * Key rotation against a small issuer served here (discovery and JWKS over HTTP), so that the key
 * set it publishes and the number of times it is fetched are under the test's control.
 */
describe('TokenVerifier and a rotating JWKS', () => {
  const COOLDOWN_MS = 1_000;
  let server: Server;
  let issuer: string;
  let published: JWK[] = [];
  let jwksFetches = 0;
  const keys = new Map<string, KeyLike>();

  async function addKey(kid: string): Promise<JWK> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    keys.set(kid, privateKey);
    return { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  }

  function token(kid: string): Promise<string> {
    const key = keys.get(kid);
    if (key === undefined) throw new Error(`no key ${kid}`);
    return new SignJWT({ roles: ['ops'] })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience('fedops-api')
      .setSubject('fedops-ops')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  }

  async function rejection(verifier: TokenVerifier, jwt: string): Promise<string> {
    const err = await verifier.verify(jwt).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof FedopsError)) throw new Error(`expected a rejection, got ${String(err)}`);
    return err.message;
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
      } else if (req.url === '/jwks') {
        jwksFetches += 1;
        res.end(JSON.stringify({ keys: published }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches the key set again for a new key id, at most once per cooldown', async () => {
    // Keys made up front, so that the cooldown is not spent generating them.
    const [k1, k2] = [await addKey('k1'), await addKey('k2')];
    await addKey('never-published');
    const bogus = await token('never-published');
    const rotated = await token('k2');
    published = [k1];
    const verifier = new TokenVerifier({
      issuerUrl: issuer,
      audience: 'fedops-api',
      jwksCooldownMs: COOLDOWN_MS,
    });
    await expect(verifier.verify(await token('k1'))).resolves.toMatchObject({ roles: ['ops'] });
    expect(jwksFetches).toBe(1);

    // The issuer rotates: k2 signs from now on, k1 is still published for tokens in flight.
    published = [k2, k1];
    // Within the cooldown the cached set is used and the token's key is unknown.
    expect(await rejection(verifier, rotated)).toBe(
      'token signed by an unknown key (not from the trusted issuer)',
    );
    expect(jwksFetches).toBe(1);

    // Once the cooldown has passed, the unknown key id makes the verifier fetch the set again.
    await waitFor(() => verifier.verify(rotated).then(() => true), {
      description: 'the rotated key to be accepted',
      timeoutMs: 10 * COOLDOWN_MS,
      intervalMs: 200,
    });
    expect(jwksFetches).toBe(2);
    await expect(verifier.verify(await token('k1'))).resolves.toMatchObject({ subject: 'fedops-ops' });

    // Tokens naming keys that are never published cannot make it fetch more than once per cooldown.
    const started = Date.now();
    for (let i = 0; i < 20; i += 1) {
      expect(await rejection(verifier, bogus)).toBe(
        'token signed by an unknown key (not from the trusted issuer)',
      );
    }
    const cooldownsElapsed = Math.floor((Date.now() - started) / COOLDOWN_MS) + 1;
    expect(jwksFetches - 2).toBeLessThanOrEqual(cooldownsElapsed);
  });
});
