// What the container suite's nginx scenarios share: one large random file served at 2 MiB/s (mounted into an
// image as built, with one conf.d line that limits the rate, so a download lasts seconds), a container of an nginx
// image on a free port, and `podman stop` in the middle of a download. The site is removed after the test file.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Download, freePort, type DownloadResult } from '../e2e/download';
import { Container, waitFor, type ContainerOptions } from './podman';

const MiB = 1024 * 1024;
export const SIZE = 8 * MiB;

const site = mkdtempSync(join(tmpdir(), 'gracie-container-nginx-'));
chmodSync(site, 0o755);
const content = randomBytes(SIZE);
writeFileSync(join(site, 'big.bin'), content, { mode: 0o644 });
// Debian's nginx.conf includes conf.d/*.conf inside its http block.
writeFileSync(join(site, 'rate.conf'), 'limit_rate 2m;\n', { mode: 0o644 });
afterAll(() => rmSync(site, { recursive: true, force: true }));

/** What a download of the whole file looks like: every byte, in order, and a finished response. */
export const WHOLE: DownloadResult = { status: 200, bytes: SIZE, sha256: createHash('sha256').update(content).digest('hex'), complete: true, error: undefined };

/** A container of an nginx image on a free port, serving /big.bin at 2 MiB/s; resolves once nginx answers. */
export async function startNginx(image: string, options: ContainerOptions = {}): Promise<{ container: Container; port: number }> {
  const port = await freePort();
  const container = await Container.run(image, {
    ...options,
    ports: { [port]: 80 },
    volumes: [`${join(site, 'big.bin')}:/var/www/html/big.bin:ro`, `${join(site, 'rate.conf')}:/etc/nginx/conf.d/gracie-test-rate.conf:ro`],
  });
  await waitFor(
    async () => (await headStatus(port)) === 200 || undefined,
    `nginx in ${container.name} to answer on 127.0.0.1:${port}`,
    container.describe,
    20_000,
  );
  return { container, port };
}

/** The status of GET / , or undefined while nothing answers. */
export async function headStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return undefined;
  }
}

/** Starts a download of /big.bin, waits until 1 MiB has arrived, then `podman stop -t 30`. */
export async function stopMidDownload(container: Container, port: number): Promise<{ result: DownloadResult; stopMs: number; exitCode: number }> {
  const download = new Download(port, '/big.bin');
  await download.progress(MiB, container.describe);
  const stopMs = await container.stop(30);
  const result = await download.result(10_000, container.describe);
  return { result, stopMs, exitCode: (await container.state()).exitCode };
}
