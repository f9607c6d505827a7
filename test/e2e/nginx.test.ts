// A real nginx under gracie: a slow download (limit_rate) is in flight when gracie receives SIGTERM.
//
// nginx drains on SIGQUIT ("graceful shutdown": finish the requests in flight, then exit) and drops every
// connection on SIGTERM ("fast shutdown"), see https://nginx.org/en/docs/control.html. Docker, Kubernetes and ECS
// send SIGTERM. So without a rewrite the download is cut; with --stop-signal SIGQUIT it completes byte for byte.
import { describe, expect, it } from 'vitest';
import { AS_PID1, endedBySignal, gracie, type GracieRun } from './helpers';
import { Download, liveGroupMembers, nginxLog, nginxReady, nginxSite, type NginxSite, wholeFile } from './nginx-helpers';

const MiB = 1024 * 1024;
/** 6 MiB at 2 MiB/s: one download takes about 3 s. */
const SIZE = 6 * MiB;
const RATE = '2m';
/** Observable progress before the stop request: the download is under way, far from done. */
const PROGRESS = 512 * 1024;

/** Output of gracie and nginx, for failure messages. */
const describeBoth = (run: GracieRun, site: NginxSite) => (): string => `${run.describe()}--- nginx error log ---\n${nginxLog(site)}`;

/** Starts nginx under gracie, starts the download, waits for progress, sends SIGTERM to gracie. */
async function stopMidDownload(
  site: NginxSite,
  gracieArgs: string[],
): Promise<{ run: GracieRun; download: Download; atSignal: number; master: number }> {
  // cwd: the site's dir, so even a core dump (sh killed by SIGQUIT) stays in the temp dir.
  const run = gracie(gracieArgs, { cwd: site.dir });
  const master = await nginxReady(site, run);
  const download = new Download(site.port, '/big.bin');
  const atSignal = await download.progress(PROGRESS, describeBoth(run, site));
  await run.signal('SIGTERM');
  return { run, download, atSignal, master };
}

/** The msg of each of gracie's log lines, in order. */
const messages = (run: GracieRun): string[] => run.logs().map((entry) => String(entry.msg));

function logLine(run: GracieRun, pattern: RegExp): Record<string, unknown> {
  const entry = run.logs().find((line) => pattern.test(String(line.msg)));
  if (!entry) throw new Error(`expected a log line matching ${pattern}; saw:\n${run.stderr}`);
  return entry;
}

