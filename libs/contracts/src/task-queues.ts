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
