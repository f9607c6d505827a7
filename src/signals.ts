// The signal table, parsing of every accepted spelling, and which signals gracie forwards.
import { constants } from 'node:os';
import { UsageError } from './errors';

export type SignalName = NodeJS.Signals;

const TABLE: Readonly<Record<string, number>> = constants.signals;

/** number -> canonical name; the first name listed wins (SIGABRT over SIGIOT, SIGIO over SIGPOLL). */
const NAME_OF = new Map<number, SignalName>();
for (const [name, num] of Object.entries(TABLE)) {
  if (!NAME_OF.has(num)) NAME_OF.set(num, name as SignalName);
}

export const SIGHUP = TABLE.SIGHUP;
export const SIGINT = TABLE.SIGINT;
export const SIGQUIT = TABLE.SIGQUIT;
export const SIGKILL = TABLE.SIGKILL;
export const SIGTERM = TABLE.SIGTERM;
export const SIGCONT = TABLE.SIGCONT;

/**
 * Signals gracie never forwards, each with the reason. Everything else Node can receive is forwarded.
 */
const NEVER_FORWARD: ReadonlyMap<string, string> = new Map([
  ['SIGKILL', 'cannot be caught'],
  ['SIGSTOP', 'cannot be caught'],
  ['SIGCHLD', "reports gracie's own children; the reaper consumes it"],
  // Synchronous faults describe a bug in gracie itself. Node cannot safely run JS for a real one, and
  // forwarding would hide the crash and hurt an innocent child (tini and catatonit exclude the same set).
  ['SIGILL', 'synchronous fault in gracie'],
  ['SIGTRAP', 'synchronous fault in gracie'],
  ['SIGABRT', 'synchronous fault in gracie'],
  ['SIGBUS', 'synchronous fault in gracie'],
  ['SIGFPE', 'synchronous fault in gracie'],
  ['SIGSEGV', 'synchronous fault in gracie'],
  ['SIGSYS', 'synchronous fault in gracie'],
  // Raised by a write to gracie's own closed stderr: gracie's logging problem must not kill the app.
  ['SIGPIPE', "raised by gracie's own writes to a closed pipe"],
]);

/**
 * Job control: a received SIGTSTP, SIGTTIN or SIGTTOU is forwarded, then gracie suspends itself so the shell
 * that sent it sees the job stopped (dumb-init does the same); SIGCONT, forwarded like any signal, resumes both.
 * gracie never reads the terminal, and blocks SIGTTOU around its own writes to one (see log.ts), so the kernel
 * never raises these for gracie's own terminal access.
 */
export const SUSPEND_REQUESTS: ReadonlySet<number> = new Set([TABLE.SIGTSTP, TABLE.SIGTTIN, TABLE.SIGTTOU]);

/** A received SIGTERM, SIGINT or SIGQUIT asks the child to stop: it starts the stop budget. */
export const STOP_REQUESTS: ReadonlySet<number> = new Set([SIGTERM, SIGINT, SIGQUIT]);

/** Every signal gracie listens for and forwards, by canonical name. */
export const FORWARDED: readonly SignalName[] = [...NAME_OF.entries()]
  .filter(([, name]) => !NEVER_FORWARD.has(name))
  .sort(([a], [b]) => a - b)
  .map(([, name]) => name);

/** Why a signal is never forwarded, or undefined if it is. */
export function whyNotForwarded(signal: number): string | undefined {
  const name = NAME_OF.get(signal);
  return name === undefined ? 'unknown signal' : NEVER_FORWARD.get(name);
}

/** Canonical name of a signal number ("SIGTERM"), or "signal N" when the table has none. */
export function signalName(signal: number): string {
  return NAME_OF.get(signal) ?? `signal ${signal}`;
}

/** Signal number for a canonical name. */
export function signalNumber(name: SignalName): number {
  return TABLE[name];
}

const ACCEPTED = "a signal name or number such as SIGQUIT, QUIT, quit or 3";

/**
 * Parses 'SIGQUIT', 'QUIT', 'quit', 'sigquit' or '3' into a signal number.
 * `what` names the option or variable for the error message.
 */
export function parseSignal(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const num = Number(trimmed);
    if (NAME_OF.has(num)) return num;
  } else {
    // ASCII letters only: toUpperCase() would take 'ſıgquıt' for SIGQUIT and 'ﬆop' for STOP.
    const upper = trimmed.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
    const num = TABLE[upper.startsWith('SIG') ? upper : `SIG${upper}`];
    if (num !== undefined) return num;
  }
  throw new UsageError(`invalid ${what} '${text}': expected ${ACCEPTED}`);
}

/** Like parseSignal, but '0' and 'none' mean "drop the signal" and return 0. */
export function parseSignalOrNone(text: string, what: string): number {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '0' || trimmed === 'none') return 0;
  try {
    return parseSignal(text, what);
  } catch {
    throw new UsageError(`invalid ${what} '${text}': expected ${ACCEPTED}, or 0/none to drop it`);
  }
}
