import { ProviderError } from '../provider-error';
import { parseHttpFailure, taskFailure, toProviderError } from './proxmox-errors';

const ENDPOINT = 'Proxmox VE at https://pve.example:8006';
const URL = 'https://pve.example:8006/api2/json/nodes/pve1/qemu/9000/clone';

/** The error text proxmox-api 1.1.1 throws for 400, 401 and 500 answers. */
function apiError(status: number, reason: string, body: unknown): Error {
  return new Error(`POST ${URL} return Error ${status} ${reason}: ${JSON.stringify(body)}`);
}

/** ... and for any other status. */
function otherStatus(status: number, reason: string, body: unknown): Error {
  return new Error(`GET ${URL} connection failed with ${status} ${reason} return: ${JSON.stringify(body)}`);
}

function refusal(err: unknown) {
  const mapped = toProviderError(err, 'clone', ENDPOINT);
  expect(mapped).toBeInstanceOf(ProviderError);
  return mapped.refusal;
}

describe('Proxmox error mapping', () => {
  it('reads status, reason phrase and body back out of a proxmox-api error', () => {
    const failure = parseHttpFailure(
      apiError(500, 'VM is locked (clone)', { data: null, message: 'VM is locked (clone)\n' }).message,
    );
    expect(failure).toEqual({
      method: 'POST',
      url: URL,
      status: 500,
      reason: 'VM is locked (clone)',
      message: 'VM is locked (clone)',
    });
  });

  it('keeps a reason phrase that itself contains ": {"', () => {
    const failure = parseHttpFailure(
      apiError(500, 'odd: {x}', { data: null, message: 'odd: {x}\n' }).message,
    );
    expect(failure).toMatchObject({ reason: 'odd: {x}', message: 'odd: {x}' });
  });

  it('locks, duplicate VMIDs and lock timeouts are retryable 500s', () => {
    expect(
      refusal(apiError(500, 'VM is locked (clone)', { data: null, message: 'VM is locked (clone)\n' })),
    ).toEqual({
      status: 500,
      message: 'VM is locked (clone)',
      retryable: true,
    });
    expect(
      refusal(apiError(500, 'unable to create VM 101: config file already exists', { data: null })).retryable,
    ).toBe(true);
    expect(
      refusal(
        apiError(500, "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout", { data: null }),
      ).retryable,
    ).toBe(true);
  });

  it('refusals no retry changes are not retryable', () => {
    for (const reason of [
      "Configuration file 'nodes/pve1/qemu-server/9999.conf' does not exist",
      "can't clone to non-shared storage 'local-lvm'",
      "you can't start a vm if it's a template",
      'shrinking disks is not supported',
      'SSH public key validation error',
    ]) {
      expect({
        reason,
        retryable: refusal(apiError(500, reason, { data: null, message: `${reason}\n` })).retryable,
      }).toEqual({
        reason,
        retryable: false,
      });
    }
  });

  it('parameter verification lists the parameters; not retryable, except a nextid race', () => {
    const bad = refusal(
      apiError(400, 'Parameter verification failed.', {
        data: null,
        message: 'Parameter verification failed.\n',
        errors: { newid: 'invalid format - value does not look like a valid VM ID\n' },
      }),
    );
    expect(bad).toEqual({
      status: 400,
      message:
        'Parameter verification failed. (newid: invalid format - value does not look like a valid VM ID)',
      retryable: false,
    });
    const raced = refusal(
      apiError(400, 'Parameter verification failed.', {
        data: null,
        errors: { vmid: 'VM 101 already exists' },
      }),
    );
    expect(raced.retryable).toBe(true);
  });

  it('401 (no body, no Content-Type) carries the reason phrase and is not retryable', () => {
    expect(refusal(apiError(401, 'Authentication failed!', { data: null, errors: '' }))).toEqual({
      status: 401,
      message: 'Authentication failed!',
      retryable: false,
    });
  });

  it('other statuses: 503 retryable, 501 and 403 not', () => {
    expect(
      refusal(otherStatus(503, 'too many requests', { data: null, message: 'too many requests\n' })),
    ).toEqual({
      status: 503,
      message: 'too many requests',
      retryable: true,
    });
    expect(refusal(otherStatus(501, "Method 'GET /nodez' not implemented", { data: null })).retryable).toBe(
      false,
    );
    expect(
      refusal(otherStatus(403, 'Permission check failed (/vms/101, VM.Allocate)', { data: null })).retryable,
    ).toBe(false);
  });

  it('an answer that never came is a retryable network error naming the endpoint and the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8006'), { code: 'ECONNREFUSED' });
    const err = Object.assign(
      new Error(`FaILED to call GET ${URL} cause by:connect ECONNREFUSED 10.0.0.1:8006`),
      {
        cause: new TypeError('fetch failed', { cause }),
      },
    );
    expect(refusal(err)).toEqual({
      message: `cannot reach ${ENDPOINT}: fetch failed: connect ECONNREFUSED 10.0.0.1:8006 (ECONNREFUSED)`,
      retryable: true,
    });
  });

  it('passes ProviderErrors through unchanged', () => {
    const original = new ProviderError('proxmox', { message: 'x', retryable: true });
    expect(toProviderError(original, 'clone', ENDPOINT)).toBe(original);
  });

  it('a failed task carries its exit status as code; retryable unless structural', () => {
    const upid = 'UPID:pve1:00001234:0012ABCD:65A1B2C3:qmclone:9000:fedops@pve!provisioner:';
    expect(
      taskFailure('clone failed: rbd error: (2) No such file or directory', upid, 'clone').refusal,
    ).toEqual({
      code: 'clone failed: rbd error: (2) No such file or directory',
      message: `task ${upid} failed`,
      retryable: true,
    });
    expect(taskFailure('VM is locked (clone)', upid, 'start').refusal.retryable).toBe(true);
    expect(taskFailure("you can't start a vm if it's a template", upid, 'start').refusal.retryable).toBe(
      false,
    );
  });
});
