// gracie's single executable in real containers: as the ENTRYPOINT of an image without Node (Dockerfile.example's
// nginx-without-node), as podman's own init (`podman run --init --init-path`) in front of an image that has neither
// Node nor gracie, and on read-only root filesystems, where it needs somewhere to load koffi from.
import { describe, expect, it } from 'vitest';
import { HOST_SEA, PLAIN_NGINX_IMAGE } from './images';
import { startNginx, stopMidDownload, WHOLE } from './nginx-site';
import { waitFor, exampleImage, podmanResult, type Container } from './podman';

/** podman stop -t 30 once 1 MiB of /big.bin has arrived; the download must then complete byte for byte. */
async function expectGracefulStopMidDownload(container: Container, port: number): Promise<void> {
  const { result, exitCode } = await stopMidDownload(container, port);
  expect(result, `the whole file, byte for byte\n${container.describe()}`).toEqual(WHOLE);
  expect(exitCode, container.describe()).toBe(0);
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
    await expectGracefulStopMidDownload(container, port);
  });

  it('reaps orphans as PID 1', async () => {
    const { container } = await startNginx(PLAIN_NGINX_IMAGE, { flags });
    const orphan = Number((await container.exec(['sh', '-c', 'sleep 300 & echo $!'])).trim());
    expect((await container.processes()).find((p) => p.pid === orphan)).toMatchObject({ ppid: 1 });
    await container.exec(['sh', '-c', `kill ${orphan}`]);
    await waitFor(
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
    await expectGracefulStopMidDownload(container, port);
  });

  it('nothing writable and executable (--read-only-tmpfs=false): gracie says why it has no libc, and still stops nginx gracefully', async () => {
    // nginx needs a writable /run and /var/lib/nginx: tmpfs mounted noexec, as hardened setups do; /dev/shm is
    // podman's, noexec too.
    const noexec = ['--tmpfs', '/run:rw,noexec', '--tmpfs', '/var/lib/nginx:rw,noexec', '--tmpfs', '/tmp:rw,noexec'];
    const { container, port } = await startNginx(exampleImage('nginx-without-node'), { flags: ['--read-only', '--read-only-tmpfs=false', ...noexec] });
    const warning = await container.waitForLog(/^no libc bindings: forwarding signals only/);
    expect(String(warning.reason)).toMatch(/no directory to load the embedded koffi\.node from/);
    await expectGracefulStopMidDownload(container, port);
  });
});
