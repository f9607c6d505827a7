// Reaping policy: gracie owns every waitpid. On SIGCHLD it reaps until nothing is left to reap, at O(1) per
// zombie (no /proc scan), tells the main child's end to the supervisor and whether anything is left behind.
import { readdirSync, readFileSync } from 'node:fs';
import type { ChildEnd } from './exit-status';
import type { Libc } from './libc';
import type { Logger } from './log';
import { signalName } from './signals';

export interface ReaperEvents {
  mainExited(end: ChildEnd): void;
  /** The main child stopped on a signal (job control: SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP). */
  mainStopped(signal: number): void;
  /** Once per sweep that reaped orphans. */
  orphanReaped(): void;
  /** While draining: the last process left behind has been reaped. */
  nothingLeft(): void;
}

/** Reaps every child of gracie: the main one, and orphans it adopts as PID 1 or as subreaper. */
export class Reaper {
  private mainPid = 0;
  private childrenLeft = true;
  private reaped = 0;
  private readonly traceOn: boolean;

  constructor(
    private readonly libc: Libc,
    private readonly log: Logger,
    private readonly warnOnReap: boolean,
    private readonly events: ReaperEvents,
  ) {
    this.traceOn = log.isLevelEnabled('trace');
  }

  /** Starts listening for SIGCHLD; call before spawning so no exit can be missed. */
  listen(): void {
    process.on('SIGCHLD', () => this.sweep());
  }

  /** Tells the reaper which pid is the main child, and reaps whatever exited meanwhile. */
  watchMain(pid: number): void {
    this.mainPid = pid;
    this.sweep();
  }

  /** After the main child's end: is any other child still alive (to drain)? */
  get anyChildLeft(): boolean {
    return this.childrenLeft;
  }

  /** Reaps until waitpid says "none exited" or "no children". SIGCHLDs coalesce: one sweep covers many. */
  sweep(): void {
    let mainEnd: ChildEnd | null = null;
    let orphans = 0;
    for (;;) {
      const reaped = this.libc.reapOne();
      if (reaped === 'none-exited' || reaped === 'no-children') {
        this.childrenLeft = reaped === 'none-exited';
        break;
      }
      if ('stoppedBy' in reaped) {
        if (reaped.pid === this.mainPid) this.events.mainStopped(reaped.stoppedBy);
        continue;
      }
      if (reaped.pid === this.mainPid) {
        mainEnd = reaped.status;
        continue;
      }
      this.reaped += 1;
      orphans += 1;
      // Built only when written: an orphan flood reaps thousands a second, and each line is garbage to collect.
      if (!this.warnOnReap && !this.traceOn) continue;
      const { code, signal } = reaped.status;
      const fields = { pid: reaped.pid, code, signal: signal === null ? null : signalName(signal), reaped: this.reaped };
      // tini's wording, so what greps tini's -w output keeps working.
      const message = `Reaped zombie process with pid=${reaped.pid}`;
      if (this.warnOnReap) this.log.warn(fields, message);
      else this.log.trace(fields, message);
    }
    if (orphans > 0) this.events.orphanReaped();
    if (mainEnd) this.events.mainExited(mainEnd);
    else if (!this.childrenLeft && this.mainPid !== 0) this.events.nothingLeft();
  }
}

/** gracie's direct children, from /proc: the orphans it adopted (read once per drain step, never per SIGCHLD). */
export function listChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(' ').map(Number));
    }
  } catch {
    // No /proc, or a kernel without CONFIG_PROC_CHILDREN: the process group is still signalled.
  }
  return pids;
}
