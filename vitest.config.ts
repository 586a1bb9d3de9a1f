// Two projects so that unit tests never wait for a broker: only a run that includes integration
// tests starts the test stack (test/support/stack.ts), once for all of them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The chdb native addon cannot be loaded in worker threads; each test file gets a process.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'node_modules/**', 'dist/**'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/stack.ts'],
          // Generous because a cold JVM, a first group join or a container pull on 2 cores is slow;
          // tests poll with waitFor and finish as soon as the system does.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
