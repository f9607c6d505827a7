// isTerminal: the answer isatty gives, with node:tty loaded only for devices that could be terminals.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceMajor, isTerminal } from '../../src/terminal';

/** glibc's makedev: the major number in bits 8-19 and 32-43, the minor in bits 0-7 and 20-31. */
function makedev(major: number, minor: number): number {
  const M = BigInt(major), m = BigInt(minor);
  return Number(((M & 0xfffn) << 8n) | ((M & ~0xfffn) << 32n) | (m & 0xffn) | ((m & ~0xffn) << 12n));
}

describe('deviceMajor', () => {
  it.each([
    [1, 3], // /dev/null
    [5, 2], // /dev/ptmx
    [136, 7], // /dev/pts/7
    [4, 64], // /dev/ttyS0
    [0xfff, 0xff],
    [0x1000, 0x100], // beyond 12 bits: the high part of dev_t
    [0x7ffff, 0x123456],
  ])('reads major %i back from a dev_t with minor %i', (major, minor) => {
    expect(deviceMajor(makedev(major, minor))).toBe(major);
  });
});

describe('isTerminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gracie-tty-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function withFd(open: () => number, check: (fd: number) => void): void {
    const fd = open();
    try {
      check(fd);
    } finally {
      closeSync(fd);
    }
  }

  it('a regular file, /dev/null and /dev/zero are not terminals, as isatty says', () => {
    writeFileSync(join(dir, 'file'), 'x');
    for (const path of [join(dir, 'file'), '/dev/null', '/dev/zero']) {
      withFd(() => openSync(path, 'r'), (fd) => {
        expect(isatty(fd), path).toBe(false);
        expect(isTerminal(fd), path).toBe(false);
      });
    }
  });

  it('a pseudo-terminal is a terminal, as isatty says', () => {
    withFd(() => openSync('/dev/ptmx', 'r+'), (fd) => {
      expect(isatty(fd)).toBe(true);
      expect(isTerminal(fd)).toBe(true);
    });
  });

  it('a closed descriptor is not a terminal', () => {
    const fd = openSync('/dev/null', 'r');
    closeSync(fd);
    expect(isTerminal(fd)).toBe(false);
  });
});
