export * from './platform-runner';
export * from './platform-keys';
export * from './platform-database';
export * from './repo-root';
export * from './test-platform';
export * from './sandbox-cleanup';
export * from './secret-scan';
export * from './api-recording';
