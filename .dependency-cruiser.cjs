/**
 * Layer rules (see docs/architecture.md): entry point → orchestration → step → port ← adapter.
 * Only entry points wire adapters to ports.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-domain-to-infra-deps',
      comment: 'Domain steps are pure: no adapters, orchestration, entry points, SDKs, file system or env.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: {
        path: [
          '^src/adapters',
          '^src/orchestration',
          '^src/entrypoints',
          '@aws-sdk',
          'better-sqlite3',
          'tesseract\\.js',
          'pdfjs-dist',
          '@napi-rs/canvas',
        ],
      },
    },
    {
      name: 'no-domain-to-node-io',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { dependencyTypes: ['core'], path: ['^(node:)?(fs|fs/promises|child_process|net|http|https|os|process)$'] },
    },
    {
      name: 'ports-are-interfaces',
      comment: 'Ports depend on the domain model only.',
      severity: 'error',
      from: { path: '^src/ports' },
      to: { path: ['^src/adapters', '^src/orchestration', '^src/entrypoints', '^src/config'] },
    },
    {
      name: 'orchestration-not-to-adapters',
      comment: 'The definition and task handlers see ports, never adapters.',
      severity: 'error',
      from: { path: '^src/orchestration' },
      to: { path: ['^src/adapters', '^src/entrypoints'] },
    },
    {
      name: 'adapters-not-to-entrypoints',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: ['^src/entrypoints', '^src/orchestration'] },
    },
    {
      name: 'local-adapters-not-to-aws',
      comment: 'Loading the local build must never load the AWS SDK.',
      severity: 'error',
      from: { path: '^src/adapters/local' },
      to: { path: ['^src/adapters/aws', '@aws-sdk'] },
    },
    {
      name: 'lambda-not-to-local',
      comment: 'Lambda bundles carry the AWS adapters only: no local adapters, native modules or the CLI.',
      severity: 'error',
      from: { path: '^src/entrypoints/lambda' },
      to: {
        path: [
          '^src/adapters/local',
          '^src/entrypoints/cli',
          '^src/entrypoints/runtime',
          '^src/orchestration/local',
          'better-sqlite3',
          'sharp',
          '@napi-rs/canvas',
          'tesseract\\.js',
          'pdfjs-dist',
        ],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
