import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import {
  fetchToken,
  freePort,
  readIssuerSigningKey,
  startOidcIssuer,
  type OidcIssuerHandle,
} from '@fedops/testing';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { CurrentPrincipal, Public, Roles } from './auth.decorators';
import { AuthModule } from './auth.module';
import type { Principal } from './principal';
import { TokenVerifier } from './token-verifier';

// Against the real embedded issuer (tools/oidc-issuer) started as a child process.
const AUDIENCE = 'fedops-api';

const tempDirs: string[] = [];
const issuers: OidcIssuerHandle[] = [];

async function newIssuer(port?: number, dataDir?: string): Promise<OidcIssuerHandle> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'fedops-oidc-')));
  if (dataDir === undefined) tempDirs.push(dir);
  const issuer = await startOidcIssuer({ dataDir: dir, ...(port === undefined ? {} : { port }) });
  issuers.push(issuer);
  return issuer;
}

async function rejectionOf(verifier: TokenVerifier, token: string): Promise<FedopsError> {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FedopsError)) throw new Error(`expected a FedopsError, got ${String(err)}`);
  return err;
}

function tamper(token: string, part: 1 | 2, edit: (segment: string) => string): string {
  const parts = token.split('.');
  parts[part] = edit(parts[part] ?? '');
  return parts.join('.');
}

let issuer: OidcIssuerHandle;
let verifier: TokenVerifier;

beforeAll(async () => {
  issuer = await newIssuer();
  verifier = new TokenVerifier({ issuerUrl: issuer.issuerUrl, audience: AUDIENCE });
});

