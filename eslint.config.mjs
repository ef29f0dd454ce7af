// Lint baseline: type-aware TypeScript rules, module boundaries enforced from project tags
// (project.json), and workflow code kept deterministic.
import nx from '@nx/eslint-plugin';
import importPlugin from 'eslint-plugin-import';

const scopes = ['tenant-api', 'provisioner', 'deployer', 'dns', 'backup'];

/**
 * Module boundaries from project tags: a workflow depends only on contracts and utilities, a service
 * only on its own scope and shared libs. Tests may also use the testing harness.
 */
function dependencyRules({ tests }) {
  const testing = tests ? ['type:testing'] : [];
  return [
    { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['type:contract', ...testing] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contract', 'type:util', ...testing] },
    { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:contract', 'type:util', ...testing] },
    { sourceTag: 'type:workflow', onlyDependOnLibsWithTags: ['type:contract', 'type:util', ...testing] },
    {
      sourceTag: 'type:testing',
      onlyDependOnLibsWithTags: ['type:contract', 'type:util', 'type:feature', 'type:testing'],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: [
        'type:contract',
        'type:util',
        'type:feature',
        'type:workflow',
        'type:testing',
      ],
    },
    ...scopes.map((s) => ({
      sourceTag: `scope:${s}`,
      onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'],
    })),
    { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ];
}

export default [
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.fedops/**',
      '.nx/**',
      'coverage/**',
      'tools/oidc-issuer/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'import/no-cycle': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        { allow: [], depConstraints: dependencyRules({ tests: false }) },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no services.
    files: ['workflows/src/**/*.ts'],
    ignores: ['workflows/src/**/*.spec.ts', 'workflows/src/**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'crypto', 'http', 'https', 'net', 'os'],
              message: 'Workflows must be deterministic: do I/O in activities.',
            },
            {
              group: [
                '@nestjs/*',
                'typeorm',
                'pg',
                'nats',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              message: 'Workflows orchestrate; activities do I/O.',
            },
            {
              group: [
                '@fedops/service-kit',
                '@fedops/testing',
                '@fedops/tenant-api',
                '@fedops/provisioner',
                '@fedops/deployer',
                '@fedops/dns',
                '@fedops/backup',
              ],
              message: 'Workflows depend only on contracts and utilities.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@fedops/contracts'],
              importNamePattern: '^(?!TaskQueue|PROGRESS_QUERY_NAME|workflowIds|DEPLOY_ACTIVITY_TIMEOUT_MS)',
              allowTypeImports: true,
              message: 'Workflow code imports only types (and constants) from contracts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      '**/test/**/*.ts',
      'e2e/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        { allow: [], depConstraints: dependencyRules({ tests: true }) },
      ],
    },
  },
];
