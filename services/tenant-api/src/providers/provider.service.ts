import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  PLACEMENT_CHOOSE_SUBJECT,
  PROVIDERS_GET_SUBJECT,
  PROVIDERS_LIST_SUBJECT,
  PROVIDERS_REGISTER_SUBJECT,
  PROVIDERS_REMOVE_SUBJECT,
  PROVIDERS_TEST_SUBJECT,
  PROVIDER_STATUSES,
  RESOURCE_PROVIDER_KINDS,
  type ChoosePlacementRequest,
  type MachinePlacement,
  type ProviderRegistration,
  type ProviderView as ProvisionerProviderView,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { IdempotentRequests, type Answer } from '../idempotency/idempotent-requests';
import { parseListQuery, toPage, type Page } from '../pagination/list-query';
import {
  CONNECTION_TEST_TIMEOUT_MS,
  PLACEMENT_TIMEOUT_MS,
  ProvisionerRpc,
} from '../provisioner-rpc/provisioner-rpc';
import { isProviderRef, toProviderView, type ProviderView } from './provider.dto';

export const PROVIDER_LIST_FILTERS = [
  { name: 'kind', values: RESOURCE_PROVIDER_KINDS, description: 'a resource provider kind' },
  { name: 'status', values: PROVIDER_STATUSES, description: 'a provider status' },
] as const;

/**
 * Resource providers and placement, which the provisioner owns: tenant-api checks who asks and what
 * they send, then asks the provisioner over NATS request/reply and shows its answers.
 */
@Injectable()
export class ProviderService {
  private readonly log;

  constructor(
    private readonly rpc: ProvisionerRpc,
    private readonly idempotent: IdempotentRequests,
    private readonly dataSource: DataSource,
    logger: JsonLogger,
  ) {
    this.log = logger.child('providers');
  }

  /**
   * Registers a provider; the provisioner runs its connection test first (a bad credential or an
   * unreachable endpoint is a 400 naming the field). With an Idempotency-Key a repeat gets the first
   * answer; the request hash covers the credentials, so the same key with others is a 422.
   */
  async register(
    principal: Principal,
    registration: ProviderRegistration,
    idempotencyKey: string | undefined,
  ): Promise<Answer<ProviderView>> {
    const work = async (): Promise<Answer<ProviderView>> => {
      const view = toProviderView(
        await this.rpc.call<ProvisionerProviderView>(
          PROVIDERS_REGISTER_SUBJECT,
          registration,
          CONNECTION_TEST_TIMEOUT_MS,
        ),
      );
      return { status: 201, body: view, location: view.links.self };
    };
    // Without a key nothing is stored here: no transaction is held open during the connection test.
    const { answer, replayed } =
      idempotencyKey === undefined
        ? { answer: await work(), replayed: false }
        : await this.idempotent.run(
            principal,
            idempotencyKey,
            { operation: 'registerProvider', params: registration },
            work,
          );
    if (!replayed) {
      this.log.info('provider registered', {
        providerId: answer.body.id,
        name: answer.body.name,
        kind: answer.body.kind,
        by: principal.subject,
      });
    }
    return answer;
  }

  /**
   * A page of the providers, oldest first. The provisioner answers with all of them (a few hundred at
   * most), so the page is cut here, with the same cursors as every other list.
   */
  async list(query: Record<string, unknown>): Promise<Page<ProviderView>> {
    const { page, filters } = parseListQuery(query, PROVIDER_LIST_FILTERS);
    const all = await this.rpc.call<ProvisionerProviderView[]>(PROVIDERS_LIST_SUBJECT, {});
    const rows = all
      .filter((p) => filters.kind === undefined || p.kind === filters.kind)
      .filter((p) => filters.status === undefined || p.status === filters.status)
      .map((p) => ({ createdAt: new Date(p.createdAt), id: p.id, provider: p }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compare(a.id, b.id));
    const after = page.after;
    const rest =
      after === undefined
        ? rows
        : rows.filter(
            (r) =>
              r.createdAt.getTime() > after.createdAt.getTime() ||
              (r.createdAt.getTime() === after.createdAt.getTime() && r.id > after.id),
          );
    return toPage(rest.slice(0, page.limit + 1), page.limit, (r) => toProviderView(r.provider));
  }

  async get(ref: string): Promise<ProviderView> {
    return toProviderView(await this.ask(PROVIDERS_GET_SUBJECT, ref));
  }

  /** Runs the connection test again; the answer's `lastCheck` says how it went (also when it failed). */
  async test(principal: Principal, ref: string): Promise<ProviderView> {
    const view = toProviderView(await this.ask(PROVIDERS_TEST_SUBJECT, ref, CONNECTION_TEST_TIMEOUT_MS));
    this.log.info('provider tested', {
      providerId: view.id,
      name: view.name,
      ok: view.lastCheck?.ok ?? false,
      by: principal.subject,
    });
    return view;
  }

  /**
   * Removes a provider that holds no machine (the provisioner's 409 names them) and where no live
   * tenant is placed (a tenant whose machine is not made yet, or was undone, would be placed nowhere:
   * tenant-api's 409 names those tenants). Answers with the provider as it was.
   */
  async remove(principal: Principal, ref: string): Promise<ProviderView> {
    const view = await this.get(ref);
    if (view.usage.machines === 0) await this.refuseIfTenantsPlaced(view);
    await this.rpc.call<{ removed: string }>(PROVIDERS_REMOVE_SUBJECT, { provider: view.id });
    this.log.info('provider removed', { providerId: view.id, name: view.name, by: principal.subject });
    return view;
  }

  private async refuseIfTenantsPlaced(view: ProviderView): Promise<void> {
    const placed: Array<{ id: string; domain: string }> = await this.dataSource.query(
      `SELECT id, domain FROM tenants
        WHERE status <> 'deleted' AND placement->>'providerId' = $1
        ORDER BY created_at LIMIT 50`,
      [view.id],
    );
    if (placed.length === 0) return;
    const count = placed.length === 50 ? '50 or more' : String(placed.length);
    throw new FedopsError(
      FedopsErrorCode.Conflict,
      `Provider "${view.name}" is where ${count} live tenant(s) are placed whose machines are not made ` +
        `(yet): ${placed.map((t) => `${t.id} (${t.domain})`).join(', ')}; delete those tenants first`,
      { extensions: { tenants: placed.map((t) => t.id) } },
    );
  }

  /**
   * Where a new tenant's machine goes, chosen by the provisioner from capacity and quotas: 400 for an
   * unknown provider, location or plan (listing the valid ones), 409 when no provider has room.
   */
  choosePlacement(request: ChoosePlacementRequest): Promise<MachinePlacement> {
    return this.rpc.call<MachinePlacement>(PLACEMENT_CHOOSE_SUBJECT, request, PLACEMENT_TIMEOUT_MS);
  }

  private ask(subject: string, ref: string, timeoutMs?: number): Promise<ProvisionerProviderView> {
    if (!isProviderRef(ref)) {
      return Promise.reject(new FedopsError(FedopsErrorCode.NotFound, `No provider "${ref}" is registered`));
    }
    return this.rpc.call<ProvisionerProviderView>(subject, { provider: ref }, timeoutMs);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
