/** Temporal task queues: one per service, plus the queue the orchestration workflows run on. */
export const TaskQueue = {
  workflows: 'fedops-workflows',
  tenantApi: 'tenant-api',
  provisioner: 'provisioner',
  deployer: 'deployer',
  dns: 'dns',
  backup: 'backup',
} as const;
export type TaskQueue = (typeof TaskQueue)[keyof typeof TaskQueue];

/** Business ids for workflows: derived from the tenant so a retried request never starts two. */
export const workflowIds = {
  deployTenant: (tenantId: string): string => `tenant-${tenantId}-deploy`,
  destroyTenant: (tenantId: string): string => `tenant-${tenantId}-destroy`,
} as const;
