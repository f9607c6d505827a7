// How gracie tells glibc from musl: the loader named by an executable's PT_INTERP, never a loader file lying on disk.
// No musl build of Node can be installed here, so musl executables are crafted byte for byte (an ELF header, a
// program header table, the loader's path), beside this machine's real glibc binaries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { elfInterpreter, koffiBuilds, libcOfInterpreter } from '../../src/elf-interpreter';
import { libcOfExecutable } from '../../src/libc';

const PT_LOAD = 1;
const PT_INTERP = 3;
const PT_PHDR = 6;

interface Layout {
  bits: 32 | 64;
  little?: boolean;
  /** the loader's path; null: a static executable, no PT_INTERP */
  interpreter: string | null;
  /** where the program headers start (64 or 52, right after the ELF header, in real executables) */
  phoff?: number;
  /** where the loader's path lies; by default right after the program headers */
  interpAt?: number;
  /** the terminating NUL, which real executables always have */
  terminated?: boolean;
}

/** An ELF executable's first bytes as a linker lays them out: header, PT_PHDR, PT_INTERP, PT_LOAD, the path. */
function craftElf({ bits, little = true, interpreter, phoff = bits === 64 ? 64 : 52, interpAt, terminated = true }: Layout): Buffer {
  const is64 = bits === 64;
  const phentsize = is64 ? 56 : 32;
  const types = interpreter === null ? [PT_PHDR, PT_LOAD] : [PT_PHDR, PT_INTERP, PT_LOAD];
  const path = interpreter === null ? Buffer.alloc(0) : Buffer.from(terminated ? `${interpreter}\0` : interpreter);
  const pathAt = interpAt ?? phoff + types.length * phentsize;
  const file = Buffer.alloc(Math.max(pathAt + path.length, phoff + types.length * phentsize));
  const view = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1], 0);
  view.setUint16(16, 2, little); // ET_EXEC
  view.setUint16(18, is64 ? 62 : 40, little); // EM_X86_64 / EM_ARM (not read: any machine will do)
  if (is64) {
    view.setBigUint64(32, BigInt(phoff), little);
    view.setUint16(54, phentsize, little);
    view.setUint16(56, types.length, little);
  } else {
    view.setUint32(28, phoff, little);
    view.setUint16(42, phentsize, little);
    view.setUint16(44, types.length, little);
  }
  types.forEach((type, i) => {
    const at = phoff + i * phentsize;
    view.setUint32(at, type, little);
    if (type !== PT_INTERP) return;
    if (is64) {
      view.setBigUint64(at + 8, BigInt(pathAt), little);
      view.setBigUint64(at + 32, BigInt(path.length), little);
    } else {
      view.setUint32(at + 4, pathAt, little);
      view.setUint32(at + 16, path.length, little);
    }
  });
  path.copy(file, pathAt);
  return file;
}

const readerOf = (bytes: Uint8Array) => (offset: number, length: number) => bytes.subarray(offset, offset + length);

