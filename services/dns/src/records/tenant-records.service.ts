import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ApplyTenantRecordsInput, DnsRecordSummary } from '@fedops/contracts';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import type { DnsProviderDriver } from '../providers/dns-provider';
import { diffRRsets, planTenantRecords, tenantZone, toRecordSummaries } from '../record-plan/record-plan';
import { TenantZoneEntity } from './tenant-zone.entity';

export const DNS_PROVIDER = Symbol('DNS_PROVIDER');
export const RECORD_TTL = Symbol('RECORD_TTL');

/** Keeps each tenant's records at the DNS provider equal to its plan, touching only names it owns. */
@Injectable()
export class TenantRecordsService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DNS_PROVIDER) private readonly provider: DnsProviderDriver,
    @Inject(RECORD_TTL) private readonly ttl: number,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('records');
  }

  async apply(input: ApplyTenantRecordsInput): Promise<DnsRecordSummary[]> {
    const zone = tenantZone(input.domain);
    const desired = planTenantRecords({
      domain: input.domain,
      hostnames: input.hostnames,
      address: input.address,
      ttl: this.ttl,
    });
    const repo = this.dataSource.getRepository(TenantZoneEntity);
    const previous = await repo.findOneBy({ tenantId: input.tenantId });
    const { created } = await this.provider.ensureZone(zone);
    // A retry after a crash sees the zone as existing: remember that we created it the first time.
    const zoneCreated = created || (previous?.zoneCreated ?? false);
    // A zone the platform created earlier may carry an older SOA/NS (before fedops wrote a real SOA,
    // PowerDNS's placeholder): correct it. A zone someone else created keeps its apex.
    if (zoneCreated && !created) {
      const { corrected } = await this.provider.ensureZoneApex(zone);
      if (corrected) this.log.info('zone SOA/NS corrected', { tenantId: input.tenantId, zone });
    }
    const records = toRecordSummaries(desired);
    const save = (owned: DnsRecordSummary[]): Promise<TenantZoneEntity> =>
      repo.save(
        repo.create({
          tenantId: input.tenantId,
          provider: this.provider.kind,
          zone,
          zoneCreated,
          records: owned,
        }),
      );
    // Record the zone and the names about to be written before writing them: if this attempt dies
    // half-way, a retry or removeTenantRecords still knows everything the platform owns here.
    await save([...(previous?.records ?? []), ...records]);
    const current = await this.provider.listRRsets(zone);
    const owned = (previous?.records ?? []).map((r) => r.name);
    const changes = diffRRsets(current, desired, owned);
    if (changes.length > 0) await this.provider.replaceRRsets(zone, changes);
    await save(records);
    this.log.info('records applied', { tenantId: input.tenantId, zone, changes: changes.length });
    await this.events.publish(
      input.tenantId,
      'dns.records.applied',
      `dns/${input.tenantId}/applied/${hashRecords(records)}`,
      {
        zone,
        records,
      },
    );
    return records;
  }

  async remove(tenantId: string): Promise<number> {
    const repo = this.dataSource.getRepository(TenantZoneEntity);
    const row = await repo.findOneBy({ tenantId });
    if (row === null) return 0;
    if (row.zoneCreated) {
      await this.provider.deleteZone(row.zone);
    } else {
      const current = await this.provider.listRRsets(row.zone);
      const changes = diffRRsets(
        current,
        [],
        row.records.map((r) => r.name),
      );
      if (changes.length > 0) await this.provider.replaceRRsets(row.zone, changes);
    }
    await repo.remove(row);
    this.log.info('records removed', { tenantId, zone: row.zone, zoneDeleted: row.zoneCreated });
    await this.events.publish(tenantId, 'dns.records.removed', `dns/${tenantId}/removed`, {
      zone: row.zone,
      removed: row.records.length,
      zoneDeleted: row.zoneCreated,
    });
    return row.records.length;
  }
}

function hashRecords(records: DnsRecordSummary[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('hex').slice(0, 16);
}
