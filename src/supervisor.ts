// The supervisor state machine: running -> stopping -> (draining) -> done.
// Events come in (signal received, child exited, timer fired, leftovers gone); effects go out through ports.
// No process, timer or FFI is touched here, so unit tests drive it with a manual clock.
import type { Config } from './config';
import type { ChildEnd } from './exit-status';
import { isStopRequest, SIGKILL, SIGTERM, signalName, SUSPEND_REQUESTS } from './signals';

/**
 * Who a signal goes to; the effects layer turns it into pids (child.ts owns the "never kill(-1)" rule).
 * 'leftovers': everything left after the main child (as PID 1 the whole namespace, else the child's process
 * group and the orphans gracie adopted); 'outsiders': the part of that outside the child's process group.
 */
export type Target = 'child' | 'group' | 'leftovers' | 'outsiders';

export interface LogPort {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface SupervisorPorts {
  now(): number;
  /** Arms a one-shot timer; returns its cancel function. */
  setTimer(ms: number, fire: () => void): () => void;
  send(target: Target, signal: number): void;
  /**
   * After the main child ended: is anything of its tree left? If so, the effects layer reports
   * onLeftoversGone() once nothing is.
   */
  watchLeftovers(): boolean;
  finish(end: ChildEnd): void;
  /** Stops gracie itself (job control), so the shell that asked sees the job stopped. */
  suspendSelf(): void;
  log: LogPort;
}

export type SupervisorConfig = Pick<Config, 'rewrite' | 'stopTimeoutMs' | 'stopDelayMs' | 'processGroup'>;

/** Leftovers get this long after the main child ended when --stop-timeout is 0: never hang forever. */
export const DRAIN_FALLBACK_MS = 10_000;
/** After SIGKILL, how long to wait for leftovers before exiting anyway (a process stuck in D state). */
export const AFTER_KILL_GRACE_MS = 2_000;

type Phase = 'running' | 'stopping' | 'draining' | 'done';

/** The highest signal number on Linux (SIGRTMAX is 64 with glibc and musl). */
const MAX_SIGNAL = 64;

function logFields(signal: number, forwardAs: number): { signal: string; forwardAs: string } {
  return { signal: signalName(signal), forwardAs: forwardAs === 0 ? 'none' : signalName(forwardAs) };
}

/** Drives one child from spawn to gracie's exit. */
export class Supervisor {
  private phase: Phase = 'running';
  private stopStartedAt: number | null = null;
  /** The rewritten signal of the first stop request; leftovers get it when the child is gone. */
  private stopSignal: number | null = null;
  private childEnd: ChildEnd | null = null;
  private childEndedAt = 0;
  private cancelDelay: (() => void) | null = null;
  /** The stop signal already went to the child's whole group (-g): leftovers in it must not get it twice. */
  private groupHasStopSignal = false;
  private cancelDeadline: (() => void) | null = null;
  /** The stop budget ran out: whatever is still alive gets SIGKILL, with no second budget. */
  private escalated = false;

  /**
   * The plain forwards of the current phase, decided here once: indexed by signal number, the signal to send to
   * `plainTarget` (the rewrite applied), 0 where there is more to do (a stop or suspend request, a signal the
   * rewrite map drops) and for every signal once the child is gone. The signal path (main.ts) sends these itself
   * and calls plainForwarded() after: each call between Node's listener and kill(2) showed in the forward latency
   * of a cold path (docs/benchmarks.md, issue 14).
   */
  readonly plainForwards = new Uint8Array(MAX_SIGNAL + 1);
  readonly plainTarget: 'child' | 'group';

  constructor(
    private readonly config: SupervisorConfig,
    private readonly ports: SupervisorPorts,
  ) {
    this.plainTarget = config.processGroup ? 'group' : 'child';
    for (let signal = 1; signal <= MAX_SIGNAL; signal++) {
      const forwardAs = config.rewrite.get(signal) ?? signal;
      if (!isStopRequest(signal) && !SUSPEND_REQUESTS.has(signal)) this.plainForwards[signal] = forwardAs;
    }
  }

