import { defineConfig } from 'vitest/config';

const CLUSTER_FAULTS = 'test/integration/reliability/nats-cluster.test.ts';

export default defineConfig({
  test: {
    // CI also writes a machine-readable report, summarised by .ci/run (one per vitest run: npm test
    // runs the cluster and node projects after the others, not beside them).
    reporters: process.env.CI
      ? [
          'default',
          ['json', { outputFile: process.env.C2C_VITEST_REPORT ?? '.test-logs/vitest-report.json' }],
        ]
      : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{api,lib,operator,allocator}/**/*.test.ts', 'test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [CLUSTER_FAULTS],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        // The three-node NATS cluster through its faults, alone: beside other test files on two CPUs
        // its timings stretch (a partition fault took 17 s instead of 7) and its figures with them.
        test: {
          name: 'cluster',
          include: [CLUSTER_FAULTS],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
      {
        // A real node (test/node): the chart installed and exercised as users run it. Needs root.
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          globalSetup: ['test/node/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});
