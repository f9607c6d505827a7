// gracie, top-down: parse, configure, spawn, supervise, exit. The only place that catches errors and picks
// the exit path. Setup may fail (exit 2, 126, 127, 1); once the child runs, errors are logged, never fatal.
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { childEnvironment, sendSignal, spawnChild } from './child';
import { parseCommandLine } from './cli';
import { resolveConfig, type Config, type Env } from './config';
import { GracieError, UsageError } from './errors';
import { decideExit, INTERNAL_FAILURE, type ChildEnd, type ExitDecision } from './exit-status';
import { createLogger, type Logger } from './log';
import { deliverSignalsTo } from './signal-inbox';
import { Supervisor } from './supervisor';

const writeOut = (text: string): void => {
  writeSync(1, text);
};

/** Runs gracie with its arguments (argv without node and script) and environment; resolves to how to exit. */
export async function main(args: readonly string[], env: Env): Promise<ExitDecision> {
  let config: Config;
  try {
    const parsed = parseCommandLine(args, writeOut);
    if (parsed.kind === 'done') return { kind: 'code', code: 0 };
    config = resolveConfig(parsed.values, parsed.command, env, isatty(2));
  } catch (error) {
    return failBeforeStart(error);
  }
  const log = createLogger(config.logLevel, config.logFormat);
  try {
    return await supervise(config, env, log);
  } catch (error) {
    if (error instanceof GracieError) {
      log.error({ exitCode: error.exitCode }, error.message);
      return { kind: 'code', code: error.exitCode };
    }
    log.error({ err: error }, 'internal failure');
    return { kind: 'code', code: INTERNAL_FAILURE };
  }
}

/** Usage errors and failures before logging exists: one plain line on stderr. */
function failBeforeStart(error: unknown): ExitDecision {
  const isUsage = error instanceof UsageError;
  const message = isUsage ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`;
  try {
    writeSync(2, `gracie: ${message}\n`);
  } catch {
    // stderr is closed: the exit code still says it.
  }
  return { kind: 'code', code: isUsage ? 2 : INTERNAL_FAILURE };
}

async function supervise(config: Config, env: Env, log: Logger): Promise<ExitDecision> {
  const isPid1 = process.pid === 1;
  let childEnded: (end: ChildEnd) => void = () => {};
  const ended = new Promise<ChildEnd>((resolve) => (childEnded = resolve));
  let supervisor: Supervisor | null = null;
  let exitBeforeSupervisor: ChildEnd | null = null;

  const pid = await spawnChild(config.command, childEnvironment(env), (end) => {
    if (supervisor) supervisor.onChildExit(end);
    else exitBeforeSupervisor = end;
  });
  keepRunningOnErrors(log);
  supervisor = new Supervisor(config, {
    now: () => performance.now(),
    setTimer: (ms, fire) => {
      const timer = setTimeout(fire, ms);
      return () => clearTimeout(timer);
    },
    send: (target, signal) => {
      const failure = sendSignal(target, pid, isPid1, signal);
      if (failure === 'ESRCH') log.debug({ target, signal }, 'nothing left to signal');
      else if (failure) log.error({ target, signal, errno: failure }, 'could not send signal');
    },
    leftoversRemain: () => false,
    finish: childEnded,
    log,
  });
  log.debug({ pid, command: config.command, isPid1 }, 'child started');
  // gracie must pin no directory (a mount the app's operator wants to unmount); the child keeps its cwd.
  process.chdir('/');
  deliverSignalsTo((signal) => supervisor?.onSignal(signal));
  if (exitBeforeSupervisor) supervisor.onChildExit(exitBeforeSupervisor);
  return decideExit(await ended, config.successExit, isPid1);
}

/** After the child started, an unexpected error is logged and gracie carries on: its death kills the container. */
function keepRunningOnErrors(log: Logger): void {
  process.on('uncaughtException', (error) => log.error({ err: error }, 'unexpected error, carrying on'));
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unexpected rejection, carrying on'));
}
