import type { ClientProxy } from '@nestjs/microservices';
import { thrownFedopsError } from '@fedops/testing';
import { NEVER, of, throwError, type Observable } from 'rxjs';
import { PLACEMENT_CHOOSE_SUBJECT, PROVIDERS_REGISTER_SUBJECT, type RpcReply } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { toProblem } from '../problem/problem-details.filter';
import { ProvisionerRpc, RESEND_AFTER_MS, unwrapRpcReply } from './provisioner-rpc';

const thrown = thrownFedopsError;

async function rejection(promise: Promise<unknown>): Promise<FedopsError> {
  const err: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (err instanceof FedopsError) return err;
  throw err;
}

/** A NATS client whose every request is answered by `answer` (sent subjects and payloads are kept). */
function clientAnswering(answer: () => Observable<unknown>): { client: ClientProxy; sent: unknown[][] } {
  const sent: unknown[][] = [];
  const client = {
    send: (subject: string, payload: unknown) => {
      sent.push([subject, payload]);
      return answer();
    },
  } as unknown as ClientProxy;
  return { client, sent };
}

describe('unwrapRpcReply', () => {
  it('returns the value of an ok reply', () => {
    const reply: RpcReply<{ id: string }> = { ok: true, value: { id: 'p1' } };
    expect(unwrapRpcReply(reply)).toEqual({ id: 'p1' });
  });

  it("raises the provisioner's error with its code, message, fields and extensions", () => {
    const reply: RpcReply<never> = {
      ok: false,
      error: {
        code: FedopsErrorCode.ValidationFailed,
        message: 'Invalid input: plan: is not offered here; valid: large, small',
        fields: [{ field: 'plan', message: 'is not offered here; valid: large, small' }],
      },
    };
    const err = thrown(() => unwrapRpcReply(reply));
    expect({ code: err.code, message: err.message, fields: err.details.fields }).toEqual({
      code: FedopsErrorCode.ValidationFailed,
      message: reply.error.message,
      fields: reply.error.fields,
    });
    expect(toProblem(err, '/v1/tenants')).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: reply.error.message,
      errors: reply.error.fields,
    });
  });

  it('keeps extensions, which the problem shows as members (a 409 naming machines)', () => {
    const machines = [{ id: 'm1', name: 'fedops-m1', tenantId: 't1' }];
    const err = thrown(() =>
      unwrapRpcReply({
        ok: false,
        error: {
          code: 'CONFLICT',
          message: 'Provider "b" still holds 1 machine(s)',
          extensions: { machines },
        },
      }),
    );
    expect(err.code).toBe(FedopsErrorCode.Conflict);
    expect(toProblem(err)).toMatchObject({
      status: 409,
      detail: 'Provider "b" still holds 1 machine(s)',
      machines,
    });
  });

  it('turns a reply that is not one, or an unknown code, into a ProviderFailed (502)', () => {
    for (const reply of [
      [],
      null,
      'ok',
      { value: 1 },
      { ok: false },
      { ok: false, error: { message: 'x' } },
    ]) {
      expect(thrown(() => unwrapRpcReply(reply)).code).toBe(FedopsErrorCode.ProviderFailed);
    }
    const unknown = thrown(() =>
      unwrapRpcReply({ ok: false, error: { code: 'TEAPOT', message: 'short and stout' } }),
    );
    expect({ code: unknown.code, message: unknown.message }).toEqual({
      code: FedopsErrorCode.ProviderFailed,
      message: 'The provisioner answered with error TEAPOT: short and stout',
    });
    expect(toProblem(unknown).status).toBe(502);
  });

  it('drops malformed field errors rather than passing them on', () => {
    const err = thrown(() =>
      unwrapRpcReply({
        ok: false,
        error: {
          code: 'VALIDATION_FAILED',
          message: 'bad',
          fields: [{ field: 'name', message: 'taken' }, { x: 1 }],
        },
      }),
    );
    expect(err.details.fields).toEqual([{ field: 'name', message: 'taken' }]);
  });
});

describe('ProvisionerRpc', () => {
  it('sends the subject and payload and unwraps the reply', async () => {
    const { client, sent } = clientAnswering(() => of({ ok: true, value: [1, 2] }));
    await expect(new ProvisionerRpc(client).call('rpc.x', { provider: 'a' })).resolves.toEqual([1, 2]);
    expect(sent).toEqual([['rpc.x', { provider: 'a' }]]);
  });

  it('answers ProviderFailed naming the time when the provisioner does not answer', async () => {
    const { client } = clientAnswering(() => NEVER);
    const err = await rejection(new ProvisionerRpc(client).call('rpc.x', {}, 50));
    expect({ code: err.code, message: err.message }).toEqual({
      code: FedopsErrorCode.ProviderFailed,
      message: 'The provisioner did not answer within 50 ms',
    });
  });

  it("answers ProviderFailed with Nest's error packet when the handler threw", async () => {
    const { client } = clientAnswering(() =>
      throwError(() => ({ status: 'error', message: 'Internal server error' })),
    );
    const err = await rejection(new ProvisionerRpc(client).call('rpc.x', {}));
    expect({ code: err.code, message: err.message }).toEqual({
      code: FedopsErrorCode.ProviderFailed,
      message: 'The provisioner answered with an error: Internal server error',
    });
  });

  it('sends a question that changes nothing again while no answer came, and takes the first answer', async () => {
    jest.useFakeTimers();
    try {
      let sends = 0;
      const { client, sent } = clientAnswering(() =>
        ++sends === 1 ? NEVER : of({ ok: true, value: 'placed' }),
      );
      const answer = new ProvisionerRpc(client).call(PLACEMENT_CHOOSE_SUBJECT, { plan: 'small' }, 15_000);
      await jest.advanceTimersByTimeAsync(RESEND_AFTER_MS);
      await expect(answer).resolves.toBe('placed');
      expect(sent).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('waits while the NATS connection is re-established instead of failing (nothing was sent yet)', async () => {
    let sends = 0;
    const { client } = clientAnswering(() =>
      ++sends < 3
        ? throwError(() => 'Error: Connection lost. Trying to reconnect...')
        : of({ ok: true, value: 'registered' }),
    );
    await expect(new ProvisionerRpc(client).call(PROVIDERS_REGISTER_SUBJECT, {}, 5_000)).resolves.toBe(
      'registered',
    );
    expect(sends).toBe(3);
  });

  it('never sends a change twice (a registration waits for its one answer)', async () => {
    const { client, sent } = clientAnswering(() => NEVER);
    const err = await rejection(new ProvisionerRpc(client).call(PROVIDERS_REGISTER_SUBJECT, {}, 50));
    expect(err.message).toBe('The provisioner did not answer within 50 ms');
    expect(sent).toHaveLength(1);
  });

  it('passes a bare answer through send (the fleet list)', async () => {
    const { client } = clientAnswering(() => of([{ machineId: 'm1' }]));
    await expect(new ProvisionerRpc(client).send('rpc.fleet', {})).resolves.toEqual([{ machineId: 'm1' }]);
  });
});
