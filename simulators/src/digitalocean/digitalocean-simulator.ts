/**
 * A DigitalOcean API v2 simulator (Droplets, Actions, SSH keys, tags, regions, sizes, images,
 * account), faithful to /work/shared/specs/digitalocean.md, digitalocean/openapi and what godo
 * expects: base `/v2`, `Authorization: Bearer`, `{id, message, request_id}` errors with
 * `x-request-id`, `ratelimit-limit|remaining|reset` on every answer (5,000 an hour per token, each
 * request counting for an hour; a burst of 250 a minute answered 429 with `retry-after`), page links
 * as absolute URLs from the simulator's own base, 202 creates with `links.actions[].href`, 201
 * actions, 204 deletes, 422 "Droplet already has a pending event." while an event runs. Names are
 * not unique: a blind retry of a create makes a second droplet, as on DigitalOcean.
 *
 * Every droplet is a real sandbox machine (network namespace and sshd) that lets in the public keys
 * of the `ssh_keys` given plus the `ssh_authorized_keys` of its cloud-config user data, and presents
 * the host key of `ssh_keys.ed25519_private`; it turns `active` with the machine's address as its
 * public IPv4 after the boot delay.
 *
 * Faults (FaultBook, under /_simulator/faults) rendered the DigitalOcean way:
 * - `server-error`: 500 `server_error`; with `status` 502/503/504, the HTML page of the load balancer.
 * - `rate-limit`: 429 `too_many_requests`, `ratelimit-remaining: 0`, `ratelimit-reset`, `retry-after`
 *   (`delayMs` rounded up to seconds, default 1 s).
 * - `lock`: 422 "Droplet already has a pending event.".
 * - `lost-response`: the request is carried out, the connection drops unanswered.
 * - `task-error`: the accepted create or action ends `errored` (a create's droplet stays `new`, broken).
 * - `slow-task`: the accepted create or action stays `in-progress` `delayMs` longer.
 *
 * With `stateFile`, the account (droplets, actions, SSH keys, tags, ids) survives a restart: events
 * in progress end `errored`, active droplets' machines are resumed, off ones stay off (see
 * restoreDigitalOcean and DropletEvents.restoreMachines).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FaultKind } from '../common/faults';
import { FaultBook } from '../common/faults';
import { BadBodyError, SimRouter, type SimRequest, type SimResponse } from '../common/http-router';
import { SandboxVms } from '../common/sandbox-vms';
import {
  addControlRoutes,
  simulatorCloser,
  type RunningSimulator,
  type SimulatedVm,
  type SimulatorOptions,
} from '../common/simulator';
import { DropletEvents } from './digitalocean-actions';
import { MESSAGES, doError, notFound, proxyErrorPage } from './digitalocean-errors';
import { RateLimiter, WindowLimiter } from './digitalocean-rate-limit';
import { addDigitalOceanRoutes } from './digitalocean-routes';
import { DigitalOceanState } from './digitalocean-state';
import { digitalOceanStateFile, restoreDigitalOcean, snapshotDigitalOcean } from './digitalocean-state-file';

export interface DigitalOceanSimulatorOptions extends SimulatorOptions {
  /** Requests per token and hour (default 5,000). */
  rateLimitPerHour?: number;
  /** Burst limit per token and minute (default 250). */
  rateLimitPerMinute?: number;
  /** Duration of power off, shutdown, resize and rename events (default half the boot delay). */
  actionDelayMs?: number;
  /** How long a droplet's status lags behind its completed action (default 0). */
  statusLagMs?: number;
  /** The account's droplet limit (default 100; real accounts start lower and ask for more). */
  dropletLimit?: number;
}

const PLAIN_FAULTS: readonly FaultKind[] = ['server-error', 'rate-limit', 'lock', 'lost-response'];

