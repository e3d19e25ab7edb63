import { defineConfig } from 'vitest/config';

// Three projects: fast unit tests; integration tests against a real Temporal dev server and a real
// PostgreSQL; browser tests against the whole stack. Worker tests need forks (sdk-typescript #876).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        // Components are rendered in a few integration tests; tsconfig keeps JSX as written for Next.
        oxc: { jsx: { runtime: 'automatic' } },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
