// The libc bindings themselves, loaded through koffi on this machine.
import { describe, expect, it } from 'vitest';
import { loadLibc, type Libc } from '../../src/libc';

function libc(): Libc {
  const loaded = loadLibc();
  if (typeof loaded === 'string') throw new Error(`libc bindings did not load: ${loaded}`);
  return loaded;
}

describe('releaseFreedMemory', () => {
  it('is bound where libc is glibc (malloc_trim), and says it did nothing elsewhere', () => {
    const { header } = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    expect(libc().releaseFreedMemory()).toBe(header.glibcVersionRuntime !== undefined);
  });
});

describe('calibrateCpuClockAwayFromSignals', () => {
  it("starts the measurement where Node's V8 has one (Node 24 on), and says it did nothing on older Nodes", () => {
    // The e2e suite (test/e2e/faults.test.ts) runs on Node 24 too and shows what it prevents.
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect(libc().calibrateCpuClockAwayFromSignals()).toBe(nodeMajor >= 24);
  });
});

describe('realtimeSignals', () => {
  it('are SIGRTMIN..SIGRTMAX as this libc numbers them: above the 31 classic signals, up to 64', () => {
    const { min, max } = libc().realtimeSignals();
    expect(min).toBeGreaterThan(31);
    expect(max).toBe(64);
    expect(max - min).toBeGreaterThanOrEqual(8); // POSIX asks for at least 8
  });
});
