// End-to-end helpers: run the built bin/gracie.js (directly, as users do, or as PID 1 of a fresh PID namespace),
// watch its output with deadlines, and clean up every process afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach } from 'vitest';
import { waitFor } from './wait';

export { waitFor };

/** Set by the e2e-pid1 project: gracie runs as PID 1 under `unshare --pid --fork --mount-proc`. */
export const AS_PID1 = process.env.GRACIE_E2E_PID1 === '1';
export const GRACIE = resolve(__dirname, '../../bin/gracie.js');
export const FIXTURES = resolve(__dirname, '../fixtures');
export const SIGNALS_FIXTURE = [process.execPath, resolve(FIXTURES, 'signals.mjs')];
/**
 * The command that runs gracie: the built bin/gracie.js through its shebang, or another artifact given as a JSON
 * argv in GRACIE_E2E_COMMAND (scripts/test-arm64.sh: the launcher on an arm64 Node under qemu-user).
 */
export const GRACIE_COMMAND: readonly string[] = process.env.GRACIE_E2E_COMMAND ? JSON.parse(process.env.GRACIE_E2E_COMMAND) : [GRACIE];
/**
 * Set (GRACIE_E2E_SEA=1, scripts/test-sea.sh) when GRACIE_E2E_COMMAND is gracie's single executable: no launcher,
 * Node's options fixed inside it. Tests that need a --require hook in gracie's own Node cannot run against it (the
 * executable ignores NODE_OPTIONS and takes no Node options, by design): they are defined for the npm package only.
 */
export const AS_SEA = process.env.GRACIE_E2E_SEA === '1';

if (!existsSync(resolve(__dirname, '../../dist/gracie.js'))) {
  throw new Error('dist/gracie.js is missing: run `npm run build` (npm test does it)');
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  /** run `node bin/gracie.js` instead of executing bin/gracie.js through its shebang */
  viaNode?: boolean;
  /** arguments for gracie's own Node, before bin/gracie.js (a `--require` hook); implies viaNode */
  nodeArgs?: string[];
  /** close the test's end of gracie's stderr pipe right after the spawn: every log write then fails with EPIPE */
  closeStderrReader?: boolean;
  /** open this many extra pipes for gracie, as fds 3, 4, ... (socket activation, a pipe to a sidecar) */
  extraFds?: number;
}

const running = new Set<GracieRun>();

afterEach(async () => {
  await Promise.all([...running].map((run) => run.kill()));
});

/** A running gracie and everything it prints. */
export class GracieRun {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly ended: Promise<Ended>;
  private exited = false;

  constructor(args: readonly string[], options: RunOptions = {}) {
    if ((options.viaNode || options.nodeArgs) && process.env.GRACIE_E2E_COMMAND) {
      throw new Error('viaNode and nodeArgs run bin/gracie.js on the test\'s Node, not the GRACIE_E2E_COMMAND artifact');
    }
    const gracie = options.viaNode || options.nodeArgs ? [process.execPath, ...(options.nodeArgs ?? []), GRACIE] : GRACIE_COMMAND;
    const argv = AS_PID1 ? ['unshare', '--pid', '--fork', '--mount-proc', ...gracie, ...args] : [...gracie, ...args];
    const env = { ...process.env, GRACIE_E2E_PID1: undefined, ...options.env };
    const stdio: Array<'pipe'> = Array(3 + (options.extraFds ?? 0)).fill('pipe');
    this.proc = spawn(argv[0], argv.slice(1), { env, cwd: options.cwd, stdio });
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    // Closed before gracie's Node has even started, so before its first log line.
    if (options.closeStderrReader) this.proc.stderr?.destroy();
    else this.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    if (options.stdin !== undefined) this.proc.stdin?.end(options.stdin);
    this.ended = new Promise((resolveEnded) => {
      this.proc.on('close', (code, signal) => {
        this.exited = true;
        running.delete(this);
        resolveEnded({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    running.add(this);
  }

  /** Output so far, for failure messages. */
  describe(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  /** Waits until at least `count` stdout lines match `pattern`; returns the matches. */
  async waitForLines(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<RegExpMatchArray[]> {
    return waitFor(
      () => {
        const matches = this.stdout.split('\n').flatMap((line) => line.match(pattern) ?? []).length;
        if (matches < count) return undefined;
        return this.stdout.split('\n').map((line) => line.match(pattern)).filter((m): m is RegExpMatchArray => m !== null);
      },
      `${count} stdout line(s) matching ${pattern}`,
      () => this.describe(),
      timeoutMs,
    );
  }

  /** Waits for the fixture's "<tag> ready <pid>" line; returns that pid (in gracie's PID namespace). */
  async ready(tag = 'child'): Promise<number> {
    const [match] = await this.waitForLines(new RegExp(`^${tag} ready (\\d+)$`));
    return Number(match[1]);
  }

  /** gracie's pid as seen from the test: the process itself, or unshare's forked child. */
  async graciePid(): Promise<number> {
    if (!AS_PID1) return this.proc.pid as number;
    const unsharePid = this.proc.pid as number;
    return waitFor(
      () => {
        const children = readIfExists(`/proc/${unsharePid}/task/${unsharePid}/children`)?.trim();
        if (!children) return undefined;
        const pid = Number(children.split(' ')[0]);
        return readIfExists(`/proc/${pid}/cmdline`)?.includes('gracie') ? pid : undefined;
      },
      `gracie to run under unshare (pid ${unsharePid})`,
      () => this.describe(),
    );
  }

  /** Sends a signal to gracie itself. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    process.kill(await this.graciePid(), signal);
  }

  /** gracie's log lines, parsed (JSON format). */
  logs(): Array<Record<string, unknown>> {
    return this.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits for a log line whose msg matches `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return waitFor(
      () => this.logs().find((entry) => pattern.test(String(entry.msg))),
      `a log line matching ${pattern}`,
      () => this.describe(),
      timeoutMs,
    );
  }

  /** Waits for gracie to exit, failing with its output if it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 15_000): Promise<Ended> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gracie did not exit within ${timeoutMs}ms; saw:\n${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs gracie and every fixture it reported, then waits for gracie to be gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    if (!AS_PID1) {
      // The fixtures run in their own session: kill their process groups by the pids they printed.
      for (const match of this.stdout.matchAll(/ready (\d+)/g)) tryKill(-Number(match[1]));
      for (const match of this.stdout.matchAll(/ready (\d+)/g)) tryKill(Number(match[1]));
    }
    if (AS_PID1) {
      // Killing gracie, PID 1 of the namespace, ends everything in it; unshare then exits on its own.
      const unsharePid = this.proc.pid as number;
      const children = readIfExists(`/proc/${unsharePid}/task/${unsharePid}/children`)?.trim();
      for (const pid of children ? children.split(' ') : []) tryKill(Number(pid));
    }
    tryKill(this.proc.pid as number);
    await this.ended;
  }
}

/** Starts gracie with `args`. */
export function gracie(args: readonly string[], options?: RunOptions): GracieRun {
  return new GracieRun(args, options);
}

/** How gracie reports a child killed by `signal`: the same signal when not PID 1, 128+N as PID 1. */
export function endedBySignal(signal: NodeJS.Signals, number: number): Pick<Ended, 'code' | 'signal'> {
  return AS_PID1 ? { code: 128 + number, signal: null } : { code: null, signal };
}

export function tryKill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
