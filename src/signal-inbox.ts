// Listens for every forwarded signal from the first moment, queueing them until the supervisor is ready.
// Imported first by bin.ts: a JS listener on SIGUSR1 is what keeps Node from opening its inspector on
// 127.0.0.1:9229 when a SIGUSR1 meant for the app (nginx: reopen logs) arrives.
import { FORWARDED, signalNumber, whyNotForwarded } from './signals';

type Handler = (signal: number) => void;

let handler: Handler | null = null;
const queued: number[] = [];

function receive(name: NodeJS.Signals): void {
  const signal = signalNumber(name);
  if (handler) handler(signal);
  else queued.push(signal);
}

// SIGUSR1 first, then the rest. As PID 1 the kernel drops every signal without a handler: each signal gracie
// forwards needs its own listener.
for (const name of ['SIGUSR1', ...FORWARDED.filter((n) => n !== 'SIGUSR1')] as NodeJS.Signals[]) {
  process.on(name, receive);
}

/** Delivers queued and future signals to `next`, in arrival order. */
export function deliverSignalsTo(next: Handler): void {
  handler = next;
  for (const signal of queued.splice(0)) next(signal);
}

/** Stops listening for `name`, so the default action applies again (used to end gracie with a signal). */
export function restoreDefaultAction(name: NodeJS.Signals): void {
  if (whyNotForwarded(signalNumber(name)) === 'cannot be caught') return;
  process.removeAllListeners(name);
  // Adding and removing a listener makes libuv reset the disposition to SIG_DFL, also for signals Node
  // ignores at start-up (SIGPIPE), so the signal really ends gracie.
  const noop = (): void => {};
  process.on(name, noop);
  process.removeListener(name, noop);
}
