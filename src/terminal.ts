// Job control with a terminal: the child's process group gets the terminal while gracie is the foreground job,
// gracie stops when the child stops for the terminal, and `fg` gives the terminal back to the child.
import { fstatSync } from 'node:fs';
import { sendSignal } from './child';
import type { Libc } from './libc';
import type { Logger } from './log';
import { SIGCONT, signalName, SUSPEND_REQUESTS } from './signals';

/** The terminal on stdin, when there is one and libc can drive it. */
export class Terminal {
  constructor(
    private readonly libc: Libc,
    private readonly isPid1: boolean,
    private readonly log: Logger,
  ) {}

  /** At spawn: the child takes the terminal only when gracie has it. Started in the background, it steals nothing. */
  shouldHandOver(): boolean {
    return this.libc.ownsForeground(0);
  }

  /**
   * The child stopped for the terminal (^Z, or reading it from the background): stop gracie too, so the shell
   * running gracie sees the job stopped and takes its terminal back. As PID 1 no shell is there to see it.
   */
  childStopped(signal: number): void {
    if (this.isPid1 || !SUSPEND_REQUESTS.has(signal)) return;
    this.log.debug({ signal: signalName(signal) }, 'child stopped for the terminal: stopping gracie too');
    process.kill(process.pid, 'SIGSTOP');
  }

  /**
   * gracie got SIGCONT. Resumed by `fg`, the shell gave the terminal to gracie's group: pass it on, then continue
   * the child's whole group, as a shell does (^Z stopped every process in it). Returns false when gracie is not
   * in the foreground, and the SIGCONT is an ordinary signal to forward.
   */
  resumed(childPid: number): boolean {
    if (!this.libc.ownsForeground(0)) return false;
    try {
      this.libc.giveTerminal(0, childPid);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'could not hand the terminal back to the child');
    }
    sendSignal('group', childPid, this.isPid1, SIGCONT, () => []);
    this.log.debug({}, 'resumed in the foreground: gave the terminal back and continued the child');
    return true;
  }
}

/** Major number of the memory devices (/dev/null, /dev/zero, /dev/urandom...): never a terminal. */
const MEMORY_DEVICES = 1;

/**
 * isatty(fd), without loading node:tty when the answer is certain: node:tty pulls in net and streams, ~2 ms of
 * every start, while in a container stderr is a pipe or a file and stdin is /dev/null. Only a character device
 * other than a memory device can be a terminal; for those, node:tty answers.
 */
export function isTerminal(fd: number): boolean {
  let rdev: number;
  try {
    const stats = fstatSync(fd);
    if (!stats.isCharacterDevice()) return false;
    rdev = stats.rdev;
  } catch {
    return false; // not open
  }
  if (deviceMajor(rdev) === MEMORY_DEVICES) return false;
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}

/** The major number in a Linux dev_t (glibc's gnu_dev_major: bits 8-19 and 32-43). */
export function deviceMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
