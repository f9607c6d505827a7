// Helpers for the benchmark harness: launching an init (optionally as PID 1 of a fresh PID
// namespace), reading /proc, small statistics and markdown tables. Node standard library only.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, accessSync, constants as fsc } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Resolves null after MS without keeping the process alive: the losing side of a Promise.race. */
export const deadline = (ms) => sleep(ms, null, { ref: false });

/** Absolute path of an executable found on PATH, or null. */
export function which(name) {
  if (name.includes('/')) return canExec(name) ? name : null;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(dir || '.', name);
    if (canExec(p)) return p;
  }
  return null;
}

function canExec(p) {
  try { accessSync(p, fsc.X_OK); return true; } catch { return false; }
}

/** Run a command synchronously and return its trimmed stdout+stderr (or null when it fails to start). */
export function capture(cmd, args, { both = true } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10000 });
  if (r.error) return null;
  return ((r.stdout ?? '') + (both ? (r.stderr ?? '') : '')).trim();
}

// ---------------------------------------------------------------------------------------------
// /proc readers

/** Children of the main thread of PID (the thread libuv and the C inits spawn from). */
export function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

export function comm(pid) {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return null; }
}

/** Key/value lines of /proc/PID/status or smaps_rollup, values in kB (or plain numbers). */
function readKv(path) {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Memory of one process: RssAnon, RssFile, Pss, Pss_Anon (kB) and the thread count. */
export function readMemory(pid) {
  const st = readKv(`/proc/${pid}/status`);
  const sm = readKv(`/proc/${pid}/smaps_rollup`);
  return {
    rssAnonKb: st.RssAnon, rssFileKb: st.RssFile, rssKb: st.VmRSS, hwmKb: st.VmHWM,
    pssKb: sm.Pss, pssAnonKb: sm.Pss_Anon, pssFileKb: sm.Pss_File, threads: st.Threads,
  };
}

const TICK_MS = 1000 / (Number(capture('getconf', ['CLK_TCK'])) || 100);

/** CPU of a process summed over its live threads (schedstat, ns) + utime+stime (all threads ever,
 *  clock ticks) + voluntary/nonvoluntary context switches summed over /proc/PID/task/ * /status. */
export function readCpu(pid) {
  let ns = 0, vol = 0, nonvol = 0, threads = 0;
  let tids = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return null; }
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const st = readKv(`/proc/${pid}/task/${tid}/status`);
      vol += st.voluntary_ctxt_switches ?? 0;
      nonvol += st.nonvoluntary_ctxt_switches ?? 0;
      threads++;
    } catch { /* the thread ended meanwhile */ }
  }
  let tickMs = null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    tickMs = (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15: utime, stime
  } catch { /* gone */ }
  return { cpuMs: ns / 1e6, tickMs, vol, nonvol, ctx: vol + nonvol, threads };
}

/** Poll FN every STEP ms until it returns a truthy value; null after TIMEOUT ms. */
export async function pollUntil(fn, timeoutMs, stepMs = 5) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(stepMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Launching an init

const live = new Set(); // every launched init, killed if the harness stops early

/** Kill what is left of every launched init (SIGKILL, by pid). */
export function killAll() {
  for (const l of live) l.kill('SIGKILL');
}

/**
 * Start ARGV (an init's argv followed by its command). With pid1, wrap it in
 * `unshare --pid --fork --mount-proc` so the init is PID 1 of a new PID namespace; initPid is then
 * its pid as seen from here (the one child of unshare).
 */
export async function launch(argv, { pid1 = false, unshare = 'unshare' } = {}) {
  const full = pid1 ? [unshare, '--pid', '--fork', '--mount-proc', ...argv] : argv;
  const proc = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout = (stdout + d).slice(-65536); });
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr = (stderr + d).slice(-16384); });
  let exitInfo = null;
  const exited = new Promise((res) => {
    proc.on('exit', (code, signal) => { exitInfo = { code, signal }; res(exitInfo); });
    proc.on('error', (err) => { exitInfo = { code: null, signal: null, error: err.message }; res(exitInfo); });
  });
  const l = {
    proc, argv: full, initPid: pid1 ? null : proc.pid, exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    get exitInfo() { return exitInfo; },
    // Signal the init itself. Under unshare, only SIGKILL also goes to unshare: it waits for its
    // child, and the init (PID 1 of the namespace) takes every process of the namespace with it.
    kill(sig = 'SIGTERM') {
      const targets = sig === 'SIGKILL' || !l.initPid ? [l.initPid, proc.pid] : [l.initPid];
      for (const p of targets) {
        if (p && exitInfo === null) { try { process.kill(p, sig); } catch { /* gone */ } }
      }
    },
  };
  live.add(l);
  exited.then(() => live.delete(l));
  if (pid1) {
    const kid = await pollUntil(() => exitInfo === null ? childrenOf(proc.pid)[0] : -1, 5000, 1);
    if (!kid || kid < 0) throw new Error(`unshare gave no init process: ${stderr.trim()}`);
    l.initPid = kid;
  }
  return l;
}

