import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two cores: keep workers few so socket-level tests do not starve each other.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Builds dist/ when it is older than the sources: some tests run the compiled `bin/rmm.js`.
    globalSetup: ['test/support/build-dist.ts'],
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      {
        // The HTTP contract suites (official clients, seed curl+jq, fuzz, security) once more, against the
        // real manager over the simulator instead of the fake manager.
        extends: true,
        test: {
          name: 'http-real-manager',
          include: ['test/http/**/*.test.ts'],
          env: { RMM_HTTP_MANAGER_FACTORY: 'test/http/real-manager-factory.ts' },
        },
      },
    ],
  },
});
