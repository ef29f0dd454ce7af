import {
  DEVICE_CODE_GRANT,
  OAuthError,
  clientCredentialsToken,
  discoverIssuer,
  pollDeviceToken,
  startDeviceAuthorization,
  type IssuerMetadata,
} from './oidc';
import { fakeIo, json } from './testing/fake-io';

const meta: IssuerMetadata = {
  issuer: 'http://id.example',
  token_endpoint: 'http://id.example/token',
  device_authorization_endpoint: 'http://id.example/device/auth',
};

describe('OIDC discovery', () => {
  it('reads the OpenID configuration, else the RFC 8414 document', async () => {
    const io = fakeIo((req) =>
      req.url.pathname === '/.well-known/oauth-authorization-server/tenant'
        ? json(200, { issuer: 'http://id.example/tenant', token_endpoint: 'http://id.example/tenant/token' })
        : json(404, {}),
    );
    const found = await discoverIssuer(io, 'http://id.example/tenant/');
    expect(found.token_endpoint).toBe('http://id.example/tenant/token');
    expect(io.requests.map((r) => r.url.href)).toEqual([
      'http://id.example/tenant/.well-known/openid-configuration',
      'http://id.example/.well-known/oauth-authorization-server/tenant',
    ]);
  });

  it('says so when the URL is no issuer', async () => {
    const io = fakeIo(() => new Response('<html>', { status: 200 }));
    await expect(discoverIssuer(io, 'http://www.example')).rejects.toThrow(
      /not an OpenID Connect or OAuth issuer/,
    );
  });
});

describe('client credentials', () => {
  it('authenticates the client with HTTP Basic (form-encoded id and secret) and returns the token', async () => {
    const io = fakeIo(() => json(200, { access_token: 'AT', token_type: 'Bearer', expires_in: 600 }));
    const tokens = await clientCredentialsToken(io, meta, { id: 'fedops-ops', secret: 's:e/cret' });
    expect(tokens.access_token).toBe('AT');
    const req = io.requests[0]!;
    expect(req.body).toBe('grant_type=client_credentials');
    expect(Buffer.from(req.headers.get('authorization')!.slice(6), 'base64').toString()).toBe(
      'fedops-ops:s%3Ae%2Fcret',
    );
  });

  it('reports the issuer’s OAuth error (exit 3)', async () => {
    const io = fakeIo(() =>
      json(401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    );
    const err = await clientCredentialsToken(io, meta, { id: 'x', secret: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).message).toBe(
      'the client credentials grant for x was refused: invalid_client (client authentication failed)',
    );
    expect((err as OAuthError).exitCode).toBe(3);
  });
});

describe('device flow (RFC 8628)', () => {
  it('asks for a code, then polls while pending, slows down when told, and returns the token', async () => {
    const answers = [
      json(400, { error: 'authorization_pending' }),
      json(400, { error: 'slow_down' }),
      json(400, { error: 'authorization_pending' }),
      json(200, { access_token: 'AT', refresh_token: 'RT', token_type: 'Bearer' }),
    ];
    const io = fakeIo((req) =>
      req.url.pathname === '/device/auth'
        ? json(200, {
            device_code: 'DC',
            user_code: 'ABCD-EFGH',
            verification_uri: 'http://id.example/device',
            expires_in: 600,
            interval: 2,
          })
        : (answers.shift() ?? json(500, {})),
    );
    const device = await startDeviceAuthorization(io, meta, 'fedops-cli', 'fedops');
    expect(io.requests[0]?.body).toBe('client_id=fedops-cli&scope=fedops');
    const tokens = await pollDeviceToken(io, meta, 'fedops-cli', device);
    expect(tokens).toMatchObject({ access_token: 'AT', refresh_token: 'RT' });
    expect(io.slept).toEqual([2000, 2000, 7000, 7000]);
    expect(new URLSearchParams(io.requests[1]?.body)).toEqual(
      new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: 'DC', client_id: 'fedops-cli' }),
    );
  });

  it('ends on a denied or expired code', async () => {
    const device = {
      device_code: 'DC',
      user_code: 'U',
      verification_uri: 'http://v',
      expires_in: 600,
      interval: 1,
    };
    await expect(
      pollDeviceToken(
        fakeIo(() => json(400, { error: 'access_denied' })),
        meta,
        'c',
        device,
      ),
    ).rejects.toThrow('the login was denied');
    await expect(
      pollDeviceToken(
        fakeIo(() => json(400, { error: 'authorization_pending' })),
        meta,
        'c',
        { ...device, expires_in: 3 },
      ),
    ).rejects.toThrow('the code expired before it was confirmed');
  });

  it('says the issuer has no device flow when it advertises none', async () => {
    const io = fakeIo(() => json(500, {}));
    await expect(
      startDeviceAuthorization(io, { issuer: 'http://id', token_endpoint: 'http://id/token' }, 'fedops-cli'),
    ).rejects.toThrow('the issuer http://id has no device flow (no device_authorization_endpoint)');
    expect(io.requests).toHaveLength(0);
  });
});
