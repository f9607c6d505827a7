// The nginx examples of Dockerfile.example in a real engine: `podman stop` in the middle of a large, rate-limited
// download (nginx-site.ts), SIGHUP, and the SIGTERM control that shows the scenario can fail.
import { describe, expect, it } from 'vitest';
import { startNginx as startImage, headStatus, SIZE, stopMidDownload, WHOLE } from './nginx-site';
import { exampleImage, waitFor, type Container, type ContainerProcess } from './podman';

/** A container of an nginx example with the test's GRACIE_* variables. */
const startNginx = (example: string, env: Record<string, string> = {}): Promise<{ container: Container; port: number }> => startImage(exampleImage(example), { env });

const nginxProcesses = (procs: readonly ContainerProcess[]): { master: ContainerProcess | undefined; workers: number[] } => ({
  master: procs.find((p) => p.cmdline.startsWith('nginx: master process')),
  workers: procs.filter((p) => p.cmdline.startsWith('nginx: worker process')).map((p) => p.pid),
});

describe.each(['nginx', 'nginx-without-node'])('%s example', (example) => {
  it('podman stop during a download: the download completes, nginx drained on SIGQUIT, exit 0', async () => {
    const { container, port } = await startNginx(example);
    const { result, stopMs, exitCode } = await stopMidDownload(container, port);
    expect(result, `the whole file, byte for byte\n${container.describe()}`).toEqual(WHOLE);
    expect(exitCode, container.describe()).toBe(0);
    const received = await container.waitForLog(/^received SIGTERM, forwarded SIGQUIT$/);
    expect(received).toMatchObject({ signal: 'SIGTERM', forwardAs: 'SIGQUIT', timeoutMs: 25_000 });
    const exited = await container.waitForLog(/^child exited with code 0 \d+ms after the stop request$/);
    // The rest of 8 MiB at 2 MiB/s after the first MiB: the drain took seconds, not milliseconds.
    expect(exited.shutdownMs).toBeGreaterThanOrEqual(1000);
    console.log(`${example}: ${result.bytes} bytes, sha256 ${result.sha256}; shutdownMs ${exited.shutdownMs}; podman stop took ${Math.round(stopMs)} ms`);
  });
});

describe('nginx example', () => {
  it('control: with GRACIE_STOP_SIGNAL=SIGTERM nginx stops fast and cuts the download', async () => {
    const { container, port } = await startNginx('nginx', { GRACIE_STOP_SIGNAL: 'SIGTERM' });
    const { result, exitCode } = await stopMidDownload(container, port);
    expect(result.complete, `the download was cut\n${container.describe()}`).toBe(false);
    expect(result.bytes).toBeLessThan(SIZE);
    expect(exitCode).toBe(0);
    await container.waitForLog(/^received SIGTERM, forwarded SIGTERM$/);
    console.log(`nginx control (SIGTERM): the download was cut at ${result.bytes} of ${SIZE} bytes`);
  });

  it('podman kill -s HUP reaches nginx: it reloads (new workers, same master) and keeps serving', async () => {
    const { container, port } = await startNginx('nginx');
    const before = nginxProcesses(await container.processes());
    expect(before.master, container.describe()).toMatchObject({ ppid: 1 });
    expect(before.workers.length).toBeGreaterThan(0);
    await container.kill('HUP');
    let after = before;
    await waitFor(
      async () => {
        after = nginxProcesses(await container.processes());
        return after.workers.length > 0 && after.workers.every((pid) => !before.workers.includes(pid)) ? true : undefined;
      },
      'nginx to replace its workers after SIGHUP',
      () => `before: ${JSON.stringify(before)}\nafter: ${JSON.stringify(after)}\n${container.describe()}`,
    );
    expect(after.master?.pid).toBe(before.master?.pid);
    expect((await container.state()).running).toBe(true);
    expect(await headStatus(port)).toBe(200);
  });
});

describe('legacy-shell-form example', () => {
  it('podman stop during a download: sh dies, gracie waits for nginx to drain, exit 0', async () => {
    const { container, port } = await startNginx('legacy-shell-form');
    const procs = await container.processes();
    // Docker's shell form: gracie -> /bin/sh -c "nginx ..." -> nginx.
    const shell = procs.find((p) => p.cmdline.startsWith('/bin/sh -c nginx'));
    expect(shell, JSON.stringify(procs)).toMatchObject({ ppid: 1 });
    expect(nginxProcesses(procs).master).toMatchObject({ ppid: shell?.pid });
    const { result, exitCode } = await stopMidDownload(container, port);
    expect(result, `the whole file, byte for byte\n${container.describe()}`).toEqual(WHOLE);
    expect(exitCode, container.describe()).toBe(0);
    await container.waitForLog(/^child was killed by SIGQUIT \d+ms after the stop request$/);
    const drained = await container.waitForLog(/^everything left behind has exited \d+ms after the child$/);
    expect(drained.drainMs).toBeGreaterThanOrEqual(1000);
    console.log(`legacy-shell-form: ${result.bytes} bytes, sha256 ${result.sha256}; nginx drained ${drained.drainMs} ms after sh died`);
  });
});
