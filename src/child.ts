// Effects on the main child: spawn it, signal it. The "never kill(-1) unless PID 1" rule lives here only.
import { spawn } from 'node:child_process';
import type { Env } from './config';
import { SpawnError } from './errors';
import { NOT_FOUND, spawnErrorExitCode, type ChildEnd } from './exit-status';
import { signalNumber } from './signals';
import type { Target } from './supervisor';

/** Where the bin launcher parks NODE_OPTIONS so it acts on the app, not on gracie's own Node. */
export const SAVED_NODE_OPTIONS = '_GRACIE_NODE_OPTIONS';

/** The child's environment: gracie's own, with NODE_OPTIONS handed back exactly as the user set it. */
export function childEnvironment(env: Env): Env {
  if (!(SAVED_NODE_OPTIONS in env)) return env;
  const { [SAVED_NODE_OPTIONS]: saved, ...rest } = env;
  return { ...rest, NODE_OPTIONS: saved };
}

/**
 * Starts the command in its own session and process group (detached), with gracie's stdio, environment and
 * working directory. Resolves with the pid once it runs; rejects with SpawnError (127/126) when it cannot.
 */
export function spawnChild(command: readonly string[], env: Env, onExit: (end: ChildEnd) => void): Promise<number> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', detached: true, env: env as NodeJS.ProcessEnv });
    child.once('error', (error: NodeJS.ErrnoException) => reject(toSpawnError(file, error)));
    child.once('spawn', () => resolve(child.pid as number));
    child.once('exit', (code, signal) => {
      onExit(signal === null ? { code: code ?? 0, signal: null } : { code: null, signal: signalNumber(signal) });
    });
  });
}

function toSpawnError(file: string, error: NodeJS.ErrnoException): SpawnError {
  const code = spawnErrorExitCode(error.code);
  if (code === NOT_FOUND) {
    return new SpawnError(`command not found: '${file}' (${error.code}: not on PATH, or its interpreter is missing)`, code);
  }
  const reason = error.code === 'EACCES' ? 'permission denied or not a regular executable file' : error.message;
  return new SpawnError(`cannot execute '${file}': ${reason} (${error.code})`, code);
}

/** The pid argument of kill(2) for a target: -1 ("everything") only when gracie really is PID 1. */
export function killTarget(target: Target, childPid: number, isPid1: boolean): number {
  switch (target) {
    case 'child':
      return childPid;
    case 'group':
      return -childPid;
    case 'leftovers':
      return isPid1 ? -1 : -childPid;
  }
}

/** Sends `signal` to a target; returns the errno name on failure (ESRCH: already gone). */
export function sendSignal(target: Target, childPid: number, isPid1: boolean, signal: number): string | null {
  try {
    process.kill(killTarget(target, childPid, isPid1), signal);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
