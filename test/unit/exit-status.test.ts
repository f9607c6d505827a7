import { describe, expect, it } from 'vitest';
import {
  decideExit,
  INTERNAL_FAILURE,
  NOT_EXECUTABLE,
  NOT_FOUND,
  spawnErrorExitCode,
  type ChildEnd,
} from '../../src/exit-status';

const none: ReadonlySet<number> = new Set();
const exited = (code: number): ChildEnd => ({ code, signal: null });
const killed = (signal: number): ChildEnd => ({ code: null, signal });
const codes = Array.from({ length: 256 }, (_, n) => n);
const signals = Array.from({ length: 31 }, (_, n) => n + 1);

describe('decideExit: the child exited with a code', () => {
  it('passes each of the 256 codes through unchanged, as PID 1 or not, without -e', () => {
    for (const code of codes) {
      expect(decideExit(exited(code), none, true), `code ${code}`).toEqual({ kind: 'code', code });
      expect(decideExit(exited(code), none, false), `code ${code}`).toEqual({ kind: 'code', code });
    }
  });

  it('maps each listed -e code to 0 and leaves every other code alone', () => {
    const success = new Set([1, 143, 255]);
    for (const code of codes) {
      const expected = success.has(code) ? 0 : code;
      expect(decideExit(exited(code), success, true), `code ${code}`).toEqual({ kind: 'code', code: expected });
      expect(decideExit(exited(code), success, false), `code ${code}`).toEqual({ kind: 'code', code: expected });
    }
  });

  it('maps every code to 0 when all 256 are listed with -e', () => {
    const all = new Set(codes);
    for (const code of codes) {
      expect(decideExit(exited(code), all, false)).toEqual({ kind: 'code', code: 0 });
    }
  });

  it('takes the code mod 256, then applies -e to the result (as tini)', () => {
    expect(decideExit(exited(256), none, true)).toEqual({ kind: 'code', code: 0 });
    expect(decideExit(exited(257), none, true)).toEqual({ kind: 'code', code: 1 });
    expect(decideExit(exited(511), none, false)).toEqual({ kind: 'code', code: 255 });
    expect(decideExit(exited(399), new Set([143]), true)).toEqual({ kind: 'code', code: 0 });
    expect(decideExit(exited(399), none, true)).toEqual({ kind: 'code', code: 143 });
  });
});

describe('decideExit: the child died of a signal', () => {
  it('as PID 1, reports 128+N for signals 1..31', () => {
    for (const signal of signals) {
      expect(decideExit(killed(signal), none, true), `signal ${signal}`).toEqual({ kind: 'code', code: 128 + signal });
    }
  });

  it('not as PID 1, ends gracie with the same signal, with 128+N as the fallback code', () => {
    for (const signal of signals) {
      expect(decideExit(killed(signal), none, false), `signal ${signal}`).toEqual({ kind: 'signal', signal, code: 128 + signal });
    }
  });

  it('-e 143 turns a SIGTERM death into 0, as PID 1 and not', () => {
    const success = new Set([143]);
    expect(decideExit(killed(15), success, true)).toEqual({ kind: 'code', code: 0 });
    expect(decideExit(killed(15), success, false)).toEqual({ kind: 'code', code: 0 });
    // other signals are unaffected
    expect(decideExit(killed(9), success, true)).toEqual({ kind: 'code', code: 137 });
    expect(decideExit(killed(9), success, false)).toEqual({ kind: 'signal', signal: 9, code: 137 });
    // and so is a plain exit 15
    expect(decideExit(exited(15), success, true)).toEqual({ kind: 'code', code: 15 });
  });

  it('maps each 128+N listed with -e to 0 for every signal', () => {
    for (const signal of signals) {
      const success = new Set([128 + signal]);
      expect(decideExit(killed(signal), success, true)).toEqual({ kind: 'code', code: 0 });
      expect(decideExit(killed(signal), success, false)).toEqual({ kind: 'code', code: 0 });
    }
  });

  it('takes 128+N mod 256 for high signal numbers', () => {
    expect(decideExit(killed(128), none, true)).toEqual({ kind: 'code', code: 0 });
    expect(decideExit(killed(130), none, true)).toEqual({ kind: 'code', code: 2 });
    expect(decideExit(killed(130), none, false)).toEqual({ kind: 'signal', signal: 130, code: 2 });
  });
});

describe('spawnErrorExitCode', () => {
  it('exports the shell codes', () => {
    expect(NOT_FOUND).toBe(127);
    expect(NOT_EXECUTABLE).toBe(126);
    expect(INTERNAL_FAILURE).toBe(1);
  });

  it.each([
    ['ENOENT', 127],
    ['ENOTDIR', 127],
    ['EACCES', 126],
    ['EPERM', 126],
    ['ENOEXEC', 126],
    ['EISDIR', 126],
    ['ELOOP', 126],
    ['ETXTBSY', 126],
    ['EMFILE', 1],
    ['EAGAIN', 1],
    ['ENOMEM', 1],
    ['', 1],
  ])('maps %s to %i', (errno, code) => {
    expect(spawnErrorExitCode(errno)).toBe(code);
  });

  it('maps an unknown failure to 1', () => {
    expect(spawnErrorExitCode(undefined)).toBe(1);
  });
});
