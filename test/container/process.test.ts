// gracie as PID 1 of real containers built from Dockerfile.example: who runs where, exit statuses through the
// engine, orphans re-parented and reaped, escalation before the engine's own SIGKILL.
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort } from '../e2e/download';
import { Container, waitFor, exampleImage, podmanResult, type ContainerProcess } from './podman';

const NODE_APP = exampleImage('node-app');

const show = (procs: readonly ContainerProcess[]): string => procs.map((p) => `${p.pid} ppid=${p.ppid} ${p.state} ${p.cmdline}`).join('\n');

describe('gracie as PID 1 of a container', () => {
  it('is PID 1 and the app is its child', async () => {
    const container = await Container.run(NODE_APP);
    await container.waitForStdout(/^listening on 8080$/);
    const procs = await container.processes();
    const init = procs.find((p) => p.pid === 1);
    expect(init?.cmdline, show(procs)).toMatch(/^node \S+ \/usr\/local\/bin\/gracie -- node server\.js$/);
    const app = procs.find((p) => p.cmdline === 'node server.js');
    expect(app, show(procs)).toMatchObject({ ppid: 1 });
    // Nothing else runs in the container: gracie and the app, no shell in between.
    expect(procs.map((p) => p.pid).sort((a, b) => a - b), show(procs)).toEqual([1, app?.pid]);
  });

  it.each([
    { command: ['sh', '-c', 'exit 7'], code: 7, how: 'the exit code of the child' },
    { command: ['sh', '-c', 'kill -TERM $$'], code: 143, how: '128+15 for a child killed by SIGTERM' },
    { command: ['sh', '-c', 'kill -KILL $$'], code: 137, how: '128+9 for a child killed by SIGKILL' },
  ])('the container exits with $how', async ({ command, code }) => {
    const container = await Container.run(NODE_APP, { command });
    expect(await container.exited(), container.describe()).toBe(code);
    expect((await container.state()).exitCode).toBe(code);
  });

  it('a command that does not exist: 127 and one clear line', async () => {
    const container = await Container.run(NODE_APP, { command: ['no-such-program'] });
    expect(await container.exited(), container.describe()).toBe(127);
    await container.waitForLog(/no-such-program/);
  });

  /** Leaves five sleeping orphans in the container through `podman exec`, checks they went to PID 1, kills them. */
  async function orphansKilled(container: Container): Promise<{ orphans: number[]; procs: () => Promise<ContainerProcess[]> }> {
    await container.waitForStdout(/^listening on 8080$/);
    // The exec'd shell leaves five sleepers behind and exits: they are orphans inside the container.
    const printed = await container.exec(['sh', '-c', 'for i in 1 2 3 4 5; do sleep 300 & echo $!; done']);
    const orphans = printed.trim().split('\n').map(Number);
    expect(orphans).toHaveLength(5);
    const procs = await container.processes();
    for (const pid of orphans) expect(procs.find((p) => p.pid === pid), show(procs)).toMatchObject({ ppid: 1, state: 'S' });
    await container.exec(['sh', '-c', `kill ${orphans.join(' ')}`]);
    return { orphans, procs: () => container.processes() };
  }

  it('orphans made through `podman exec` are re-parented to gracie and reaped', async () => {
    const container = await Container.run(NODE_APP);
    const { orphans, procs } = await orphansKilled(container);
    // Reaped: gone from /proc, not left as zombies of PID 1.
    let seen: ContainerProcess[] = [];
    await waitFor(
      async () => {
        seen = await procs();
        return seen.some((p) => orphans.includes(p.pid) || p.state === 'Z') ? undefined : true;
      },
      `the orphans ${orphans.join(' ')} to be reaped (no zombie left)`,
      () => show(seen),
    );
    expect((await container.state()).running).toBe(true);
  });

  it('control: with GRACIE_FFI=0 (no waitpid for orphans) the same orphans stay zombies', async () => {
    const container = await Container.run(NODE_APP, { env: { GRACIE_FFI: '0' } });
    const { orphans, procs } = await orphansKilled(container);
    let seen: ContainerProcess[] = [];
    await waitFor(
      async () => {
        seen = await procs();
        return orphans.every((pid) => seen.find((p) => p.pid === pid)?.state === 'Z') ? true : undefined;
      },
      `the orphans ${orphans.join(' ')} to be zombies`,
      () => show(seen),
    );
  });

  it('escalation: GRACIE_STOP_TIMEOUT=2s SIGKILLs a drain that never ends, long before `podman stop -t 20`', async () => {
    const port = await freePort();
    const container = await Container.run(NODE_APP, { env: { GRACIE_STOP_TIMEOUT: '2s' }, ports: { [port]: 8080 } });
    await container.waitForStdout(/^listening on 8080$/);
    // A request that never ends keeps server.close() from ever finishing.
    const endless = get({ host: '127.0.0.1', port, path: '/?ms=600000', agent: false });
    endless.on('error', () => undefined);
    await container.waitForStdout(/^GET \/\?ms=600000$/);
    const stopMs = await container.stop(20);
    endless.destroy();
    expect((await container.state()).exitCode, container.describe()).toBe(137);
    const escalated = await container.waitForLog(/^stop timeout reached: sent SIGKILL to /);
    expect(escalated.afterMs).toBeGreaterThanOrEqual(2000);
    expect(escalated.afterMs).toBeLessThan(2500);
    await container.waitForLog(/^child was killed by SIGKILL \d+ms after the stop request$/);
    console.log(`escalation: podman stop -t 20 returned after ${Math.round(stopMs)} ms; gracie SIGKILLed ${escalated.afterMs} ms after SIGTERM`);
    // podman's own SIGKILL would have come at 20 s.
    expect(stopMs).toBeLessThan(10_000);
  });
});

// Kept apart so a failure names podman itself, not gracie.
it('podman is the engine under test', async () => {
  const result = await podmanResult(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
  expect(result, 'engine-setup.sh selects runc').toMatchObject({ code: 0, stdout: 'runc\n' });
});
