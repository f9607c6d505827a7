// The libc bindings themselves, loaded through koffi on this machine.
import koffi from 'koffi';
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
  it("starts the measurement where Node's binary exports abseil's probe, and says it did nothing where it does not", () => {
    // What this binary has, looked up independently of gracie's code (koffi's dlsym in the global scope), never
    // guessed from the major: Node 22.23 exports it though it was first seen on 24. The e2e suite
    // (test/e2e/faults.test.ts) runs on every tested major and shows what the measurement prevents.
    const dlsym = koffi.load(null as unknown as string).func('void *dlsym(void *handle, const char *name)');
    const exported = dlsym(null, '_ZN4absl13base_internal19NominalCPUFrequencyEv') !== null;
    expect(libc().calibrateCpuClockAwayFromSignals()).toBe(exported);
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
