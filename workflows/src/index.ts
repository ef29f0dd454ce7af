// Entry point of the workflow bundle: every workflow the orchestration worker runs.
export { deployTenant, DEPLOY_STEPS, type DeployTenantResult } from './deploy-tenant.workflow';
export { destroyTenant, DESTROY_STEPS } from './destroy-tenant.workflow';
export { updateTenant, UPDATE_STEPS, type UpdateTenantResult } from './update-tenant.workflow';
export { progressQuery } from './operation-progress';
export { SERVICE_ACTIVITY_OPTIONS } from './activity-options';
export { reconcileMachines } from './reconcile-machines.workflow';
export { checkDrift } from './check-drift.workflow';
export {
  backupTenant,
  restoreTenant,
  scheduledBackup,
  purgeRepositories,
  BACKUP_STEPS,
  RESTORE_STEPS,
} from './backup-tenant.workflow';