afterAll(async () => {
  await Promise.all(issuers.map((i) => i.stop()));
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tokens of the embedded issuer', () => {
  it('carry roles and org through to the principal', async () => {
    const [ops, acme, globex] = await Promise.all([
      fetchToken(issuer.issuerUrl, issuer.clients.ops),
      fetchToken(issuer.issuerUrl, issuer.clients.acme),
      fetchToken(issuer.issuerUrl, issuer.clients.globex),
    ]);
    expect(decodeProtectedHeader(acme)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(decodeJwt(acme)).toMatchObject({
      iss: issuer.issuerUrl,
      aud: AUDIENCE,
      client_id: 'fedops-operator-acme',
    });

    await expect(verifier.verify(ops)).resolves.toEqual({ subject: 'fedops-ops', roles: ['ops'] });
    await expect(verifier.verify(acme)).resolves.toEqual({
      subject: 'fedops-operator-acme',
      roles: ['operator'],
      orgId: 'acme',
    });
    await expect(verifier.verify(globex)).resolves.toEqual({
      subject: 'fedops-operator-globex',
      roles: ['operator'],
      orgId: 'globex',
    });
  });

  it('are refused to a client with a wrong secret', async () => {
    await expect(
      fetchToken(issuer.issuerUrl, { ...issuer.clients.acme, clientSecret: 'wrong' }),
    ).rejects.toThrow(/invalid_client/);
  });

  it('are rejected when the signature or the signed content was tampered with', async () => {
    const token = await fetchToken(issuer.issuerUrl, issuer.clients.acme);
    const flipped = tamper(token, 2, (sig) => (sig.startsWith('A') ? 'B' : 'A') + sig.slice(1));
    const otherOrg = tamper(token, 1, (payload) => {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      return Buffer.from(JSON.stringify({ ...claims, org: 'globex' })).toString('base64url');
    });
    for (const bad of [flipped, otherOrg]) {
      const err = await rejectionOf(verifier, bad);
      expect(err.code).toBe(FedopsErrorCode.Unauthenticated);
      expect(err.message).toBe('signature verification failed');
    }
  });

  it('are rejected once expired, though signed with the issuer key', async () => {
    // Minted with the issuer's own persisted key so that expiry is the only defect: the same claims
    // with a future exp pass, which shows the key, kid, iss, aud and typ are all right.
    const { kid, alg, jwk } = await readIssuerSigningKey(issuer.dataDir);
    const key = await importJWK(jwk, alg);
    const now = Math.floor(Date.now() / 1000);
    const mint = (exp: number): Promise<string> =>
      new SignJWT({ roles: ['operator'], org: 'acme', client_id: 'fedops-operator-acme' })
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .setIssuer(issuer.issuerUrl)
        .setAudience(AUDIENCE)
        .setSubject('fedops-operator-acme')
        .setIssuedAt(now - 3600)
        .setExpirationTime(exp)
        .sign(key);

    await expect(verifier.verify(await mint(now + 300))).resolves.toMatchObject({ orgId: 'acme' });
    const err = await rejectionOf(verifier, await mint(now - 60));
    expect(err.code).toBe(FedopsErrorCode.Unauthenticated);
    expect(err.message).toBe('token expired');
  });

  it('are rejected when they come from another issuer', async () => {
    const other = await newIssuer();
    const foreign = await fetchToken(other.issuerUrl, other.clients.ops);
    await expect(
      new TokenVerifier({ issuerUrl: other.issuerUrl, audience: AUDIENCE }).verify(foreign),
    ).resolves.toMatchObject({ roles: ['ops'] });

    const err = await rejectionOf(verifier, foreign);
    expect(err.code).toBe(FedopsErrorCode.Unauthenticated);
    expect(err.message).toBe('token signed by an unknown key (not from the trusted issuer)');
  });

  it('are rejected for another audience', async () => {
    const token = await fetchToken(issuer.issuerUrl, issuer.clients.ops);
    const err = await rejectionOf(
      new TokenVerifier({ issuerUrl: issuer.issuerUrl, audience: 'another-api' }),
      token,
    );
    expect(err.message).toBe('audience mismatch');
  });

  it('stay valid across an issuer restart (keys and secrets persist in the data dir)', async () => {
    const first = await newIssuer();
    const token = await fetchToken(first.issuerUrl, first.clients.acme);
    const port = Number(new URL(first.issuerUrl).port);
    await first.stop();

    const second = await newIssuer(port, first.dataDir);
    expect(second.issuerUrl).toBe(first.issuerUrl);
    expect(second.clients).toEqual(first.clients);
    const restartedVerifier = new TokenVerifier({ issuerUrl: second.issuerUrl, audience: AUDIENCE });
    await expect(restartedVerifier.verify(token)).resolves.toMatchObject({ orgId: 'acme' });
    await expect(
      restartedVerifier.verify(await fetchToken(second.issuerUrl, second.clients.acme)),
    ).resolves.toMatchObject({ orgId: 'acme' });
  });
});

describe('TokenVerifier discovery', () => {
  it('reports an unreachable issuer as internal and retries discovery on the next call', async () => {
    const port = await freePort();
    const lateVerifier = new TokenVerifier({ issuerUrl: `http://127.0.0.1:${port}`, audience: AUDIENCE });
    const early = await rejectionOf(lateVerifier, 'a.b.c');
    expect(early.code).toBe(FedopsErrorCode.Internal);
    expect(early.message).toMatch(/OIDC discovery of http:\/\/127\.0\.0\.1:\d+ failed/);

    const late = await newIssuer(port);
    await expect(
      lateVerifier.verify(await fetchToken(late.issuerUrl, late.clients.globex)),
    ).resolves.toMatchObject({ orgId: 'globex' });
  });
});

describe('AuthGuard over HTTP', () => {
  @Controller('probe')
  @Roles('ops')
  class ProbeController {
    @Get('ops-only')
    opsOnly(@CurrentPrincipal() principal: Principal): Principal {
      return principal;
    }

    @Get('any-role')
    @Roles('ops', 'operator')
    anyRole(@CurrentPrincipal() principal: Principal): Principal {
      return principal;
    }

    @Get('health')
    @Public()
    health(): { status: string } {
      return { status: 'ok' };
    }
  }

  @Module({})
  class ProbeModule {}

  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create(
      {
        module: ProbeModule,
        imports: [AuthModule.register({ issuerUrl: issuer.issuerUrl, audience: AUDIENCE })],
        controllers: [ProbeController],
        providers: [
          {
            provide: APP_FILTER,
            useValue: new ProblemDetailsFilter(new JsonLogger('tenant-api-test', 'error', () => undefined)),
          },
        ],
      },
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`${baseUrl}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it('answers 401 problem+json with a Bearer challenge without a valid token', async () => {
    const missing = await get('/probe/any-role');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);

    const garbage = await get('/probe/any-role', 'not-a-jwt');
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(await garbage.json()).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
      detail: 'Invalid access token: malformed token',
    });
  });

  it('answers 403 for a valid token without the required role', async () => {
    const res = await get('/probe/ops-only', await fetchToken(issuer.issuerUrl, issuer.clients.acme));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'FORBIDDEN',
      detail: 'This operation requires role ops; the token has roles: operator',
    });
  });

  it('hands the principal to the route', async () => {
    const acme = await get('/probe/any-role', await fetchToken(issuer.issuerUrl, issuer.clients.acme));
    expect(acme.status).toBe(200);
    expect(await acme.json()).toEqual({
      subject: 'fedops-operator-acme',
      roles: ['operator'],
      orgId: 'acme',
    });
    const ops = await get('/probe/ops-only', await fetchToken(issuer.issuerUrl, issuer.clients.ops));
    expect(await ops.json()).toEqual({ subject: 'fedops-ops', roles: ['ops'] });
  });

  it('lets @Public() routes through without a token', async () => {
    const res = await get('/probe/health');
    expect(res.status).toBe(200);
  });
});
