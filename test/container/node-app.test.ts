// The node-app example of Dockerfile.example in a real engine, under load: requests in flight when `podman stop`
// comes must all be answered, and GRACIE_STOP_DELAY must keep the app serving new ones until it is over.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort } from '../e2e/download';
import { Container, exampleImage } from './podman';

const IMAGE = exampleImage('node-app');

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

/** One GET on its own connection; resolves with the answer or the error that ended it (refused, reset). */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', (error) => resolve({ status: response.statusCode, body, error: error.message }));
    });
    req.on('error', (error) => resolve({ error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` }));
    req.end();
  });
}

async function startApp(env: Record<string, string> = {}): Promise<{ container: Container; port: number }> {
  const port = await freePort();
  const container = await Container.run(IMAGE, { env, ports: { [port]: 8080 } });
  await container.waitForStdout(/^listening on 8080$/);
  return { container, port };
}

describe('node-app example', () => {
  it('50 slow requests in flight at podman stop: every one answered 200, none refused or reset, exit 0', async () => {
    const { container, port } = await startApp();
    const inFlight = Array.from({ length: 50 }, () => get(port, '/?ms=3000'));
    // Every request has reached the app (it logs each one) before the stop.
    await container.waitForStdout(/^GET \/\?ms=3000$/, 50);
    const stopping = container.stop(30);
    const answers = await Promise.all(inFlight);
    const stopMs = await stopping;
    const ok = answers.filter((answer) => answer.status === 200 && answer.body === 'done after 3000 ms\n' && !answer.error);
    expect(ok.length, `answers: ${JSON.stringify(answers.filter((a) => !ok.includes(a)))}\n${container.describe()}`).toBe(50);
    expect((await container.state()).exitCode, container.describe()).toBe(0);
    await container.waitForStdout(/^SIGTERM: draining$/);
    const exited = await container.waitForLog(/^child exited with code 0 \d+ms after the stop request$/);
    console.log(`node-app under load: ${ok.length}/50 answered 200; shutdownMs ${exited.shutdownMs}; podman stop took ${Math.round(stopMs)} ms`);
  });

  it('GRACIE_STOP_DELAY=3s: requests sent during the delay are served, then the app drains and exits 0', async () => {
    const { container, port } = await startApp({ GRACIE_STOP_DELAY: '3s' });
    const stopping = container.stop(30);
    const received = await container.waitForLog(/^received SIGTERM, forwarding SIGTERM after the 3000ms stop delay$/);
    expect(received).toMatchObject({ delayMs: 3000 });
    // The app has not been told yet: it still accepts, as a load balancer that has not caught up expects.
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => get(port, `/?during=${i}`)));
    expect(container.stdout, 'the app got no SIGTERM during the delay').not.toMatch(/SIGTERM: draining/);
    expect(during.map((answer) => answer.status), JSON.stringify(during)).toEqual(Array(10).fill(200));
    await stopping;
    expect((await container.state()).exitCode, container.describe()).toBe(0);
    const over = await container.waitForLog(/^stop delay over, forwarded SIGTERM$/);
    expect(over.afterMs).toBeGreaterThanOrEqual(3000);
    // Served before the app started draining.
    const lines = container.stdout.split('\n');
    expect(lines.indexOf('GET /?during=9')).toBeLessThan(lines.indexOf('SIGTERM: draining'));
    expect(lines.indexOf('GET /?during=9')).toBeGreaterThanOrEqual(0);
  });
});
