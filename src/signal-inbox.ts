// Listens for every forwarded signal from the first moment, queueing them until the supervisor is ready.
// Imported first by bin.ts (after start-libc.ts): a JS listener on SIGUSR1 is what keeps Node from opening its
// inspector on 127.0.0.1:9229 when a SIGUSR1 meant for the app (nginx: reopen logs) arrives.
import type { EventLoopSignals } from './libc';
import { FORWARDED, realtimeSignals, signalName, signalNumber, whyNotForwarded } from './signals';
import { libcAtStart } from './start-libc';

type Handler = (signal: number) => void;

let handler: Handler | null = null;
const queued: number[] = [];

function receive(signal: number): void {
  if (handler) handler(signal);
  else queued.push(signal);
}

// SIGUSR1 first, then the rest. As PID 1 the kernel drops every signal without a handler: each signal gracie
// forwards needs its own listener.
for (const name of ['SIGUSR1', ...FORWARDED.filter((n) => n !== 'SIGUSR1')] as NodeJS.Signals[]) {
  const signal = signalNumber(name);
  // The handler called from here, not through receive(): every call before kill(2) is latency (docs/benchmarks.md).
  process.on(name, () => (handler ? handler(signal) : queued.push(signal)));
}

/**
 * The real-time signals (SIGRTMIN+3 is systemd's stop signal). Node has no name for them, so process.on cannot
 * listen (Node 20's table could be patched, 24 freezes it; its internal signal handle needs --expose-internals);
 * libuv, which Node's binary exports, listens for any signal, and delivers them through the same pipe and loop as
 * the named ones. Where that is not possible, why, for main.ts to log once at debug (and ignore them).
 */
const realtime: { listening: EventLoopSignals | null; notCaught: string | null } = listenForRealtime();

function listenForRealtime(): { listening: EventLoopSignals | null; notCaught: string | null } {
  if (typeof libcAtStart === 'string') return { listening: null, notCaught: `no libc bindings (${libcAtStart})` };
  try {
    const listening = libcAtStart.listenOnEventLoop(realtimeSignals(), receive);
    if (!listening) return { listening: null, notCaught: "Node's binary exports no libuv" };
    const refused = [...listening.refused].map(([signal, errno]) => `${signalName(signal)} (${errno})`);
    return { listening, notCaught: refused.length ? `libuv refused ${refused.join(', ')}` : null };
  } catch (error) {
    return { listening: null, notCaught: (error as Error).message };
  }
}

/** Why some or all real-time signals are not forwarded, or null when every one is. */
export function realtimeNotCaught(): { reason: string; signals: number[] } | null {
  if (realtime.notCaught === null) return null;
  const refused = realtime.listening?.refused;
  return { reason: realtime.notCaught, signals: refused ? [...refused.keys()] : realtimeSignals() };
}

/** Delivers queued and future signals to `next`, in arrival order. */
export function deliverSignalsTo(next: Handler): void {
  handler = next;
  for (const signal of queued.splice(0)) next(signal);
}

/** Stops listening for `signal`, so the default action applies again (used to end gracie with a signal). */
export function restoreDefaultAction(signal: number): void {
  if (whyNotForwarded(signal) === 'cannot be caught') return;
  if (realtimeSignals().includes(signal)) {
    realtime.listening?.stop(signal);
    return;
  }
  const name = signalName(signal) as NodeJS.Signals;
  process.removeAllListeners(name);
  // Adding and removing a listener makes libuv reset the disposition to SIG_DFL, also for signals Node
  // ignores at start-up (SIGPIPE), so the signal really ends gracie.
  const noop = (): void => {};
  process.on(name, noop);
  process.removeListener(name, noop);
}
