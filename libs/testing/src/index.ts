export * from './wait-for';
export * from './infra';
export {
  testInfra,
  connectTestNats,
  createTestDatabase,
  dropTestDatabase,
  testDatabaseName,
} from './jest/test-infra';
export { TEST_ENV, infraToEnv, infraFromEnv } from './jest/test-env';
export { openTemporalTestNamespace, type TemporalTestNamespace } from './jest/temporal-namespace';
export * from './oidc';
export * from './platform';
export * from './openapi/schema-validator';
export { thrownFedopsError } from './thrown';
export * from './ssh/local-machine';
