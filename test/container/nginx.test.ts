// The nginx examples of Dockerfile.example in a real engine: `podman stop` in the middle of a large, rate-limited
// download. The images are used as built; the test only mounts the file to download and one conf.d line that
// limits the rate, so a download lasts seconds.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Download, freePort, type DownloadResult } from '../e2e/download';
import { Container, eventually, exampleImage, type ContainerProcess } from './podman';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;
const RATE = '2m';

const site = mkdtempSync(join(tmpdir(), 'gracie-container-nginx-'));
chmodSync(site, 0o755);
const content = randomBytes(SIZE);
const SHA256 = createHash('sha256').update(content).digest('hex');
writeFileSync(join(site, 'big.bin'), content, { mode: 0o644 });
// Debian's nginx.conf includes conf.d/*.conf inside its http block.
writeFileSync(join(site, 'rate.conf'), `limit_rate ${RATE};\n`, { mode: 0o644 });
afterAll(() => rmSync(site, { recursive: true, force: true }));

const WHOLE: DownloadResult = { status: 200, bytes: SIZE, sha256: SHA256, complete: true, error: undefined };

/** A container of an nginx example on a free port, serving /big.bin at RATE; resolves once nginx answers. */
async function startNginx(example: string, env: Record<string, string> = {}): Promise<{ container: Container; port: number }> {
  const port = await freePort();
  const container = await Container.run(exampleImage(example), {
    env,
    ports: { [port]: 80 },
    volumes: [`${join(site, 'big.bin')}:/var/www/html/big.bin:ro`, `${join(site, 'rate.conf')}:/etc/nginx/conf.d/gracie-test-rate.conf:ro`],
  });
  await eventually(
    async () => (await headStatus(port)) === 200 || undefined,
    `nginx in ${container.name} to answer on 127.0.0.1:${port}`,
    container.describe,
    20_000,
  );
  return { container, port };
}

/** The status of GET / , or undefined while nothing answers. */
async function headStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return undefined;
  }
}

/** Starts a download of /big.bin, waits until 1 MiB has arrived, then `podman stop -t 30`. */
async function stopMidDownload(container: Container, port: number): Promise<{ result: DownloadResult; stopMs: number; exitCode: number }> {
  const download = new Download(port, '/big.bin');
  await download.progress(MiB, container.describe);
  const stopMs = await container.stop(30);
  const result = await download.result(10_000, container.describe);
  return { result, stopMs, exitCode: (await container.state()).exitCode };
}

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
    await eventually(
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
