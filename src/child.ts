// Effects on the main child: spawn it, signal it. The "never kill(-1) unless PID 1" rule lives here only.
import { fstatSync, readdirSync, readFileSync } from 'node:fs';
import type { Env } from './config';
import { SpawnError } from './errors';
import { NOT_FOUND, spawnErrorExitCode, type ChildEnd } from './exit-status';
import { signalNumber } from './signals';
import type { Target } from './supervisor';
import { LibcError, type Libc } from './libc';

/** Where the bin launcher parks NODE_OPTIONS so it acts on the app, not on gracie's own Node. */
export const SAVED_NODE_OPTIONS = '_GRACIE_NODE_OPTIONS';
/** Where the bin launcher lists the descriptors above 2 gracie inherited (Node marks many close-on-exec at start). */
export const INHERITED_FDS = '_GRACIE_FDS';

/** The child's environment: gracie's own, with NODE_OPTIONS handed back exactly as the user set it. */
export function childEnvironment(env: Env): Env {
  if (!(SAVED_NODE_OPTIONS in env) && !(INHERITED_FDS in env)) return env;
  const { [SAVED_NODE_OPTIONS]: saved, [INHERITED_FDS]: _fds, ...rest } = env;
  return SAVED_NODE_OPTIONS in env ? { ...rest, NODE_OPTIONS: saved } : rest;
}

/** Descriptors gracie inherited that the child must inherit too: listed by the launcher and still open. */
export function inheritedDescriptors(env: Env): number[] {
  return (env[INHERITED_FDS] ?? '')
    .split(' ')
    .filter((word) => /^\d+$/.test(word))
    .map(Number)
    .filter((fd) => {
      try {
        fstatSync(fd);
        return true;
      } catch {
        return false;
      }
    });
}

/** Environment as posix_spawn wants it: "NAME=value" strings. */
export function environmentStrings(env: Env): string[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`);
}

/**
 * The spawn route when libc is there: posix_spawnp, so gracie owns every waitpid (libuv would otherwise reap
 * the main child behind the reaper's back, or never see its exit) and the child can be given the terminal as
 * its own foreground process group. The child gets its own process group, gracie's stdio, environment and
 * working directory, default signal dispositions and an empty mask.
 */
export function spawnWithLibc(libc: Libc, command: readonly string[], env: Env, keepFds: readonly number[], takeTerminal: boolean): number {
  try {
    return libc.spawn(command, environmentStrings(env), keepFds, takeTerminal);
  } catch (error) {
    if (error instanceof LibcError && error.syscall === 'posix_spawnp') throw toSpawnError(command[0], error);
    throw error;
  }
}

/**
 * The fallback route without libc: libuv's spawn, in its own session and process group (detached). Resolves
 * with the pid once it runs; rejects with SpawnError (127/126) when it cannot. Reports the end through onExit.
 */
export function spawnWithLibuv(command: readonly string[], env: Env, onExit: (end: ChildEnd) => void): Promise<number> {
  // Required here, not imported: child_process pulls in net and streams, ~2 ms of every start, and only this
  // fallback needs it.
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
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

function toSpawnError(file: string, error: { code?: string; message: string }): SpawnError {
  const code = spawnErrorExitCode(error.code);
  if (code === NOT_FOUND) {
    return new SpawnError(`command not found: '${file}' (${error.code}: not on PATH, or its interpreter is missing)`, code);
  }
  const reason = error.code === 'EACCES' ? 'permission denied or not a regular executable file' : error.message;
  return new SpawnError(`cannot execute '${file}': ${reason} (${error.code})`, code);
}

/** The pid argument of kill(2) for a target: -1 ("everything") only when gracie really is PID 1. */
export function killTarget(target: Exclude<Target, 'outsiders'>, childPid: number, isPid1: boolean): number {
  switch (target) {
    case 'child':
      return childPid;
    case 'group':
      return -childPid;
    case 'leftovers':
      return isPid1 ? -1 : -childPid;
  }
}

/**
 * Sends `signal` to a target; returns the errno name of a failure (ESRCH: nothing there), null on success.
 * Not PID 1, "leftovers" are the child's process group plus the orphans gracie adopted as subreaper.
 */
export function sendSignal(target: Target, childPid: number, isPid1: boolean, signal: number, adopted: () => number[]): string | null {
  // The child or its group: one kill(2). (The signal path in main.ts sends its plain forwards with kill() itself.)
  if (target === 'child' || target === 'group') return kill(killTarget(target, childPid, isPid1), signal);
  const results: Array<string | null> = [];
  if (target !== 'outsiders') results.push(kill(killTarget(target, childPid, isPid1), signal));
  // Processes outside the child's group, each once: as PID 1 everything in the namespace, else adopted orphans.
  const outside = (pids: number[]): number[] => pids.filter((pid) => pid !== 1 && procStat(pid)?.pgrp !== childPid);
  if (target === 'outsiders') results.push(...outside(isPid1 ? allProcesses() : adopted()).map((pid) => kill(pid, signal)));
  if (target === 'leftovers' && !isPid1) results.push(...outside(adopted()).map((pid) => kill(pid, signal)));
  if (results.length === 0 || results.includes(null)) return null;
  return results.find((failure) => failure !== 'ESRCH') ?? 'ESRCH';
}

/** State letter and process group of a pid, from /proc/PID/stat; undefined once it is gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
  const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, pgrp: Number(pgrp) };
}

/** Every pid in gracie's /proc: as PID 1, the whole namespace. Read once per drain step, never per SIGCHLD. */
function allProcesses(): number[] {
  try {
    return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return [];
  }
}

/** kill(2): null on success, else the errno name. `pid` comes from killTarget(), which keeps the kill(-1) rule. */
export function kill(pid: number, signal: number): string | null {
  try {
    process.kill(pid, signal);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/**
 * True while a live process is in the child's process group (for draining without a reaper). kill(-pgid, 0)
 * also counts zombies that someone else has yet to reap, so a positive answer is checked against /proc.
 */
export function groupAlive(childPid: number): boolean {
  if (kill(-childPid, 0) === 'ESRCH') return false;
  const pids = allProcesses();
  // No /proc to look at: trust kill().
  if (pids.length === 0) return true;
  return pids.some((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.pgrp === childPid;
  });
}