/** Wait until the init has a child whose comm is NAME; returns its pid. */
export async function waitForChild(l, name, timeoutMs = 10000) {
  const pid = await pollUntil(() => {
    if (l.exitInfo) return -1;
    return childrenOf(l.initPid).find((c) => comm(c) === name);
  }, timeoutMs, 2);
  if (!pid || pid < 0) {
    throw new Error(`no '${name}' child under ${l.argv.join(' ')}` +
      (l.exitInfo ? ` (exited ${JSON.stringify(l.exitInfo)})` : '') + tail(l.stderr));
  }
  return pid;
}

/** Wait for a line matching RE on the init's stdout. */
export async function waitForStdout(l, re, timeoutMs = 10000) {
  const ok = await pollUntil(() => re.test(l.stdout) || (l.exitInfo ? -1 : 0), timeoutMs, 2);
  if (ok !== true) throw new Error(`no ${re} on stdout of ${l.argv.join(' ')}${tail(l.stderr)}`);
}

/** Stop an init: SIGTERM, then SIGKILL after GRACE ms. Returns its exit info (+ killed flag). */
export async function stop(l, graceMs = 5000, sig = 'SIGTERM') {
  if (l.exitInfo) return l.exitInfo;
  l.kill(sig);
  const t = await Promise.race([l.exited, deadline(graceMs)]);
  if (t) return t;
  l.kill('SIGKILL');
  return { ...(await l.exited), killed: true };
}

export function tail(s, n = 400) {
  s = (s ?? '').trim();
  return s ? `; stderr: ${s.length > n ? '…' + s.slice(-n) : s}` : '';
}

/** Run a helper to completion; resolves {code, stdout, stderr}. */
export function run(cmd, args, { timeoutMs = 120000 } = {}) {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); res({ code: null, stdout, stderr: stderr + e.message }); });
    p.on('close', (code, signal) => { clearTimeout(timer); res({ code, signal, stdout, stderr }); });
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

export function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
export const median = (v) => quantile(v, 0.5);

export function ratio(a, b) {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** A number with about 3 significant digits; '—' for null. */
export function fmt(x, unit = '') {
  if (x == null || Number.isNaN(x)) return '—';
  if (typeof x !== 'number') return String(x);
  if (Number.isInteger(x) && !unit.includes('s')) return String(x) + unit;
  const a = Math.abs(x);
  const s = a === 0 ? '0' : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
  return s + unit;
}
export const fmtRatio = (r) => (r == null ? '—' : !Number.isFinite(r) ? '∞' : `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`);

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map((c) => (c == null ? '—' : String(c))).join(' | ')} |`);
  return lines.join('\n');
}

/** ITEMS rotated by R, so each round starts with a different init (no fixed order bias). */
export function rotate(items, r) {
  const k = items.length ? r % items.length : 0;
  return items.slice(k).concat(items.slice(0, k));
}
