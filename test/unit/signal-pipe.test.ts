import { describe, expect, it } from 'vitest';
import { SIGNAL_PIPE_BYTES, widenSignalPipe, type PipeControl } from '../../src/signal-pipe';

/** Pipes with bytes queued; `grows` is the one libuv's handler writes to when SIGCHLD is raised. */
function fakePipes(queued: Record<number, number>, grows: number | null) {
  const resized: Array<[number, number]> = [];
  let probes = 0;
  const control: PipeControl = {
    pipeBytesQueued(fd) {
      probes++;
      // The first pass reads every pipe before the signal, the second after it.
      const afterSignal = probes > Object.keys(queued).length;
      return queued[fd] + (afterSignal && fd === grows ? 16 : 0);
    },
    resizePipe(fd, bytes) {
      resized.push([fd, bytes]);
      return bytes;
    },
  };
  return { control, resized };
}

describe('widenSignalPipe', () => {
  it("widens only the pipe whose queue grew when SIGCHLD was raised, even if others hold data", () => {
    const { control, resized } = fakePipes({ 5: 0, 7: 32, 11: 4096 }, 7);
    expect(widenSignalPipe(control, [5, 7, 11])).toBe(SIGNAL_PIPE_BYTES);
    expect(resized).toEqual([[7, SIGNAL_PIPE_BYTES]]);
  });

  it('touches nothing and says so when no pipe grew', () => {
    const { control, resized } = fakePipes({ 5: 0, 7: 0 }, null);
    expect(() => widenSignalPipe(control, [5, 7])).toThrow(/signal pipe not found/);
    expect(resized).toEqual([]);
  });
});