export async function startDigitalOceanSimulator(
  options: DigitalOceanSimulatorOptions,
): Promise<RunningSimulator> {
  const token = options.token ?? `dop_v1_${randomBytes(32).toString('hex')}`;
  const faults = new FaultBook(options.random);
  const vms = new SandboxVms(options);
  const state = new DigitalOceanState();
  const events = new DropletEvents(state, vms, {
    bootDelayMs: vms.bootDelayMs,
    actionDelayMs: options.actionDelayMs ?? Math.ceil(vms.bootDelayMs / 2),
    statusLagMs: options.statusLagMs ?? 0,
  });
  const stateFile = options.stateFile === undefined ? undefined : digitalOceanStateFile(options.stateFile);
  const saved = await stateFile?.load();
  if (saved !== undefined) {
    restoreDigitalOcean(saved, state);
    await events.restoreMachines();
  }
  const changed = (): void => stateFile?.changed();
  stateFile?.attach(() => snapshotDigitalOcean(state));
  events.onChange = changed;
  // What the restore changed (interrupted events, droplets left off) is on disk before anyone asks.
  if (saved !== undefined) changed();
  const limiter = new RateLimiter({
    perHour: options.rateLimitPerHour ?? 5000,
    perMinute: options.rateLimitPerMinute ?? 250,
  });
  const keyListLimiter = new WindowLimiter(10, 60_000);
  let origin = 'http://127.0.0.1';

  /** Per request: its id and the rate-limit headers it is answered with. */
  const exchanges = new WeakMap<SimRequest, { requestId: string; headers: Record<string, string> }>();
  const exchange = (req: SimRequest): { requestId: string; headers: Record<string, string> } => {
    let found = exchanges.get(req);
    if (!found) {
      const verdict = limiter.peek(token);
      found = {
        requestId: randomUUID(),
        headers: {
          'ratelimit-limit': String(verdict.limit),
          'ratelimit-remaining': String(verdict.remaining),
          'ratelimit-reset': String(verdict.reset),
        },
      };
      exchanges.set(req, found);
    }
    return found;
  };
  /** Every answer of the vendor API: rate-limit headers, `x-request-id`, the id in error bodies. */
  const finish = (req: SimRequest, answer: SimResponse): SimResponse => {
    const { requestId, headers } = exchange(req);
    let body = answer.body;
    if (answer.status >= 400 && isErrorEnvelope(body)) body = { ...body, request_id: requestId };
    return {
      ...answer,
      body,
      headers: {
        ...(typeof body === 'object' && body !== null
          ? { 'content-type': 'application/json; charset=utf-8' }
          : {}),
        ...headers,
        'x-request-id': requestId,
        ...(answer.headers ?? {}),
      },
    };
  };
  const isVendorPath = (req: SimRequest): boolean => !req.path.startsWith('/_simulator/');

  const router = new SimRouter(
    (req) => finish(req, notFound()),
    (req, err) =>
      finish(
        req,
        err instanceof BadBodyError ? doError(400, MESSAGES.badBody) : doError(500, MESSAGES.serverError),
      ),
  );

  // 1. Authentication: a missing or wrong bearer token is 401 and counts against nothing.
  router.use((req) => {
    if (!isVendorPath(req)) return undefined;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] !== token) return finish(req, doError(401, MESSAGES.unauthorized));
    return undefined;
  });
  // 2. Rate limits: the hourly and burst limits, and the special limit of listing SSH keys.
  router.use((req) => {
    if (!isVendorPath(req)) return undefined;
    const verdict = limiter.hit(token);
    const record = exchange(req);
    record.headers = {
      'ratelimit-limit': String(verdict.limit),
      'ratelimit-remaining': String(verdict.remaining),
      'ratelimit-reset': String(verdict.reset),
    };
    if (!verdict.allowed) {
      const answer = doError(429, MESSAGES.rateLimited);
      if (verdict.retryAfter !== undefined) answer.headers = { 'retry-after': String(verdict.retryAfter) };
      return finish(req, answer);
    }
    if (req.method === 'GET' && /^\/v2\/account\/keys\/?$/.test(req.path)) {
      const wait = keyListLimiter.hit(token);
      if (wait !== undefined)
        return finish(req, {
          ...doError(429, MESSAGES.rateLimited),
          headers: { 'retry-after': String(wait) },
        });
    }
    return undefined;
  });
  // 3. Injected faults that answer instead of the API (or drop its answer).
  router.use((req) => {
    if (!isVendorPath(req)) return undefined;
    const fault = faults.take(req.method, req.path, PLAIN_FAULTS);
    if (!fault) return undefined;
    switch (fault.kind) {
      case 'lost-response':
        return 'lose';
      case 'server-error': {
        const status = fault.status ?? 500;
        return finish(
          req,
          status >= 502 && status <= 504 ? proxyErrorPage(status) : doError(status, MESSAGES.serverError),
        );
      }
      case 'rate-limit': {
        const retryAfter = Math.max(1, Math.ceil((fault.delayMs ?? 1000) / 1000));
        const record = exchange(req);
        record.headers = {
          ...record.headers,
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + retryAfter),
        };
        return finish(req, {
          ...doError(429, MESSAGES.rateLimited),
          headers: { 'retry-after': String(retryAfter) },
        });
      }
      case 'lock':
        return finish(req, doError(422, MESSAGES.pendingEvent));
      case 'task-error':
      case 'slow-task':
        return undefined;
    }
  });

  const vmList = (): SimulatedVm[] =>
    [...state.droplets.values()].map((d) => ({
      id: String(d.id),
      name: d.name,
      labels: Object.fromEntries(d.tags.map((t) => [t, ''])),
      status: d.status,
      address: d.status === 'new' ? undefined : d.address,
    }));
  addControlRoutes(router, faults, vmList);
  addDigitalOceanRoutes(
    router,
    {
      state,
      events,
      faults,
      origin: () => origin,
      dropletLimit: options.dropletLimit ?? 100,
      account: {
        email: `operator-${options.namePrefix}@simulated.invalid`,
        uuid: state.account.uuid,
        teamUuid: state.account.teamUuid,
        teamName: 'fedops simulated team',
      },
    },
    (handler) => async (req) => {
      try {
        return finish(req, await handler(req));
      } finally {
        if (req.method !== 'GET') changed();
      }
    },
  );

  const { server, url } = await router.listen(options.port ?? 0).catch(async (err: unknown) => {
    await events.close();
    throw err;
  });
  origin = url;
  return {
    kind: 'digitalocean',
    url: `${url}/v2`,
    credentials: { token },
    faults,
    vms: vmList,
    close: simulatorCloser({ server, machines: vms, stateFile, stopWork: () => events.close() }),
  };
}

function isErrorEnvelope(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && 'id' in body && 'message' in body;
}
