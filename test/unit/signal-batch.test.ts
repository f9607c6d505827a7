import { describe, expect, it } from 'vitest';
import { BATCH_LIMIT, SignalBatch } from '../../src/signal-batch';
import { SIGHUP, SIGTERM } from '../../src/signals';

const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGRTMIN = 34;

describe('SignalBatch: what arrived later in one event-loop turn', () => {
  it('merges a standard signal already waiting, keeping the order of first arrival', () => {
    const batch = new SignalBatch();
    for (const signal of [SIGUSR1, SIGUSR2, SIGUSR1, SIGHUP, SIGUSR2, SIGUSR1]) batch.add(signal);
    expect(batch.take()).toEqual([SIGUSR1, SIGUSR2, SIGHUP]);
  });

  it('queues every real-time signal, as the kernel does', () => {
    const batch = new SignalBatch();
    for (const signal of [SIGRTMIN, SIGRTMIN + 3, SIGRTMIN, SIGUSR1, SIGRTMIN + 3, SIGUSR1]) batch.add(signal);
    expect(batch.take()).toEqual([SIGRTMIN, SIGRTMIN + 3, SIGRTMIN, SIGUSR1, SIGRTMIN + 3]);
  });

  it('is empty after take(), and merges again only with what arrived since', () => {
    const batch = new SignalBatch();
    batch.add(SIGTERM);
    batch.add(SIGTERM);
    expect(batch.take()).toEqual([SIGTERM]);
    expect(batch.take()).toEqual([]);
    batch.add(SIGTERM);
    expect(batch.take()).toEqual([SIGTERM]);
  });
});

describe('SignalBatch: a turn that a storm keeps going', () => {
  it(`says "handle now" at the ${BATCH_LIMIT}th arrival, counting merged ones, and counts again after take()`, () => {
    const batch = new SignalBatch();
    const full: number[] = [];
    for (let i = 1; i <= 2 * BATCH_LIMIT; i++) if (batch.add(i % 2 ? SIGUSR1 : SIGUSR2)) full.push(i) && batch.take();
    expect(full).toEqual([BATCH_LIMIT, 2 * BATCH_LIMIT]);
  });
});
