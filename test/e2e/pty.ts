// Drives a command on a fresh pseudo-terminal through test/fixtures/pty-driver.py (see its docstring): typed input,
// expected output with deadlines, the terminal's foreground group, the exit status. Drivers still running after a
// test are ended, and with them every process of their terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach } from 'vitest';
const DRIVER = resolve(__dirname, '../fixtures/pty-driver.py');

export type Step =
  | { expect: string; within?: number; name?: string }
  | { send: string }
  | { fg_snapshot: string }
  | { fg_is: string; within?: number }
  | { fg_not: string; within?: number }
  | { exit: number | null; within?: number };

export interface PtyResult {
  ok: boolean;
  error: string | null;
  transcript: string;
  captures: Record<string, string[] | string>;
  fg: Record<string, number | string>;
  exit: { code: number | null; signal: number | null } | null;
}

/**
 * A shell command for a job that waits until it holds its terminal, prints "in the foreground", then sleeps: a ^C
 * meant for a job brought back with `fg` waits for that line. bash prints the job's line before it hands the job
 * the terminal, and a ^C in between goes to bash (a flake of the container and e2e tty tests). The job itself reads
 * its process group and the terminal's (fields 5 and 8 of /proc/PID/stat); the quotes split the marker from its echo.
 */
export const FOREGROUND_JOB = `sh -c 'until [ "$(cut -d" " -f5 /proc/$$/stat)" = "$(cut -d" " -f8 /proc/$$/stat)" ]; do sleep 0.05; done; echo "in the fore""ground"; exec sleep 300'`;

/** Running drivers, each with the promise of its end. */
const drivers = new Map<ChildProcess, Promise<unknown>>();

afterEach(async () => {
  // The driver SIGKILLs every process of its pty on SIGTERM; SIGKILL it too if it does not end within 5s.
  await Promise.all(
    [...drivers].map(async ([driver, closed]) => {
      driver.kill('SIGTERM');
      const timer = setTimeout(() => driver.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(timer);
    }),
  );
});

/** Runs `argv` on a fresh pty through the steps (env: variables to set, null to unset); resolves with what happened, fails with the driver's message. */
export async function onTerminal(argv: readonly string[], steps: readonly Step[], env: Record<string, string | null>): Promise<PtyResult> {
  const driver = spawn('python3', [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  driver.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  driver.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<number | null>((done) => {
    driver.once('close', done);
    driver.once('error', (error) => {
      stderr += `cannot run python3 ${DRIVER}: ${error.message}`;
      done(null);
    });
  });
  drivers.set(driver, closed);
  driver.stdin.end(JSON.stringify({ argv, env, steps }));
  const code = await closed;
  drivers.delete(driver);
  let result: PtyResult;
  try {
    result = JSON.parse(stdout) as PtyResult;
  } catch {
    throw new Error(`the pty driver failed (exit ${code}) without a result; stderr:\n${stderr}`);
  }
  if (!result.ok) throw new Error(`on the terminal, ${result.error}\n--- whole transcript ---\n${result.transcript}`);
  return result;
}