describe('nginx under gracie, stopped mid-download', () => {
  it('--stop-signal SIGQUIT: nginx drains, the download completes byte for byte, nginx and gracie exit 0', async () => {
    const site = await nginxSite({ size: SIZE, rate: RATE });
    const { run, download, atSignal } = await stopMidDownload(site, ['--stop-signal', 'SIGQUIT', '--', ...site.argv]);
    const ended = await run.exit(20_000);
    const result = await download.result(5_000, describeBoth(run, site));

    expect(atSignal, 'the stop request came mid-download').toBeLessThan(site.size);
    expect(result, `the whole file, byte for byte; saw:\n${describeBoth(run, site)()}`).toEqual(wholeFile(site));
    expect(ended, run.describe()).toMatchObject({ code: 0, signal: null });
    // What nginx saw: SIGQUIT (from gracie), never SIGTERM.
    expect(nginxLog(site)).toMatch(/signal 3 \(SIGQUIT\) received/);
    expect(nginxLog(site)).not.toMatch(/signal 15 \(SIGTERM\)/);
    // The logs of the stop read: received SIGTERM -> forwarded SIGQUIT -> child exited 0 after N ms.
    const received = logLine(run, /^received SIGTERM, forwarded SIGQUIT$/);
    expect(received).toMatchObject({ level: 30, signal: 'SIGTERM', forwardAs: 'SIGQUIT', delayMs: 0, timeoutMs: 10_000 });
    const exited = logLine(run, /^child exited with code 0 \d+ms after the stop request$/);
    expect(exited).toMatchObject({ level: 30, code: 0, signal: null });
    const stopLines = messages(run).filter((msg) => /^received |^child |stop timeout/.test(msg));
    expect(stopLines).toEqual(['received SIGTERM, forwarded SIGQUIT', `child exited with code 0 ${String(exited.shutdownMs)}ms after the stop request`]);
    // The drain took real time: at least 5 of the 6 MiB were still to send at 2 MiB/s.
    expect(exited.shutdownMs).toBeGreaterThanOrEqual(1000);
  });

  it('plain SIGTERM forwarding: nginx shuts down fast and the download is cut (why the rewrite matters)', async () => {
    const site = await nginxSite({ size: SIZE, rate: RATE });
    const { run, download, atSignal } = await stopMidDownload(site, ['--', ...site.argv]);
    const ended = await run.exit(20_000);
    const result = await download.result(5_000, describeBoth(run, site));

    // nginx exits 0 on SIGTERM too: the exit code does not tell that clients were dropped. The client sees it.
    expect(ended, run.describe()).toMatchObject({ code: 0, signal: null });
    expect(result.complete, `the download was cut; saw ${JSON.stringify(result)}`).toBe(false);
    expect(result.bytes).toBeGreaterThanOrEqual(atSignal);
    expect(result.bytes).toBeLessThan(site.size);
    expect(nginxLog(site)).toMatch(/signal 15 \(SIGTERM\) received/);
    expect(logLine(run, /^received SIGTERM, forwarded SIGTERM$/)).toMatchObject({ signal: 'SIGTERM', forwardAs: 'SIGTERM' });
    const exited = logLine(run, /^child exited with code 0 \d+ms after the stop request$/);
    // Fast shutdown: nginx is gone long before the 2.5 s the rest of the download would have taken.
    expect(exited.shutdownMs).toBeLessThan(2000);
  });

  // The shell-form case: sh is gracie's child and nginx sh's. The stop signal kills sh at once (sh has no handler
  // for it); nginx, adopted by gracie (PID 1 or subreaper), is still draining. gracie waits for it.
  it.each([
    { name: 'SIGQUIT to sh only', flags: [] as string[] },
    { name: '-g: SIGQUIT to the whole group', flags: ['-g'] },
  ])('shell form `sh -c "nginx ... & wait"` ($name): sh dies at once, gracie waits and the download completes', async ({ flags }) => {
    const site = await nginxSite({ size: SIZE, rate: RATE });
    const { run, download, atSignal, master } = await stopMidDownload(site, [
      '-w',
      ...flags,
      '--stop-signal',
      'SIGQUIT',
      '--',
      'sh',
      '-c',
      `${site.shell} & wait`,
    ]);
    const ended = await run.exit(20_000);
    const result = await download.result(5_000, describeBoth(run, site));

    expect(atSignal).toBeLessThan(site.size);
    expect(result, `the whole file, byte for byte; saw:\n${describeBoth(run, site)()}`).toEqual(wholeFile(site));
    // gracie exits with its main child's status: sh, killed by SIGQUIT (-e 131 would report it as 0).
    expect(ended, run.describe()).toMatchObject(endedBySignal('SIGQUIT', 3));
    const shDied = logLine(run, /^child was killed by SIGQUIT \d+ms after the stop request$/);
    const left = logLine(run, /^processes are left behind: sent SIGQUIT, waiting for them$/);
    const reaped = logLine(run, new RegExp(`^Reaped zombie process with pid=${master}$`));
    const drained = logLine(run, /^everything left behind has exited \d+ms after the child$/);
    expect(reaped, 'the nginx master exited 0 after its drain').toMatchObject({ code: 0, signal: null });
    // In this order: sh died, the leftovers got SIGQUIT, the nginx master was reaped, gracie was done.
    const order = [shDied, left, reaped, drained].map((entry) => messages(run).indexOf(String(entry.msg)));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // sh went at once; the drain (most of the download) happened after it, inside the 10 s budget.
    expect(shDied.shutdownMs).toBeLessThan(1000);
    expect(drained.drainMs).toBeGreaterThanOrEqual(1000);
    expect(messages(run).some((msg) => /stop timeout reached/.test(msg))).toBe(false);
  });

  it('an nginx that cannot finish in time is SIGKILLed at the budget; gracie logs it and exits 137', async () => {
    // 6 MiB at 128 KiB/s is 48 s of download; worker_shutdown_timeout would let nginx drain for 60 s.
    const site = await nginxSite({ size: SIZE, rate: '128k', workerShutdownTimeout: '60s' });
    const run = gracie(['--stop-signal', 'SIGQUIT', '-t', '1s', '--', ...site.argv], { cwd: site.dir });
    const master = await nginxReady(site, run);
    const download = new Download(site.port, '/big.bin');
    await download.progress(64 * 1024, describeBoth(run, site));
    await run.signal('SIGTERM');
    const ended = await run.exit(10_000);
    const result = await download.result(5_000, describeBoth(run, site));

    // As PID 1: 128 + 9. Not PID 1, gracie ends itself with SIGKILL, so a calling shell sees the real cause.
    expect(ended, run.describe()).toMatchObject(endedBySignal('SIGKILL', 9));
    expect(AS_PID1 ? ended.code : ended.signal).toBe(AS_PID1 ? 137 : 'SIGKILL');
    // nginx was draining (graceful shutdown under way) when the budget ran out.
    expect(nginxLog(site)).toMatch(/signal 3 \(SIGQUIT\) received/);
    expect(nginxLog(site)).toMatch(/gracefully shutting down/);
    expect(result.complete).toBe(false);
    expect(result.bytes).toBeLessThan(site.size);
    const escalation = logLine(run, /^stop timeout reached: sent SIGKILL to the child's process group$/);
    expect(escalation).toMatchObject({ level: 40, target: 'group' });
    expect(escalation.afterMs).toBeGreaterThanOrEqual(1000);
    expect(escalation.afterMs).toBeLessThan(3000);
    expect(messages(run).filter((msg) => /^received |^stop timeout|^child /.test(msg))).toEqual([
      'received SIGTERM, forwarded SIGQUIT',
      "stop timeout reached: sent SIGKILL to the child's process group",
      expect.stringMatching(/^child was killed by SIGKILL \d+ms after the stop request$/),
    ]);
    // The whole group went: the worker that was still serving too. (As PID 1, the namespace is gone anyway.)
    if (!AS_PID1) expect(liveGroupMembers(master)).toEqual([]);
  });
});
