import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { DEFAULT_CLAIM_NAMES } from './principal';
import { verifyAccessToken, type VerificationRules } from './token-verifier';

// Pure verification against an in-memory key set; auth.int-spec.ts does the same against the real issuer.
const ISSUER = 'http://issuer.test';
const rules: VerificationRules = {
  issuer: ISSUER,
  audience: 'fedops-api',
  tokenType: 'at+jwt',
  clockToleranceSeconds: 5,
  claimNames: DEFAULT_CLAIM_NAMES,
};

let signingKey: KeyLike;
let otherKey: KeyLike;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  ({ privateKey: signingKey } = await generateKeyPair('RS256'));
  ({ privateKey: otherKey } = await generateKeyPair('RS256'));
  const own = await publicJwkOf(signingKey);
  // A second published key, so the kid has to pick the right one.
  const second = await publicJwkOf((await generateKeyPair('RS256')).privateKey);
  jwks = createLocalJWKSet({
    keys: [
      { ...own, kid: 'k1', alg: 'RS256' },
      { ...second, kid: 'k2', alg: 'RS256' },
    ],
  });
});

async function publicJwkOf(privateKey: KeyLike): Promise<JWK> {
  const { n, e, kty } = await exportJWK(privateKey);
  return { n, e, kty };
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: 'fedops-api',
    sub: 'fedops-operator-acme',
    iat: now,
    exp: now + 300,
    roles: ['operator'],
    org: 'acme',
    ...overrides,
  };
}

function sign(
  payload: JWTPayload,
  opts: { key?: KeyLike; kid?: string; typ?: string } = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1', typ: opts.typ ?? 'at+jwt' })
    .sign(opts.key ?? signingKey);
}

async function rejection(token: string, r: VerificationRules = rules): Promise<string> {
  try {
    await verifyAccessToken(token, jwks, r);
  } catch (err) {
    if (!(err instanceof FedopsError)) throw err;
    expect(err.code).toBe(FedopsErrorCode.Unauthenticated);
    return err.message;
  }
  throw new Error('expected the token to be rejected');
}

describe('verifyAccessToken', () => {
  it('accepts a valid token and returns its principal', async () => {
    await expect(verifyAccessToken(await sign(claims()), jwks, rules)).resolves.toEqual({
      subject: 'fedops-operator-acme',
      roles: ['operator'],
      orgId: 'acme',
    });
  });

  it('names the reason of a rejection', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await rejection(await sign(claims({ exp: now - 60 })))).toBe('token expired');
    expect(await rejection(await sign(claims({ aud: 'another-api' })))).toBe('audience mismatch');
    expect(await rejection(await sign(claims({ iss: 'http://elsewhere.test' })))).toBe('issuer mismatch');
    expect(await rejection(await sign(claims({ nbf: now + 600 })))).toBe('token not yet valid');
    expect(await rejection(await sign(claims({ exp: undefined })))).toBe('token has no exp claim');
    expect(await rejection(await sign(claims(), { typ: 'JWT' }))).toBe('token type must be at+jwt');
    expect(await rejection(await sign(claims(), { key: otherKey }))).toBe('signature verification failed');
    expect(await rejection(await sign(claims(), { kid: 'unknown' }))).toBe(
      'token signed by an unknown key (not from the trusted issuer)',
    );
    expect(await rejection('not.a.jwt')).toBe('malformed token');
  });

  it('tolerates the configured clock skew only', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifyAccessToken(await sign(claims({ exp: now - 2 })), jwks, rules)).resolves.toMatchObject(
      { subject: 'fedops-operator-acme' },
    );
    expect(
      await rejection(await sign(claims({ exp: now - 2 })), { ...rules, clockToleranceSeconds: 0 }),
    ).toBe('token expired');
  });

  it('refuses unsigned and symmetric tokens', async () => {
    const payload = (await sign(claims())).split('.')[1] ?? '';
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    expect(await rejection(none)).toBe('signing algorithm not allowed');
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await rejection(hs)).toBe('signing algorithm not allowed');
  });

  it('refuses HMAC keyed with the published public key (algorithm confusion)', async () => {
    // The classic attack on verifiers that pick the algorithm from the token: sign HS256 with the
    // issuer's public key as the secret, which anyone can fetch from the JWKS.
    const publicJwk = await publicJwkOf(signingKey);
    for (const secret of [JSON.stringify(publicJwk), publicJwk.n ?? '']) {
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret));
      expect(await rejection(forged)).toBe('signing algorithm not allowed');
    }
  });

  it('accepts any typ when told to', async () => {
    await expect(
      verifyAccessToken(await sign(claims(), { typ: 'JWT' }), jwks, { ...rules, tokenType: null }),
    ).resolves.toMatchObject({ roles: ['operator'] });
  });

  it("reports a key set failure as internal, not as the caller's fault", async () => {
    const unreachable = (): Promise<KeyLike> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const err = await verifyAccessToken(await sign(claims()), unreachable, rules).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FedopsError);
    expect((err as FedopsError).code).toBe(FedopsErrorCode.Internal);
  });
});