describe('elfInterpreter', () => {
  it.each([
    ['glibc, x86_64', 64, true, '/lib64/ld-linux-x86-64.so.2', 'glibc'],
    ['glibc, aarch64', 64, true, '/lib/ld-linux-aarch64.so.1', 'glibc'],
    ['musl, x86_64 (Alpine)', 64, true, '/lib/ld-musl-x86_64.so.1', 'musl'],
    ['musl, aarch64 (Alpine)', 64, true, '/lib/ld-musl-aarch64.so.1', 'musl'],
    ['musl, 32-bit armhf', 32, true, '/lib/ld-musl-armhf.so.1', 'musl'],
    ['glibc, 32-bit armhf', 32, true, '/lib/ld-linux-armhf.so.3', 'glibc'],
    ['glibc, big-endian s390x', 64, false, '/lib/ld64.so.1', 'glibc'],
  ] as const)('%s: reads %s, %s', (_, bits, little, interpreter, libc) => {
    const found = elfInterpreter(readerOf(craftElf({ bits, little, interpreter })));
    expect(found).toBe(interpreter);
    expect(libcOfInterpreter(found as string)).toBe(libc);
  });

  it('finds a loader path that lies far from the headers', () => {
    const file = craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1', interpAt: 10_000 });
    expect(elfInterpreter(readerOf(file))).toBe('/lib/ld-musl-x86_64.so.1');
  });

  it('reads the header, the program headers and the path only: under 300 bytes for a crafted executable', () => {
    const file = craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1' });
    let bytes = 0;
    elfInterpreter((offset, length) => ((bytes += length), file.subarray(offset, offset + length)));
    expect(bytes).toBe(64 + 3 * 56 + '/lib/ld-musl-x86_64.so.1\0'.length);
  });

  it.each([
    ['a static executable (no PT_INTERP)', craftElf({ bits: 64, interpreter: null })],
    ['a shell script', Buffer.from('#!/bin/sh\nexec node "$0"\n')],
    ['an empty file', Buffer.alloc(0)],
    ['a truncated ELF header', craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1' }).subarray(0, 40)],
    ['truncated program headers', craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1' }).subarray(0, 100)],
    ['a truncated path', craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1' }).subarray(0, 240)],
    ['a path without its NUL', craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1', terminated: false })],
    ['an unknown ELF class', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 3, 1, 1, ...Array(57).fill(0)])],
  ])('names no loader for %s', (_, bytes) => {
    expect(elfInterpreter(readerOf(bytes))).toBeNull();
  });

  it('never throws, whatever the bytes', () => {
    const elfLike = fc.uint8Array({ maxLength: 512 }).map((tail) => Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, ...tail]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), elfLike), (bytes) => {
        const found = elfInterpreter(readerOf(bytes));
        expect(found === null || typeof found === 'string').toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('libcOfInterpreter', () => {
  it('is musl only for an ld-musl-* loader, wherever it lies; every other loader is glibc', () => {
    expect(libcOfInterpreter('/lib/ld-musl-x86_64.so.1')).toBe('musl');
    expect(libcOfInterpreter('/usr/glibc-compat/lib/ld-musl-aarch64.so.1')).toBe('musl');
    // a glibc loader, even in a directory that mentions musl
    expect(libcOfInterpreter('/lib/ld-linux-x86-64.so.2')).toBe('glibc');
    expect(libcOfInterpreter('/opt/musl/lib/ld-linux-x86-64.so.2')).toBe('glibc');
  });
});

describe('koffiBuilds', () => {
  it("tries only the build for the libc Node runs on, and both (glibc first) when that is unknown", () => {
    expect(koffiBuilds('glibc')).toEqual(['linux']);
    expect(koffiBuilds('musl')).toEqual(['musl']);
    expect(koffiBuilds(null)).toEqual(['linux', 'musl']);
  });
});

describe('libcOfExecutable', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'gracie-elf-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const written = (name: string, bytes: Uint8Array): string => {
    const path = join(scratch, name);
    writeFileSync(path, bytes);
    return path;
  };

  it("says glibc for the Node running these tests, as Node's own report does", () => {
    const { header } = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    expect(header.glibcVersionRuntime, 'this machine runs a glibc Node').toBeDefined();
    expect(libcOfExecutable(process.execPath)).toBe('glibc');
    expect(libcOfExecutable('/bin/sh')).toBe('glibc');
  });

  it('says musl for a musl executable, wherever its loader path lies (past the first KiB read at once)', () => {
    expect(libcOfExecutable(written('musl-node', craftElf({ bits: 64, interpreter: '/lib/ld-musl-x86_64.so.1' })))).toBe('musl');
    const far = craftElf({ bits: 64, interpreter: '/lib/ld-musl-aarch64.so.1', interpAt: 5_000 });
    expect(libcOfExecutable(written('musl-node-far', far))).toBe('musl');
    const farHeaders = craftElf({ bits: 64, interpreter: '/lib/ld-musl-aarch64.so.1', phoff: 2_000 });
    expect(libcOfExecutable(written('musl-node-far-headers', farHeaders))).toBe('musl');
  });

  it('does not know for a static executable, a script or a missing file', () => {
    expect(libcOfExecutable(written('static', craftElf({ bits: 64, interpreter: null })))).toBeNull();
    expect(libcOfExecutable(written('script', Buffer.from('#!/bin/sh\n')))).toBeNull();
    expect(libcOfExecutable(join(scratch, 'missing'))).toBeNull();
  });
});
