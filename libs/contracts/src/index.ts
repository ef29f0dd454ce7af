export * from './task-queues';
export * from './tenant';
export * from './machine';
export * from './activities';
export * from './workflows';
export * from './events';
export * from './operations';
export * from './providers';
