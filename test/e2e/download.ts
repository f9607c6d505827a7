// A download through Node's http client that is counted and hashed as it arrives (the proof that a graceful stop
// let a response finish), and free ports on 127.0.0.1. Every download still open is destroyed after each test.
import { createHash, type Hash } from 'node:crypto';
import { get, type ClientRequest } from 'node:http';
import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import { waitFor } from './wait';

const downloads = new Set<ClientRequest>();

afterEach(() => {
  for (const request of downloads) request.destroy();
  downloads.clear();
});

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DownloadResult {
  status: number | undefined;
  bytes: number;
  sha256: string;
  /** the whole body arrived (Content-Length reached) */
  complete: boolean;
  error: string | undefined;
}

/** One GET through Node's http client, counted and hashed as it arrives. */
export class Download {
  received = 0;
  readonly done: Promise<DownloadResult>;
  private readonly hash: Hash = createHash('sha256');

  constructor(port: number, path: string) {
    this.done = new Promise((resolve) => {
      const request = get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        response.on('data', (chunk: Buffer) => {
          this.received += chunk.length;
          this.hash.update(chunk);
        });
        let error: string | undefined;
        response.on('error', (err) => (error = err.message));
        response.on('close', () => {
          downloads.delete(request);
          resolve({ status: response.statusCode, bytes: this.received, sha256: this.hash.digest('hex'), complete: response.complete, error });
        });
      });
      request.on('error', (err) => {
        downloads.delete(request);
        resolve({ status: undefined, bytes: this.received, sha256: '', complete: false, error: err.message });
      });
      downloads.add(request);
    });
  }

  /** Waits until at least `bytes` arrived: the download is under way. */
  async progress(bytes: number, describe: () => string): Promise<number> {
    return waitFor(
      () => (this.received >= bytes ? this.received : undefined),
      `${bytes} bytes of the download`,
      () => `received ${this.received} bytes\n${describe()}`,
    );
  }

  /** The result, failing with `describe()` if the download does not end within `timeoutMs`. */
  async result(timeoutMs: number, describe: () => string): Promise<DownloadResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the download did not end within ${timeoutMs}ms (received ${this.received} bytes); saw:\n${describe()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
