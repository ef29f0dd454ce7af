export * from './wait-for';
export * from './infra';
export { testInfra, createTestDatabase, dropTestDatabase, testDatabaseName } from './jest/test-infra';
export { TEST_ENV, infraToEnv, infraFromEnv } from './jest/test-env';
export * from './oidc';
export * from './platform';
