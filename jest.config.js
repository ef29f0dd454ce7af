// One jest run for the whole repo: unit (*.spec.ts), integration (*.int-spec.ts) and end-to-end
// (e2e/**/*.e2e-spec.ts) tests. The global setup starts real PostgreSQL, NATS, Temporal and PowerDNS
// (libs/testing) once per run on free ports and exports their addresses as FEDOPS_TEST_* variables.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

// openid-client 6 and its oauth4webapi (with their jose 6) are ES modules only. Node >= 20.19 loads them
// with require(); jest's own module loader cannot (before Node 24.9), so jest compiles them to CommonJS.
const ESM_ONLY_PACKAGES = 'openid-client|oauth4webapi';
const swcEsmPackages = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

const moduleNameMapper = {
  '^@fedops/workflows$': '<rootDir>/workflows/src',
  '^@fedops/simulators$': '<rootDir>/simulators/src',
  '^@fedops/(contracts|domain|catalog|service-kit|testing|sandbox-host)$': '<rootDir>/libs/$1/src',
};

const common = {
  rootDir: __dirname,
  transform: {
    '^.+\\.ts$': swc,
    [`/node_modules/(${ESM_ONLY_PACKAGES})/.+\\.js$`]: swcEsmPackages,
  },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_ONLY_PACKAGES})/).*/node_modules/`],
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/.fedops/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/src/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/src/**/*.int-spec.ts', '<rootDir>/**/test/**/*.int-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'] },
  ],
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  testTimeout: 120000,
};