  /** gracie received `signal`. */
  onSignal(signal: number): void {
    if (this.phase === 'done') return;
    const plain = this.plainForwards[signal];
    if (plain !== 0) {
      // As main.ts sends it: plainForwarded() notes what forward() would.
      this.ports.send(this.plainTarget, plain);
      this.plainForwarded(signal, plain);
      return;
    }
    const forwardAs = this.config.rewrite.get(signal) ?? signal;
    if (forwardAs !== 0 && this.phase !== 'draining' && SUSPEND_REQUESTS.has(signal)) {
      this.forward(forwardAs);
      this.plainForwarded(signal, forwardAs);
      this.ports.suspendSelf();
      return;
    }
    const fields = logFields(signal, forwardAs);
    if (forwardAs === 0) {
      this.ports.log.debug(fields, `received ${fields.signal}, dropped by the rewrite map`);
      return;
    }
    if (this.phase === 'draining') {
      this.ports.send('leftovers', forwardAs);
      this.ports.log.info(fields, `received ${fields.signal} while draining, forwarded ${fields.forwardAs} to what is left`);
      return;
    }
    if (this.phase === 'running') {
      this.startStopping(forwardAs, fields);
    } else if (this.cancelDelay) {
      // A second stop request during --stop-delay means "now": someone is impatient, do not make them wait.
      this.endDelay();
      this.forward(forwardAs);
      this.ports.log.info(fields, `received ${fields.signal} again, cut the stop delay short and forwarded ${fields.forwardAs}`);
    } else {
      this.forward(forwardAs);
      this.ports.log.info(fields, `received ${fields.signal} again, forwarded ${fields.forwardAs}`);
    }
  }

  /** After a forward from plainForwards: what forward() notes, and the debug line. */
  plainForwarded(signal: number, forwardAs: number): void {
    if (this.config.processGroup && forwardAs === this.stopSignal) this.groupHasStopSignal = true;
    const fields = logFields(signal, forwardAs);
    this.ports.log.debug(fields, `received ${fields.signal}, forwarded ${fields.forwardAs}`);
  }

  /** The main child ended (reaped). */
  onChildExit(end: ChildEnd): void {
    if (this.phase === 'done' || this.childEnd) return;
    // What is left to signal is no longer "the child": every signal takes the full path from now on.
    this.plainForwards.fill(0);
    this.childEnd = end;
    this.childEndedAt = this.ports.now();
    this.endDelay();
    this.logChildEnd(end);
    if (!this.ports.watchLeftovers()) {
      this.complete();
      return;
    }
    const signal = this.escalated ? SIGKILL : (this.stopSignal ?? this.config.rewrite.get(SIGTERM) ?? SIGTERM);
    const drainSignal = signal === 0 ? SIGTERM : signal;
    this.phase = 'draining';
    // A second SIGINT or SIGTERM means "quit now" to many programs: never repeat it to those that have it.
    this.ports.send(this.groupHasStopSignal && !this.escalated ? 'outsiders' : 'leftovers', drainSignal);
    if (this.escalated) this.armGiveUp();
    else if (!this.cancelDeadline) this.armDeadline(this.config.stopTimeoutMs || DRAIN_FALLBACK_MS);
    this.ports.log.info({ signal: signalName(drainSignal) }, `processes are left behind: sent ${signalName(drainSignal)}, waiting for them`);
  }

  /** An adopted orphan was reaped: after the escalation, its own orphans (new to gracie) get SIGKILL too. */
  onOrphanReaped(): void {
    if (this.phase === 'draining' && this.escalated) this.ports.send('leftovers', SIGKILL);
  }

