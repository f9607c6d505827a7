// libuv's signal pipe, widened so that a storm cannot make it drop a signal. Its own module: signal-inbox.ts
// starts listening when imported, and this part is unit-tested.
import { readdirSync, readlinkSync } from 'node:fs';

/** What widening libuv's signal pipe needs from libc. */
export interface PipeControl {
  pipeBytesQueued(fd: number): number;
  resizePipe(fd: number, bytes: number): number;
}

/** 65,536 messages of 16 bytes; 1 MiB is the kernel's default fs.pipe-max-size, allowed without privilege. */
export const SIGNAL_PIPE_BYTES = 1 << 20;

/**
 * libuv's signal handler writes one 16-byte message per caught signal into a pipe its loop reads, and drops
 * the signal when that pipe is full: 64 KiB, 4,096 messages. A storm the loop cannot keep up with (a flood of
 * SIGCHLD from a forking app, a runaway sender) could swallow the runtime's SIGTERM that way. Pending standard
 * signals coalesce in the kernel, but each delivery is a message, so the pipe is what bounds a storm: widen it
 * to 1 MiB.
 *
 * The pipe is found, not guessed from fd numbers: raising SIGCHLD in this thread runs libuv's handler before
 * kill() returns, and the one pipe with both ends in gracie whose queue grew is the loop's signal pipe.
 * Needs a SIGCHLD listener (the reaper's). Returns the pipe's new capacity.
 */
export function widenSignalPipe(pipes: PipeControl, ownPipes: readonly number[] = pipesWithBothEnds()): number {
  const before = ownPipes.map((fd) => pipes.pipeBytesQueued(fd));
  process.kill(process.pid, 'SIGCHLD');
  const signalPipe = ownPipes.find((fd, i) => pipes.pipeBytesQueued(fd) > before[i]);
  if (signalPipe === undefined) throw new Error("libuv's signal pipe not found among gracie's own pipes");
  return pipes.resizePipe(signalPipe, SIGNAL_PIPE_BYTES);
}

/** One descriptor of each pipe whose two ends are both open in gracie: libuv's own, never the app's stdio. */
function pipesWithBothEnds(): number[] {
  const ends = new Map<string, number[]>();
  for (const entry of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${entry}`);
    } catch {
      continue; // the directory's own descriptor, closed by now
    }
    if (target.startsWith('pipe:')) ends.set(target, [...(ends.get(target) ?? []), Number(entry)]);
  }
  return [...ends.values()].filter((fds) => fds.length >= 2).map((fds) => fds[0]);
}
