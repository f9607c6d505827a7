import { defineConfig } from 'vitest/config';

// Three projects: pure unit tests; the end-to-end suite on the built bundle; the same suite again with gracie
// as PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc), where the kernel's rules differ.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e-pid1',
          include: ['test/e2e/**/*.test.ts'],
          env: { GRACIE_E2E_PID1: '1' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
      {
        // Dockerfile.example built and run in a real engine (podman): `npm run test:container`.
        test: {
          name: 'container',
          include: ['test/container/**/*.test.ts'],
          globalSetup: ['test/container/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
