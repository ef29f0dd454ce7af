import { Initial1764284400000 } from './1764284400000-initial';
import { Operations1764900000000 } from './1764900000000-operations';
import { AuditLog1764900000001 } from './1764900000001-audit-log';
import { Organisations1765000000000 } from './1765000000000-organisations';
import { ApiTokens1765000000001 } from './1765000000001-api-tokens';
import { StreamTickets1765000000002 } from './1765000000002-stream-tickets';
import { TenantPlacement1765100000000 } from './1765100000000-tenant-placement';
import { DroppedAppOptions1765200000000 } from './1765200000000-dropped-app-options';
import { TenantChanges1765400000000 } from './1765400000000-tenant-changes';
import { TenantDrift1765500000000 } from './1765500000000-tenant-drift';
import { BackupOperations1765600000000 } from './1765600000000-backup-operations';

/** Every migration of tenant-api's schema, oldest first: the service runs them at start, tests too. */
export const TENANT_API_MIGRATIONS = [
  Initial1764284400000,
  Operations1764900000000,
  AuditLog1764900000001,
  Organisations1765000000000,
  ApiTokens1765000000001,
  StreamTickets1765000000002,
  TenantPlacement1765100000000,
  DroppedAppOptions1765200000000,
  TenantChanges1765400000000,
  TenantDrift1765500000000,
  BackupOperations1765600000000,
];
