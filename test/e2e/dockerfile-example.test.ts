// Dockerfile.example cannot rot: its ENTRYPOINT, CMD and ENV lines are read from the file and run as they are
// (the `gracie` word is the built bin/gracie.js; nginx reads a temp config through an `nginx` first on the PATH).
// In the e2e-pid1 project gracie is PID 1 of a fresh PID namespace, as in a container; in the e2e project the
// same lines run as a plain command, as `npx gracie` would.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineage, parseDockerfile, resolveStage, type Resolved } from './dockerfile';
import { gracie, tryKill, type GracieRun } from './helpers';
import { Download, freePort, nginxLog, nginxReady, nginxSite, type NginxSite, wholeFile } from './nginx-helpers';

const ROOT = resolve(__dirname, '../..');
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile.example'), 'utf8'));
const examples = stages.filter((stage) => stage.example !== undefined);

const MiB = 1024 * 1024;

/** Temp dirs standing in for an image's WORKDIR; the processes still running in them are killed afterwards. */
const workdirs = new Set<string>();
afterEach(() => {
  for (const dir of workdirs) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        continue;
      }
      if (cwd === dir) tryKill(Number(entry));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  workdirs.clear();
});

/** gracie's arguments from the example's argv: the first word must be `gracie`, the ENTRYPOINT's program. */
function gracieArgs(resolved: Resolved): string[] {
  expect(resolved.argv[0], `ENTRYPOINT starts with gracie: ${JSON.stringify(resolved.argv)}`).toBe('gracie');
  return resolved.argv.slice(1);
}

