// Which libc the running Node uses, told by the dynamic loader its executable asks for (PT_INTERP): the rule koffi's
// own loader applies, a loader named ld-musl-* means musl. A loader file on disk proves nothing: Debian's `musl`
// package puts /lib/ld-musl-x86_64.so.1 on a glibc host, where a check for that file chose koffi's musl build
// first, failed to load it and only then fell back. Pure: the caller reads the bytes (src/libc.ts, from
// process.execPath: the ELF header, the program headers and the loader's path, all within the first KiB of Node's
// binary on x64 and arm64).

/** Reads up to `length` bytes of the file at `offset`; fewer at its end. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export type LibcFamily = 'glibc' | 'musl';

const PT_INTERP = 3;
/** e_phnum's escape value: the real count is elsewhere (section 0), only in files with 65,535+ segments. */
const PN_XNUM = 0xffff;
/** Linux's PATH_MAX: a longer "path" is a corrupt header. */
const PATH_MAX = 4096;
/** Executables have a dozen program headers (~700 bytes); a table past 64 KiB is a corrupt header, not read. */
const MAX_TABLE = 65_536;

/**
 * The dynamic loader an ELF executable names (its PT_INTERP segment), or null when it names none (a static
 * binary) or is not an ELF file this can read.
 */
export function elfInterpreter(read: ReadAt): string | null {
  const header = read(0, 64);
  if (header.length < 52 || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) return null;
  const is64 = header[4] === 2;
  if (!is64 && header[4] !== 1) return null;
  if (header[5] !== 1 && header[5] !== 2) return null;
  const little = header[5] === 1;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (is64 && header.length < 64) return null;
  const phoff = is64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little);
  const phentsize = view.getUint16(is64 ? 54 : 42, little);
  const phnum = view.getUint16(is64 ? 56 : 44, little);
  if (phoff === 0 || phnum === 0 || phnum === PN_XNUM || phentsize < (is64 ? 56 : 32)) return null;
  if (phnum * phentsize > MAX_TABLE) return null;
  const table = read(phoff, phnum * phentsize);
  if (table.length < phnum * phentsize) return null;
  const entries = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let at = 0; at < table.length; at += phentsize) {
    if (entries.getUint32(at, little) !== PT_INTERP) continue;
    const offset = is64 ? Number(entries.getBigUint64(at + 8, little)) : entries.getUint32(at + 4, little);
    const size = is64 ? Number(entries.getBigUint64(at + 32, little)) : entries.getUint32(at + 16, little);
    if (size < 2 || size > PATH_MAX) return null;
    const path = read(offset, size);
    // NUL-terminated, and nothing but the terminator may be NUL
    const end = path.indexOf(0);
    if (path.length < size || end !== size - 1) return null;
    return String.fromCharCode(...path.subarray(0, end));
  }
  return null;
}

/** The libc a loader path belongs to (koffi's rule: ld-musl-<arch>.so.1 is musl, every other loader glibc). */
export function libcOfInterpreter(interpreter: string): LibcFamily {
  const name = interpreter.slice(interpreter.lastIndexOf('/') + 1);
  return name.startsWith('ld-musl-') ? 'musl' : 'glibc';
}

/**
 * koffi's prebuilt binaries to try, in order (the directory prefixes in @koromix/koffi-linux-<arch>): the one for
 * the libc Node runs on; both, glibc first, when that is unknown (a static Node, an unreadable executable).
 */
export function koffiBuilds(libc: LibcFamily | null): Array<'linux' | 'musl'> {
  if (libc === 'musl') return ['musl'];
  if (libc === 'glibc') return ['linux'];
  return ['linux', 'musl'];
}
