import { defineConfig } from 'vitest/config';
import DurationSequencer from './scripts/duration-sequencer.js';

export default defineConfig({
  test: {
    // Integration tests mostly wait on the emulator and its Lambda containers: three files at once keep
    // two cores busy (vitest's default here would be one, for availableParallelism() - 1). Four took
    // more CPU for the same work (608 against 517 CPU-s) and longer: 362 s against 325 s on a fresh clone.
    maxWorkers: 3,
    // Slowest file first, also on a fresh clone (from test/file-times.json): the tail is short files.
    sequence: { sequencer: DurationSequencer },
    // Node 20 is supported until the SDK's January 2027 releases (docs/aws-facts.md); the warning is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      // Unit and infra files share nothing either (no mocks, no environment changes): imported once per
      // worker, as the integration files are (aws-cdk-lib alone is seconds of a worker's time per file).
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          isolate: false,
          testTimeout: 120_000,
          // Hooks build packages and remove installed CDK apps (node_modules of aws-cdk-lib): seconds on a
          // busy machine, never the default 10.
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One moto server for the run; each test file works in its own account.
          globalSetup: ['test/support/global-setup.ts'],
          // A file imports the product, the SDK clients and the CLI: evaluated once per worker rather than
          // once per file (the files' import time halved). Files share nothing else: an account each, and
          // those that change the environment or mock modules put them back.
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts', 'cli/**/*.ts', 'consumer/**/*.ts'],
      thresholds: {
        // The planner is pure and fully table-tested.
        'functions/core/{plan,credentials,hygiene,tags,config,metrics,time}.ts': {
          lines: 100,
          branches: 100,
          functions: 100,
          statements: 100,
        },
        // One module per hygiene and posture check, as fully tested as the planner that runs them.
        'functions/core/checks/*.ts': { lines: 100, branches: 100, functions: 100, statements: 100 },
        'functions/{core,report}/**': { lines: 95, branches: 80, functions: 95, statements: 95 },
      },
    },
  },
});
