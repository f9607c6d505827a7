// What differs when gracie runs as a single executable (Node's single executable applications, `npm run build:sea`):
// one file holding Node, gracie's bundle, pino's and commander's bundles and koffi's native binary, for images
// that have no Node and no node_modules. Everything here is compiled out of the npm package's bundle
// (GRACIE_SEA is false there, scripts/build.mjs).
import { closeSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

declare const GRACIE_SEA: boolean;

/** True in the single executable (scripts/build-sea.mjs defines it), false in dist/gracie.js. */
export const IS_SEA = typeof GRACIE_SEA === 'boolean' && GRACIE_SEA;

/** Node's asset reader, present only inside a single executable. */
function seaAsset(name: string): ArrayBuffer {
  const sea = require('node:sea') as { getRawAsset(key: string): ArrayBuffer };
  return sea.getRawAsset(name);
}

/**
 * A CommonJS bundle embedded as an asset (dist/pino.js, dist/commander.js), evaluated on first use as the npm
 * package requires them from beside dist/gracie.js. Their own requires are Node's built-ins only, which is all a
 * single executable's require can load.
 */
export function requireEmbedded(name: string): unknown {
  // Evaluated once, as require() would: cli.ts's instanceof checks need the one CommanderError class.
  if (embedded.has(name)) return embedded.get(name);
  const { compileFunction } = require('node:vm') as typeof import('node:vm');
  const source = Buffer.from(seaAsset(`${name}.js`)).toString('utf8');
  const module = { exports: {} as unknown };
  const body = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: `gracie:${name}.js` });
  body(module.exports, require, module, `gracie:${name}.js`, '/');
  embedded.set(name, module.exports);
  return module.exports;
}

const embedded = new Map<string, unknown>();

/** Linux's O_TMPFILE (with O_DIRECTORY, as the kernel wants it): the same value on x86_64 and arm64. */
const O_TMPFILE = 0o20200000;
const O_RDWR = 2;

/**
 * koffi's native binary, embedded as an asset: the kernel can only map a file, so it is written to one and loaded
 * with dlopen. First choice, an unnamed file (O_TMPFILE), loaded through /proc/self/fd and gone when closed: nothing
 * is ever visible on disk. Where the filesystem has no O_TMPFILE (overlayfs before Linux 6.6), a file in a private
 * 0700 directory, removed right after loading. Directories tried: $TMPDIR, /tmp, /dev/shm, /run, /var/tmp; one that
 * is read-only, full or mounted noexec (Docker's /dev/shm) is skipped. When none works (a read-only root filesystem
 * with no writable exec tmpfs), the reasons are returned together and gracie runs without libc (main.ts says so).
 */
export function loadEmbeddedAddon(asset: string): unknown {
  const bytes = new Uint8Array(seaAsset(asset));
  const failures: string[] = [];
  const dirs = [...new Set([process.env.TMPDIR, '/tmp', '/dev/shm', '/run', '/var/tmp'].filter((dir): dir is string => !!dir))];
  for (const dir of dirs) {
    for (const load of [loadFromUnnamedFile, loadFromPrivateFile]) {
      try {
        return load(dir, bytes);
      } catch (error) {
        failures.push(`${dir} (${load === loadFromUnnamedFile ? 'O_TMPFILE' : 'temporary file'}): ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }
  throw new Error(`no directory to load the embedded ${asset} from: ${failures.join('; ')}`);
}

function dlopen(path: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, path);
  return module.exports;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function loadFromUnnamedFile(dir: string, bytes: Uint8Array): unknown {
  const fd = openSync(dir, O_TMPFILE | O_RDWR, 0o700);
  try {
    writeAll(fd, bytes);
    return dlopen(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

function loadFromPrivateFile(dir: string, bytes: Uint8Array): unknown {
  const privateDir = mkdtempSync(join(dir, 'gracie-'));
  try {
    const path = join(privateDir, 'koffi.node');
    const fd = openSync(path, 'wx', 0o700);
    try {
      writeAll(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return dlopen(path);
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}

/**
 * The descriptors above 2 this process inherited, as a space-separated list for INHERITED_FDS (child.ts). Node marks
 * 0-15 close-on-exec before any JavaScript runs, and every descriptor above in an unbroken run from 16 (strace, Node
 * 20, 24 and 26); the npm package's launcher lists the open ones from /bin/sh before Node starts, but a single
 * executable has no launcher. Every descriptor open at this point was either inherited or opened by Node, so they
 * are told apart by kind: Node's are anonymous inodes (epoll, io_uring, eventfd) and pipes whose two ends it holds
 * (libuv's signal and wake-up pipes); anything else (a socket-activation listener, a file, one end of a pipe to a
 * sidecar) was inherited. Run first thing, before gracie opens any descriptor of its own.
 */
export function inheritedDescriptorsAtStart(): string {
  const targets = new Map<number, string>();
  for (const entry of readdirSync('/proc/self/fd')) {
    try {
      targets.set(Number(entry), readlinkSync(`/proc/self/fd/${entry}`));
    } catch {
      // the descriptor readdir itself used, closed by now
    }
  }
  return inheritedAmong(targets).join(' ');
}

/** Pure part of inheritedDescriptorsAtStart: descriptor -> what /proc/self/fd says it is, to the inherited ones. */
export function inheritedAmong(targets: ReadonlyMap<number, string>): number[] {
  const pipeEnds = new Map<string, number>();
  for (const target of targets.values()) if (target.startsWith('pipe:')) pipeEnds.set(target, (pipeEnds.get(target) ?? 0) + 1);
  const inherited: number[] = [];
  for (const [fd, target] of targets) {
    if (fd < 3) continue;
    if (target.startsWith('anon_inode:')) continue;
    if (target.startsWith('pipe:') && (pipeEnds.get(target) ?? 0) > 1) continue;
    inherited.push(fd);
  }
  return inherited.sort((a, b) => a - b);
}
