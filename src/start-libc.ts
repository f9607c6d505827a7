// Imported first by bin.ts, before signal-inbox.ts listens: libc, and at once V8's CPU clock measured on a thread
// no signal reaches (Libc.calibrateCpuClockAwayFromSignals). Until gracie listens, a flood cannot hold its main
// thread: outside PID 1 the first signal ends gracie, as PID 1 the kernel drops them (after Node's own one-shot
// handler). Measured any later, a storm from the first instant still froze 1 Node 24 e2e run in 6.
import { libcWanted } from './config';
import { loadLibc, type Libc } from './libc';
import { setRealtimeRange } from './signals';

/** libc's bindings, or why there are none; main.ts takes them from here and says what it could not do. */
export const libcAtStart: Libc | string = libcWanted(process.env) ? loadLibc() : 'turned off by GRACIE_FFI=0';

// Before any option is read: SIGRTMIN+3 means 37 with glibc, 38 with musl.
if (typeof libcAtStart !== 'string') setRealtimeRange(libcAtStart.realtimeSignals());

/** Whether the measurement started, or why it failed: logged once the logger exists. */
export const cpuClockAtStart: boolean | Error = calibrate(libcAtStart);

function calibrate(libc: Libc | string): boolean | Error {
  if (typeof libc === 'string') return false;
  try {
    return libc.calibrateCpuClockAwayFromSignals();
  } catch (error) {
    return error as Error;
  }
}
