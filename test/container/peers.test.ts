// Side by side with podman's own init (`podman run --init`: catatonit as PID 1, called as `catatonit -- CMD`) on
// the same image and the same stop. The times are printed for the record, never asserted: timing is the bench's
// job; what is asserted is that both stopped the app the same way.
import { expect, it } from 'vitest';
import { Container, exampleImage } from './podman';

const IMAGE = exampleImage('node-app');
const ROUNDS = 5;

interface Stopped {
  stopMs: number;
  exitCode: number;
  init: string;
}

/** Starts the app under `init`, waits until it listens, then times `podman stop -t 30` until the container is gone. */
async function stopOnce(init: 'gracie' | 'catatonit'): Promise<Stopped> {
  const flags = init === 'catatonit' ? ['--init', '--entrypoint', 'node'] : [];
  const container = await Container.run(IMAGE, { flags, command: init === 'catatonit' ? ['server.js'] : undefined });
  await container.waitForStdout(/^listening on 8080$/);
  const [pid1] = (await container.processes()).filter((p) => p.pid === 1);
  const stopMs = await container.stop(30);
  const { exitCode } = await container.state();
  await container.remove();
  return { stopMs, exitCode, init: pid1?.cmdline ?? '' };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

it(`podman stop to exit, idle node-app: gracie and catatonit side by side (${ROUNDS} rounds each, interleaved)`, async () => {
  const runs: Record<'gracie' | 'catatonit', Stopped[]> = { gracie: [], catatonit: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const init of ['gracie', 'catatonit'] as const) runs[init].push(await stopOnce(init));
  }
  expect(runs.gracie[0].init).toMatch(/\/usr\/local\/bin\/gracie -- node server\.js$/);
  // podman bind-mounts its catatonit at /run/podman-init.
  expect(runs.catatonit[0].init).toMatch(/^\/run\/podman-init -- node server\.js$/);
  // The app drained on SIGTERM and exited 0 under both.
  for (const run of [...runs.gracie, ...runs.catatonit]) expect(run.exitCode).toBe(0);
  const figures = (init: 'gracie' | 'catatonit'): string => {
    const times = runs[init].map((run) => run.stopMs);
    return `median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`;
  };
  console.log(`podman stop -> exited, idle node-app: gracie ${figures('gracie')}; catatonit ${figures('catatonit')}`);
});
