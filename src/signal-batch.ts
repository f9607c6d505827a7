// Signals that arrive while gracie is still in the event-loop turn that handled an earlier one: a storm, or a loop
// resuming after a stall with thousands queued in libuv's signal pipe. Pure; main.ts owns the turn.
import { isRealtime } from './signals';

/**
 * Arrivals after which a batch is handled without waiting for the end of the turn. In a storm sent faster than
 * gracie reads, libuv keeps reading its pipe and the turn does not end until the storm does: a SIGTERM in it must
 * not wait that long. 256 arrivals take gracie ~0.1-0.3 ms to read.
 */
export const BATCH_LIMIT = 256;

/**
 * The signals waiting for the end of the turn, in arrival order. A standard signal that is already waiting is
 * merged into it, as the kernel merges a standard signal that is already pending: a C init (tini, dumb-init)
 * blocks signals and collects them from its pending set, so it never sees more than one of each either. The
 * forward still comes after the last arrival, which is the only promise standard signals make (SIGHUP sent after
 * a config change is followed by a SIGHUP to the child). Real-time signals queue, every one: never merged.
 */
export class SignalBatch {
  private readonly waiting: number[] = [];
  private readonly waitingStandard = new Set<number>();
  private arrivals = 0;

  /** Adds an arrival; true when the batch is full (BATCH_LIMIT arrivals) and should be handled now. */
  add(signal: number): boolean {
    this.arrivals += 1;
    if (!isRealtime(signal)) {
      if (this.waitingStandard.has(signal)) return this.arrivals >= BATCH_LIMIT;
      this.waitingStandard.add(signal);
    }
    this.waiting.push(signal);
    return this.arrivals >= BATCH_LIMIT;
  }

  /** Everything waiting, in arrival order; the batch is empty afterwards. */
  take(): number[] {
    this.arrivals = 0;
    this.waitingStandard.clear();
    return this.waiting.splice(0);
  }
}
