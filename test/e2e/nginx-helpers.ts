// A real nginx for the end-to-end suite: a site in a temp dir (config, pid file, logs, temp paths and a large
// random file served with limit_rate, so one download takes seconds) and cleanup of every nginx process after each
// test. Downloads are in download.ts.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach } from 'vitest';
import { freePort, type DownloadResult } from './download';
import { readIfExists, tryKill, waitFor, type GracieRun } from './helpers';

export { Download, freePort, type DownloadResult } from './download';

export interface SiteOptions {
  /** size of /big.bin in bytes */
  size: number;
  /** nginx's limit_rate for it, e.g. '2m' (2 MiB/s) */
  rate: string;
  /** nginx's worker_shutdown_timeout: how long a gracefully stopping worker may keep serving; none by default */
  workerShutdownTimeout?: string;
}

export interface NginxSite {
  dir: string;
  port: number;
  conf: string;
  errorLog: string;
  pidFile: string;
  /** length and sha256 of /big.bin */
  size: number;
  sha256: string;
  /** a foreground nginx master on this site: everything it writes stays in `dir` */
  argv: string[];
  /** the same command as one line for `sh -c` */
  shell: string;
  /** a directory holding an `nginx` that execs the real one on this site (for commands that say just `nginx`) */
  shimDir: string;
}

const sites = new Set<NginxSite>();

afterEach(() => {
  for (const site of sites) {
    killSiteProcesses(site);
    rmSync(site.dir, { recursive: true, force: true });
  }
  sites.clear();
});

/** The nginx binary, by absolute path (/usr/sbin is not on every user's PATH). `.ci/run` installs Debian's. */
export const NGINX = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx || command -v /usr/sbin/nginx'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nginx is not installed: `apt-get install -y nginx` (.ci/run does it)');
  }
})();

/** Writes a site for one nginx into a fresh temp dir. Nothing outside it is read or written (no /var/log/nginx). */
export async function nginxSite(options: SiteOptions): Promise<NginxSite> {
  const dir = mkdtempSync(join(tmpdir(), 'gracie-nginx-'));
  const port = await freePort();
  const www = join(dir, 'www');
  mkdirSync(www);
  const content = randomBytes(options.size);
  writeFileSync(join(www, 'big.bin'), content);
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  const pidFile = join(dir, 'nginx.pid');
  writeFileSync(
    conf,
    [
      // As root, workers would switch to "nobody", who cannot read the 0700 temp dir; as another user nginx
      // ignores the directive with a warning.
      'user root;',
      'worker_processes 1;',
      `pid ${pidFile};`,
      `error_log ${errorLog} notice;`,
      options.workerShutdownTimeout ? `worker_shutdown_timeout ${options.workerShutdownTimeout};` : '',
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`),
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${www};`,
      `    location / { limit_rate ${options.rate}; }`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  // -e: the error log before the config is read (the default is /var/log/nginx/error.log); -p: the prefix.
  const flags = ['-e', errorLog, '-p', `${dir}/`, '-c', conf];
  const shimDir = join(dir, 'bin');
  mkdirSync(shimDir);
  writeFileSync(join(shimDir, 'nginx'), `#!/bin/sh\nexec ${NGINX} ${flags.join(' ')} "$@"\n`);
  chmodSync(join(shimDir, 'nginx'), 0o755);
  const site: NginxSite = {
    dir,
    port,
    conf,
    errorLog,
    pidFile,
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    argv: [NGINX, '-g', 'daemon off;', ...flags],
    shell: `${NGINX} -g 'daemon off;' ${flags.join(' ')}`,
    shimDir,
  };
  sites.add(site);
  return site;
}

/** What nginx logged so far (its error log, at notice level: signals received, workers exiting). */
/** What a download of the whole site file looks like: every byte, in order, and a finished response. */
export function wholeFile(site: NginxSite): DownloadResult {
  return { status: 200, bytes: site.size, sha256: site.sha256, complete: true, error: undefined };
}

export function nginxLog(site: NginxSite): string {
  return readIfExists(site.errorLog) ?? '';
}

/**
 * Waits until nginx under `run` accepts connections; returns the master's pid as nginx wrote it. nginx writes the
 * pid file after its listening sockets are bound and listening, so a connection made after that is queued.
 */
export async function nginxReady(site: NginxSite, run: GracieRun): Promise<number> {
  const text = await waitFor(
    () => {
      const pid = readIfExists(site.pidFile)?.trim();
      return pid ? pid : undefined;
    },
    `nginx to write ${site.pidFile}`,
    () => `${run.describe()}--- nginx error log ---\n${nginxLog(site)}`,
  );
  return Number(text);
}

/** Live (not zombie) processes in process group `pgid`, from /proc. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readIfExists(`/proc/${entry}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && Number(pgrp) === pgid) members.push(Number(entry));
  }
  return members;
}

/**
 * SIGKILLs every process started for `site`: the ones whose command line names its dir (the nginx master, a shell
 * around it) and their process groups (the workers). Never the test runner's own group.
 */
function killSiteProcesses(site: NginxSite): void {
  const ownGroup = processGroupOf('self');
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (!readIfExists(`/proc/${entry}/cmdline`)?.includes(site.dir)) continue;
    const group = processGroupOf(entry);
    if (group !== undefined && group !== ownGroup && group > 1) groups.add(group);
    tryKill(Number(entry));
  }
  for (const group of groups) tryKill(-group);
}

function processGroupOf(pid: string): number | undefined {
  const stat = readIfExists(`/proc/${pid}/stat`);
  return stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) : undefined;
}
