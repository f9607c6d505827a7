// gracie's single executable in real containers: as the ENTRYPOINT of an image without Node (Dockerfile.example's
// nginx-without-node), as podman's own init (`podman run --init --init-path`) in front of an image that has neither
// Node nor gracie, and on read-only root filesystems, where it needs somewhere to load koffi from.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Download, freePort } from '../e2e/download';
import { HOST_SEA, PLAIN_NGINX_IMAGE } from './images';
import { Container, eventually, exampleImage, podmanResult, type ContainerOptions } from './podman';

const MiB = 1024 * 1024;
const SIZE = 6 * MiB;
const site = mkdtempSync(join(tmpdir(), 'gracie-container-sea-'));
chmodSync(site, 0o755);
const content = randomBytes(SIZE);
const SHA256 = createHash('sha256').update(content).digest('hex');
writeFileSync(join(site, 'big.bin'), content, { mode: 0o644 });
writeFileSync(join(site, 'rate.conf'), 'limit_rate 2m;\n', { mode: 0o644 });
afterAll(() => rmSync(site, { recursive: true, force: true }));

/** nginx on a free port serving /big.bin at 2 MiB/s; resolves once it answers. */
async function startNginx(image: string, options: ContainerOptions = {}): Promise<{ container: Container; port: number }> {
  const port = await freePort();
  const container = await Container.run(image, {
    ...options,
    ports: { [port]: 80 },
    volumes: [`${join(site, 'big.bin')}:/var/www/html/big.bin:ro`, `${join(site, 'rate.conf')}:/etc/nginx/conf.d/gracie-test-rate.conf:ro`],
  });
  await eventually(
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).status === 200 || undefined;
      } catch {
        return undefined;
      }
    },
    `nginx in ${container.name} to answer on 127.0.0.1:${port}`,
    container.describe,
    20_000,
  );
  return { container, port };
}

/** podman stop -t 30 once 1 MiB of /big.bin has arrived; the download must then complete byte for byte. */
async function stopMidDownload(container: Container, port: number): Promise<void> {
  const download = new Download(port, '/big.bin');
  await download.progress(MiB, container.describe);
  await container.stop(30);
  const result = await download.result(10_000, container.describe);
  expect(result, `the whole file, byte for byte\n${container.describe()}`).toEqual({ status: 200, bytes: SIZE, sha256: SHA256, complete: true, error: undefined });
  expect((await container.state()).exitCode, container.describe()).toBe(0);
  await container.waitForLog(/^received SIGTERM, forwarded SIGQUIT$/);
  await container.waitForLog(/^child exited with code 0 \d+ms after the stop request$/);
}

describe('the single executable in an image without Node', () => {
  it('nginx-without-node: gracie is PID 1, one file, and no Node anywhere in the image', async () => {
    const { container } = await startNginx(exampleImage('nginx-without-node'));
    const procs = await container.processes();
    expect(procs.find((p) => p.pid === 1)?.cmdline).toBe('gracie -- nginx -g daemon off;');
    expect((await container.exec(['readlink', '/proc/1/exe'])).trim()).toBe('/usr/local/bin/gracie');
    const noNode = await podmanResult(['exec', container.name, 'sh', '-c', 'command -v node || ls /usr/local/lib/node_modules']);
    expect(noNode.code, `no node in the image: ${noNode.stdout}`).not.toBe(0);
    // koffi came from inside the executable: its mapping is a file already removed from disk (src/sea.ts).
    const maps = await container.exec(['cat', '/proc/1/maps']);
    expect(maps).toMatch(/\/(#\d+|gracie-\w+\/koffi\.node) \(deleted\)$/m);
  });
});

describe('podman run --init --init-path <gracie single executable>', () => {
  const flags = ['--init', '--init-path', HOST_SEA];

  it('stands in for catatonit in front of an image with neither Node nor gracie; GRACIE_* come from -e', async () => {
    const { container, port } = await startNginx(PLAIN_NGINX_IMAGE, { flags, env: { GRACIE_STOP_SIGNAL: 'SIGQUIT', GRACIE_STOP_TIMEOUT: '25s' } });
    const procs = await container.processes();
    // podman bind-mounts the --init-path file at /run/podman-init and calls it as `/run/podman-init -- CMD...`.
    expect(procs.find((p) => p.pid === 1)?.cmdline).toBe('/run/podman-init -- nginx -g daemon off;');
    expect(procs.find((p) => p.cmdline.startsWith('nginx: master process'))).toMatchObject({ ppid: 1 });
    await stopMidDownload(container, port);
  });

  it('reaps orphans as PID 1', async () => {
    const { container } = await startNginx(PLAIN_NGINX_IMAGE, { flags });
    const orphan = Number((await container.exec(['sh', '-c', 'sleep 300 & echo $!'])).trim());
    expect((await container.processes()).find((p) => p.pid === orphan)).toMatchObject({ ppid: 1 });
    await container.exec(['sh', '-c', `kill ${orphan}`]);
    await eventually(
      async () => ((await container.processes()).some((p) => p.pid === orphan) ? undefined : true),
      `orphan ${orphan} to be reaped`,
      container.describe,
    );
  });
});

describe('read-only root filesystem', () => {
  it("podman's --read-only (tmpfs on /tmp): koffi loads from /tmp, gracie reaps and drains as usual", async () => {
    // nginx itself needs a writable /var/lib/nginx; podman's --read-only already gives /tmp, /var/tmp and /run.
    const { container, port } = await startNginx(exampleImage('nginx-without-node'), { flags: ['--read-only', '--tmpfs', '/var/lib/nginx'] });
    const maps = await container.exec(['cat', '/proc/1/maps']);
    expect(maps).toMatch(/ \/tmp\/(#\d+|gracie-\w+\/koffi\.node) \(deleted\)$/m);
    expect(container.stderr).not.toMatch(/no libc bindings/);
    await stopMidDownload(container, port);
  });

  it('nothing writable and executable (--read-only-tmpfs=false): gracie says why it has no libc, and still stops nginx gracefully', async () => {
    // nginx needs a writable /run and /var/lib/nginx: tmpfs mounted noexec, as hardened setups do; /dev/shm is
    // podman's, noexec too.
    const noexec = ['--tmpfs', '/run:rw,noexec', '--tmpfs', '/var/lib/nginx:rw,noexec', '--tmpfs', '/tmp:rw,noexec'];
    const { container, port } = await startNginx(exampleImage('nginx-without-node'), { flags: ['--read-only', '--read-only-tmpfs=false', ...noexec] });
    const warning = await container.waitForLog(/^no libc bindings: forwarding signals only/);
    expect(String(warning.reason)).toMatch(/no directory to load the embedded koffi\.node from/);
    await stopMidDownload(container, port);
  });
});
