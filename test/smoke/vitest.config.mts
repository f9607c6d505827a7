import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The smoke suite on another gracie artifact (scripts/test-arm64.sh), not part of `npm test`: run with the command
// that starts that artifact in GRACIE_E2E_COMMAND. Two projects, as for the e2e suite: gracie as a plain process,
// and as PID 1 of a fresh PID namespace. Timeouts allow for an emulated Node (~1.5 s to start under qemu-user,
// several times that on a loaded 2-core machine).
const root = fileURLToPath(new URL('../..', import.meta.url));
const project = (name: string, env: Record<string, string>) => ({
  test: { name, root, include: ['test/smoke/**/*.test.ts'], env, testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false },
});

export default defineConfig({
  test: {
    projects: [project('smoke', {}), project('smoke-pid1', { GRACIE_E2E_PID1: '1' })],
  },
});
