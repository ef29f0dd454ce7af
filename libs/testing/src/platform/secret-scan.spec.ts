import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordApiResponse, recordMintedSecret, startApiRecording, stopApiRecording } from './api-recording';
import { ensureDatabasePasswords, ensurePlatformSecrets } from './platform-keys';
import {
  jwtNeedle,
  platformKeySecrets,
  scanRunForSecrets,
  secretsLeakedError,
  type KnownSecret,
} from './secret-scan';

const PASSWORD = 'c2VjcmV0LXBhc3N3b3JkLW9mLXRoZS10ZXN0';
const SECRETS: KnownSecret[] = [
  { name: 'database password of role fedops_x_dns', needles: [PASSWORD] },
  { name: 'short one', needles: ['abc'] },
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fedops-secret-scan-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scanRunForSecrets', () => {
  it('finds a secret planted in a log file, an API answer and an event, by file and line', async () => {
    const log = join(dir, 'dns.log');
    await writeFile(log, `{"msg":"ready"}\n{"msg":"connecting","url":"postgres://dns:${PASSWORD}@db/x"}\n`);
    const responses = join(dir, 'api-responses.jsonl');
    const answer = (body: string): string =>
      `${JSON.stringify({ method: 'GET', path: '/v1/tenants', status: 200, body })}\n`;
    await writeFile(responses, answer('{"items":[]}') + answer(JSON.stringify({ leaked: PASSWORD })));
    const events = [
      { subject: 'fedops.t1.machine.created', seq: 7, data: Buffer.from('{"kind":"machine.created"}') },
      { subject: 'fedops.t1.dns.records.applied', seq: 8, data: Buffer.from(`{"key":"${PASSWORD}"}`) },
    ];

    const findings = await scanRunForSecrets({
      logFiles: [log, join(dir, 'never-written.log')],
      responsesFile: responses,
      events,
      secrets: SECRETS,
    });

    expect(findings).toEqual([
      { secret: 'database password of role fedops_x_dns', where: `${log}:2` },
      {
        secret: 'database password of role fedops_x_dns',
        where: `${responses}:2 (the answer to GET /v1/tenants, 200)`,
      },
      {
        secret: 'database password of role fedops_x_dns',
        where: 'event fedops.t1.dns.records.applied (stream sequence 8)',
      },
    ]);
    const error = secretsLeakedError('lifecycle', findings);
    expect(error.message).toMatch(/^Secrets of test platform lifecycle leaked .* \(3 findings\):\n/);
    expect(error.message).toContain(`database password of role fedops_x_dns: ${log}:2`);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('finds nothing in a clean run, and ignores needles too short to mean anything', async () => {
    const log = join(dir, 'tenant-api.log');
    await writeFile(log, '{"msg":"abc abc abc"}\n');
    expect(await scanRunForSecrets({ logFiles: [log], secrets: SECRETS })).toEqual([]);
  });

  it('exempts the answer that shows a new API token from that token, and only from it', async () => {
    const apiUrl = 'http://127.0.0.1:1';
    const recording = startApiRecording(apiUrl, join(dir, 'api-responses.jsonl'));
    try {
      const secret = 'A'.repeat(20) + 'minted-token-secret';
      const token = { name: 'API token 0123', needles: [secret] };
      recordMintedSecret(apiUrl, token);
      const shown = JSON.stringify({ token: `fdo_0123_${secret}` });
      recordApiResponse(apiUrl, {
        method: 'POST',
        path: '/v1/tokens',
        status: 201,
        body: shown,
        shows: [token.name],
      });
      recordApiResponse(apiUrl, { method: 'GET', path: '/v1/tokens', status: 200, body: shown });
      recordApiResponse(apiUrl, {
        method: 'POST',
        path: '/v1/tokens',
        status: 201,
        body: `${shown} ${PASSWORD}`,
        shows: [token.name],
      });
      recordApiResponse('http://127.0.0.1:2', { method: 'GET', path: '/', status: 200, body: PASSWORD });

      const findings = await scanRunForSecrets({
        logFiles: [],
        responsesFile: recording.responsesFile,
        secrets: [...SECRETS, ...recording.minted],
      });
      expect(findings.map((f) => `${f.secret} @ ${f.where.replace(dir, '<dir>')}`)).toEqual([
        'API token 0123 @ <dir>/api-responses.jsonl:2 (the answer to GET /v1/tokens, 200)',
        'database password of role fedops_x_dns @ <dir>/api-responses.jsonl:3 (the answer to POST /v1/tokens, 201)',
      ]);
    } finally {
      stopApiRecording(apiUrl);
    }
  });
});

describe('platformKeySecrets', () => {
  it("knows the data dir's database passwords, secret key and SSH private key, not the public key", async () => {
    const keys = join(dir, 'keys');
    const passwords = await ensureDatabasePasswords(join(keys, 'database'), ['fedops_x_dns']);
    const platform = await ensurePlatformSecrets(keys);
    const secrets = await platformKeySecrets(dir);
    expect(secrets.map((s) => s.name)).toEqual([
      'database password of role fedops_x_dns',
      'secret key (FEDOPS_SECRET_KEY)',
      'SSH private key (keys/id_ed25519)',
    ]);

    const log = join(dir, 'logs', 'deployer.log');
    await mkdir(join(dir, 'logs'));
    await writeFile(log, `${await readFile(platform.sshPublicKeyFile, 'utf8')}`);
    await appendFile(log, `{"password":"${passwords['fedops_x_dns'] ?? ''}"}\n`);
    await appendFile(log, `${JSON.stringify({ key: await readFile(platform.sshPrivateKeyFile, 'utf8') })}\n`);
    await appendFile(log, `{"env":{"FEDOPS_SECRET_KEY":"${platform.secretKey}"}}\n`);
    const findings = await scanRunForSecrets({ logFiles: [log], secrets });
    expect(findings.map((f) => `${f.where.replace(log, 'log')} ${f.secret}`)).toEqual([
      'log:2 database password of role fedops_x_dns',
      'log:3 SSH private key (keys/id_ed25519)',
      'log:4 secret key (FEDOPS_SECRET_KEY)',
    ]);
  });

  it('knows nothing of a data dir without keys', async () => {
    expect(await platformKeySecrets(dir)).toEqual([]);
  });
});

describe('jwtNeedle', () => {
  it("is a JWT's signature", () => {
    expect(jwtNeedle('eyJh.eyJz.c2lnbmF0dXJl')).toBe('c2lnbmF0dXJl');
  });
});