/** The environment of the example (its ENV lines) on top of the test's, with `path` first on the PATH. */
function exampleEnv(resolved: Resolved, path: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...resolved.env, PATH: `${path}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra };
}

const describeBoth = (run: GracieRun, site: NginxSite) => (): string => `${run.describe()}--- nginx error log ---\n${nginxLog(site)}`;

function logLine(run: GracieRun, pattern: RegExp): Record<string, unknown> {
  const entry = run.logs().find((line) => pattern.test(String(line.msg)));
  if (!entry) throw new Error(`expected a log line matching ${pattern}; saw:\n${run.stderr}`);
  return entry;
}

/** Runs an nginx example mid-download: SIGTERM to gracie, the download must complete byte for byte. */
async function nginxExample(name: string): Promise<{ run: GracieRun; resolved: Resolved }> {
  const resolved = resolveStage(stages, name);
  const site = await nginxSite({ size: 6 * MiB, rate: '2m' });
  const run = gracie(gracieArgs(resolved), { env: exampleEnv(resolved, site.shimDir), cwd: site.dir });
  await nginxReady(site, run);
  const download = new Download(site.port, '/big.bin');
  await download.progress(512 * 1024, describeBoth(run, site));
  await run.signal('SIGTERM');
  await run.exit(20_000);
  const result = await download.result(5_000, describeBoth(run, site));
  expect(result, `the whole file, byte for byte; saw:\n${describeBoth(run, site)()}`).toEqual(wholeFile(site));
  expect(nginxLog(site)).toMatch(/signal 3 \(SIGQUIT\) received/);
  const received = logLine(run, /^received SIGTERM, forwarded SIGQUIT$/);
  expect(received.timeoutMs, 'GRACIE_STOP_TIMEOUT from the ENV line').toBe(25_000);
  return { run, resolved };
}

/** One test per `# example:` stage. An example without an entry here fails: every example is exercised. */
const RUNNERS: Record<string, () => Promise<void>> = {
  async nginx() {
    const resolved = resolveStage(stages, 'nginx');
    expect(resolved.argv).toEqual(['gracie', '--', 'nginx', '-g', 'daemon off;']);
    expect(resolved.env).toMatchObject({ GRACIE_STOP_SIGNAL: 'SIGQUIT' });
    const { run } = await nginxExample('nginx');
    expect((await run.ended).code, run.describe()).toBe(0);
    logLine(run, /^child exited with code 0 \d+ms after the stop request$/);
  },

  async 'node-app'() {
    const resolved = resolveStage(stages, 'node-app');
    expect(resolved.argv).toEqual(['gracie', '--', 'node', 'server.js']);
    // WORKDIR /app is a temp dir here; the app's files are copied into it from the build context (this repository).
    const app = mkdtempSync(join(tmpdir(), 'gracie-node-app-'));
    workdirs.add(app);
    expect(resolved.contextCopies, 'the app comes from the repository (COPY examples/node-app/ ./)').toEqual([{ sources: ['examples/node-app/'], dest: '/app' }]);
    for (const { sources, dest } of resolved.contextCopies) {
      expect(`${dest}/`.startsWith(`${resolved.workdir}/`), `${dest} is under WORKDIR ${resolved.workdir}`).toBe(true);
      for (const source of sources) cpSync(join(ROOT, source), join(app, dest.slice(`${resolved.workdir}`.length)), { recursive: true });
    }
    // `docker run -e PORT=...` overrides the ENV line, as here: a free port.
    const run = gracie(gracieArgs(resolved), { env: exampleEnv(resolved, app, { PORT: String(await freePort()) }), cwd: app });
    const [listening] = await run.waitForLines(/^listening on (\d+)$/);
    const port = Number(listening[1]);
    const slow = request(port, '/?ms=1500');
    await run.waitForLines(/^GET \/\?ms=1500$/);
    await run.signal('SIGTERM');
    await run.waitForLines(/^SIGTERM: draining$/);
    // Draining: no new connection is accepted, the one in flight completes.
    expect(await request(port, '/')).toMatchObject({ error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await slow).toEqual({ status: 200, body: 'done after 1500 ms\n', error: undefined });
    const ended = await run.exit();
    expect(ended, run.describe()).toMatchObject({ code: 0, signal: null });
    expect(logLine(run, /^received SIGTERM, forwarded SIGTERM$/)).toMatchObject({ timeoutMs: 25_000 });
    const exited = logLine(run, /^child exited with code 0 \d+ms after the stop request$/);
    expect(exited.shutdownMs).toBeGreaterThanOrEqual(500);
  },

  async 'nginx-without-node'() {
    const resolved = resolveStage(stages, 'nginx-without-node');
    expect(resolved.argv).toEqual(['gracie', '--', 'nginx', '-g', 'daemon off;']);
    const { run } = await nginxExample('nginx-without-node');
    expect((await run.ended).code, run.describe()).toBe(0);
  },

  async 'legacy-shell-form'() {
    const resolved = resolveStage(stages, 'legacy-shell-form');
    // What Docker runs for a shell-form CMD behind an exec-form ENTRYPOINT.
    expect(resolved.argv).toEqual(['gracie', '-g', '--', '/bin/sh', '-c', "nginx -g 'daemon off;'"]);
    const { run } = await nginxExample('legacy-shell-form');
    // sh died of the SIGQUIT at once; gracie waited for nginx's drain; GRACIE_SUCCESS_EXIT=131 reports sh's end as 0.
    expect((await run.ended).code, run.describe()).toBe(0);
    logLine(run, /^child was killed by SIGQUIT \d+ms after the stop request$/);
    logLine(run, /^processes are left behind: sent SIGQUIT, waiting for them$/);
    const drained = logLine(run, /^everything left behind has exited \d+ms after the child$/);
    expect(drained.drainMs).toBeGreaterThanOrEqual(1000);
  },
};

/** A GET with its body, or the error that ended it. */
function request(port: number, path: string): Promise<{ status?: number; body?: string; error: string | undefined }> {
  return new Promise((resolveRequest) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolveRequest({ status: response.statusCode, body, error: undefined }));
      response.on('error', (error) => resolveRequest({ status: response.statusCode, body, error: error.message }));
    });
    req.on('error', (error) => resolveRequest({ error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` }));
  });
}

describe('Dockerfile.example', () => {
  it('has the layout its tests and readers rely on', () => {
    expect(examples.map((stage) => stage.example)).toEqual(['nginx', 'node-app', 'nginx-without-node', 'legacy-shell-form']);
    for (const stage of examples) {
      expect(stage.name, 'an example stage is named like its marker').toBe(stage.example);
      // Either built on the gracie stage (an image with Node), or given the single executable from gracie-sea.
      const onGracie = lineage(stages, stage.name)[0].name === 'gracie';
      const copiesSea = stage.copies.some((copy) => copy.from === 'gracie-sea' && copy.dest === '/usr/local/bin/gracie');
      expect(onGracie || copiesSea, `${stage.name} gets gracie from the gracie or the gracie-sea stage`).toBe(true);
    }
    const base = stages.find((stage) => stage.name === 'gracie');
    expect(base?.entrypoint).toEqual({ form: 'exec', argv: ['gracie', '--'] });
    // The build stage copies files that exist, and runs scripts that exist.
    const build = stages.find((stage) => stage.name === 'gracie-build');
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(build?.runs.join(' && ')).toMatch(/npm ci .*&& npm run build/);
    expect(scripts.build).toBeDefined();
    for (const source of build?.copies.flatMap((copy) => copy.sources) ?? []) {
      expect(existsSync(join(ROOT, source)), `COPY source ${source} exists`).toBe(true);
    }
    // The final image gets the bundle, the launcher and the production dependencies, nothing else.
    const runtime = stages.find((stage) => stage.name === 'gracie-runtime');
    expect(runtime?.runs).toEqual([expect.stringMatching(/^npm ci --omit=dev --ignore-scripts/)]);
    expect(runtime?.copies.map((copy) => copy.sources.join(' '))).toEqual(['/gracie/package.json /gracie/package-lock.json', '/gracie/bin/', '/gracie/dist/']);
    expect(existsSync(join(ROOT, 'dist/gracie.js'))).toBe(true);
  });

  it.each(examples.map((stage) => stage.example as string))('example %s: its ENTRYPOINT/CMD/ENV, run as written, stop gracefully', async (name) => {
    const runner = RUNNERS[name];
    if (!runner) throw new Error(`Dockerfile.example has an example '${name}' that no test runs: add it to RUNNERS`);
    await runner();
  });
});
