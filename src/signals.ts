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

/**
 * The real-time signals, SIGRTMIN to SIGRTMAX as the C library numbers them: glibc keeps 32 and 33 for its threads
 * (SIGRTMIN is 34), musl keeps 32 to 34 (35). Node's table has none of them. start-libc.ts sets the range from the
 * libc gracie runs on before any option is read; without libc bindings it stays at glibc's, the common case.
 */
let realtime = { min: 34, max: 64 };

/** Sets the real-time range (from libc's __libc_current_sigrtmin/max). */
export function setRealtimeRange(range: { min: number; max: number }): void {
  realtime = { ...range };
}

/** Every real-time signal, SIGRTMIN to SIGRTMAX. */
export function realtimeSignals(): number[] {
  return Array.from({ length: realtime.max - realtime.min + 1 }, (_, i) => realtime.min + i);
}

export function isRealtime(signal: number): boolean {
  return signal >= realtime.min && signal <= realtime.max;
}

/**
 * SIGRTMIN+3 is systemd's stop signal, and images running systemd say `STOPSIGNAL SIGRTMIN+3`: the runtime's stop
 * then arrives as SIGRTMIN+3, and like SIGTERM it starts the stop budget (whatever `-r RTMIN+3:...` forwards).
 */
const SIGRTMIN_PLUS_3 = 3;

/**
 * A received SIGTERM, SIGINT, SIGQUIT or SIGRTMIN+3 asks the child to stop: it starts the stop budget. What
 * counts is the signal received, not the one forwarded (a rewrite to SIGTERM does not make a stop request).
 */
export function isStopRequest(signal: number): boolean {
  return signal === SIGTERM || signal === SIGINT || signal === SIGQUIT || signal === realtime.min + SIGRTMIN_PLUS_3;
}

/** Every signal gracie listens for and forwards, by canonical name. */
export const FORWARDED: readonly SignalName[] = [...NAME_OF.entries()]
  .filter(([, name]) => !NEVER_FORWARD.has(name))
  .sort(([a], [b]) => a - b)
  .map(([, name]) => name);

/** Why a signal is never forwarded, or undefined if it is. */
export function whyNotForwarded(signal: number): string | undefined {
  if (isRealtime(signal)) return undefined;
  if (signal >= 32 && signal < realtime.min) return "reserved by the C library for its threads";
  const name = NAME_OF.get(signal);
  return name === undefined ? 'unknown signal' : NEVER_FORWARD.get(name);
}

/**
 * Canonical name of a signal number ("SIGTERM"), or "signal N" when the table has none. Real-time signals are
 * named as `kill -l` names them: SIGRTMIN, SIGRTMIN+1 ... up to the middle of the range, then ... SIGRTMAX-1,
 * SIGRTMAX.
 */
export function signalName(signal: number): string {
  if (isRealtime(signal)) {
    const fromMin = signal - realtime.min;
    const fromMax = realtime.max - signal;
    if (fromMin <= fromMax) return fromMin === 0 ? 'SIGRTMIN' : `SIGRTMIN+${fromMin}`;
    return fromMax === 0 ? 'SIGRTMAX' : `SIGRTMAX-${fromMax}`;
  }
  return NAME_OF.get(signal) ?? `signal ${signal}`;
}

/** Signal number for a canonical name. */
export function signalNumber(name: SignalName): number {
  return TABLE[name];
}

const ACCEPTED = 'a signal name or number such as SIGQUIT, QUIT, quit or 3, or SIGRTMIN+3, RTMIN+3 or SIGRTMAX-2';

/**
 * Parses 'SIGQUIT', 'QUIT', 'quit', 'sigquit', '3', 'SIGRTMIN+3', 'RTMIN+3', 'SIGRTMAX-2' or '37' into a signal
 * number. `what` names the option or variable for the error message.
 */
export function parseSignal(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const num = Number(trimmed);
    if (NAME_OF.has(num) || isRealtime(num)) return num;
    if (num >= 32 && num < realtime.min) {
      const range = `real-time signals are ${realtime.min} (SIGRTMIN) to ${realtime.max} (SIGRTMAX)`;
      throw new UsageError(`invalid ${what} '${text}': expected ${ACCEPTED} (${num} is the C library's own; ${range})`);
    }
  } else {
    // ASCII letters only: toUpperCase() would take 'ſıgquıt' for SIGQUIT and 'ﬆop' for STOP.
    const upper = trimmed.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const num = Object.hasOwn(TABLE, name) ? TABLE[name] : parseRealtimeName(name);
    if (num !== undefined) return num;
  }
  throw new UsageError(`invalid ${what} '${text}': expected ${ACCEPTED}`);
}

/** 'SIGRTMIN', 'SIGRTMIN+3', 'SIGRTMAX-2', 'SIGRTMAX' -> the number, when it lies in SIGRTMIN..SIGRTMAX. */
function parseRealtimeName(name: string): number | undefined {
  const match = /^SIGRT(MIN|MAX)(?:([+-])([1-9]\d?))?$/.exec(name);
  if (!match) return undefined;
  const [, base, sign, offset] = match;
  // Only counted inwards, as `kill -l` does: SIGRTMIN-1 and SIGRTMAX+1 are no real-time signals.
  if (sign !== undefined && sign !== (base === 'MIN' ? '+' : '-')) return undefined;
  const num = base === 'MIN' ? realtime.min + Number(offset ?? 0) : realtime.max - Number(offset ?? 0);
  return isRealtime(num) ? num : undefined;
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
