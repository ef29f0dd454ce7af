import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one service, on its own registry (so tests can run several services in one process). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly activityStarted: Counter<'activity' | 'task_queue'>;
  readonly activityFailed: Counter<'activity' | 'task_queue' | 'error_type'>;
  readonly activityDuration: Histogram<'activity' | 'task_queue' | 'outcome'>;
  readonly workflowStarted: Counter<'workflow'>;
  readonly workflowCompleted: Counter<'workflow' | 'outcome'>;
  readonly workflowDuration: Histogram<'workflow' | 'outcome'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;

  constructor(service: string, withDefaults = true) {
    this.registry.setDefaultLabels({ service });
    if (withDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'fedops_' });
    const registers = [this.registry];
    this.activityStarted = new Counter({
      name: 'fedops_activity_started_total',
      help: 'Temporal activity executions started (each attempt)',
      labelNames: ['activity', 'task_queue'],
      registers,
    });
    this.activityFailed = new Counter({
      name: 'fedops_activity_failed_total',
      help: 'Temporal activity attempts that threw',
      labelNames: ['activity', 'task_queue', 'error_type'],
      registers,
    });
    this.activityDuration = new Histogram({
      name: 'fedops_activity_duration_seconds',
      help: 'Duration of Temporal activity attempts',
      labelNames: ['activity', 'task_queue', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.workflowStarted = new Counter({
      name: 'fedops_workflow_started_total',
      help: 'Workflows started by this service',
      labelNames: ['workflow'],
      registers,
    });
    this.workflowCompleted = new Counter({
      name: 'fedops_workflow_completed_total',
      help: 'Workflows that reached a final tenant status, by outcome',
      labelNames: ['workflow', 'outcome'],
      registers,
    });
    this.workflowDuration = new Histogram({
      name: 'fedops_workflow_duration_seconds',
      help: 'Time from workflow start to final tenant status',
      labelNames: ['workflow', 'outcome'],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'fedops_http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
  }
}