  /** Nothing of the child's tree is left (reported by the reaper while draining). */
  onLeftoversGone(): void {
    if (this.phase !== 'draining') return;
    const drainMs = Math.round(this.ports.now() - this.childEndedAt);
    this.ports.log.info({ drainMs, afterMs: this.elapsed() }, `everything left behind has exited ${drainMs}ms after the child`);
    this.complete();
  }

  private startStopping(forwardAs: number, fields: { signal: string; forwardAs: string }): void {
    this.phase = 'stopping';
    this.stopStartedAt = this.ports.now();
    this.stopSignal = forwardAs;
    const { stopDelayMs, stopTimeoutMs } = this.config;
    if (stopTimeoutMs > 0) this.armDeadline(stopTimeoutMs);
    const budget = { ...fields, delayMs: stopDelayMs, timeoutMs: stopTimeoutMs };
    if (stopDelayMs === 0) {
      this.forward(forwardAs);
      this.ports.log.info(budget, `received ${fields.signal}, forwarded ${fields.forwardAs}`);
      return;
    }
    this.ports.log.info(budget, `received ${fields.signal}, forwarding ${fields.forwardAs} after the ${stopDelayMs}ms stop delay`);
    this.cancelDelay = this.ports.setTimer(stopDelayMs, () => {
      this.cancelDelay = null;
      this.forward(forwardAs);
      this.ports.log.info({ ...fields, afterMs: this.elapsed() }, `stop delay over, forwarded ${fields.forwardAs}`);
    });
  }

  private armDeadline(ms: number): void {
    this.cancelDeadline = this.ports.setTimer(ms, () => {
      this.cancelDeadline = null;
      this.escalate();
    });
  }

  private escalate(): void {
    this.escalated = true;
    const target: Target = this.phase === 'draining' ? 'leftovers' : 'group';
    this.ports.send(target, SIGKILL);
    const who = target === 'group' ? "the child's process group" : 'what is left';
    this.ports.log.warn({ afterMs: this.elapsed(), target }, `stop timeout reached: sent SIGKILL to ${who}`);
    if (target === 'leftovers') this.armGiveUp();
  }

  /** SIGKILL cannot be refused, but a process in uninterruptible sleep dies late: never wait forever. */
  private armGiveUp(): void {
    this.cancelDeadline = this.ports.setTimer(AFTER_KILL_GRACE_MS, () => {
      this.cancelDeadline = null;
      this.ports.log.warn({ graceMs: AFTER_KILL_GRACE_MS }, 'processes left behind survived SIGKILL; exiting anyway');
      this.complete();
    });
  }

  private forward(signal: number): void {
    this.ports.send(this.config.processGroup ? 'group' : 'child', signal);
    if (this.config.processGroup && signal === this.stopSignal) this.groupHasStopSignal = true;
  }

  private endDelay(): void {
    this.cancelDelay?.();
    this.cancelDelay = null;
  }

  private complete(): void {
    this.phase = 'done';
    this.plainForwards.fill(0);
    this.cancelDeadline?.();
    this.cancelDeadline = null;
    this.ports.finish(this.childEnd as ChildEnd);
  }

  /** ms since the first stop request, or null when none came. */
  private elapsed(): number | null {
    return this.stopStartedAt === null ? null : Math.round(this.ports.now() - this.stopStartedAt);
  }

  /** One summary line: how the child ended and how long the shutdown took. Quiet when nothing happened. */
  private logChildEnd(end: ChildEnd): void {
    const shutdownMs = this.elapsed();
    const how = end.signal === null ? `exited with code ${end.code}` : `was killed by ${signalName(end.signal)}`;
    const fields = { code: end.code, signal: end.signal === null ? null : signalName(end.signal), shutdownMs };
    if (shutdownMs !== null) {
      this.ports.log.info(fields, `child ${how} ${shutdownMs}ms after the stop request`);
    } else if (end.code !== 0) {
      this.ports.log.info(fields, `child ${how}`);
    } else {
      this.ports.log.debug(fields, `child ${how}`);
    }
  }
}
