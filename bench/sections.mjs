// The nine benchmark sections. Each takes the run context and returns
// { key, title, markdown, data, notes }. Every section measures all inits in the same run,
// interleaved: round r visits the inits in an order rotated by r.
import { readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import {
  launch, stop, waitForChild, waitForStdout, readMemory, readCpu, run, sleep, deadline,
  median, quantile, ratio, fmt, fmtRatio, table, rotate, tail,
} from './lib.mjs';

const FLOOR = 'node-floor';
/** The Node floor with its child in a session of its own (node-floor.mjs --setsid): the other session layout. */
const FLOOR_SETSID = 'node-floor-setsid';
/** Inits known not to reap (the Node floors): the reaping section gives them little time to show it. */
const NEVER_REAPS = new Set([FLOOR, FLOOR_SETSID]);
/** The floor an init is compared with: the single executable with the Node floor on the Node release inside it. */
const floorOf = (name) => (name === 'gracie-sea' || name === 'node-floor-sea' ? 'node-floor-sea' : FLOOR);
const MODES = [{ key: 'host', label: 'not PID 1', pid1: false }, { key: 'pid1', label: 'PID 1', pid1: true }];

/** The argv prefix of INIT (everything up to and including `--`). */
function initArgv(init, pid1, extra = []) {
  return pid1 ? init.pid1(extra) : init.host(extra);
}

// ---------------------------------------------------------------------------------------------
// 1. start-up + exit overhead

export async function startup(ctx) {
  const { quick, tmp, tools } = ctx;
  const rounds = quick ? 2 : 5, runs = quick ? 8 : 10, warmup = quick ? 1 : 3;
  const cmds = [{ name: '/bin/true (direct)', argv: ['/bin/true'] }];
  for (const i of ctx.inits) cmds.push({ name: i.name, argv: [...i.host([]), '/bin/true'] });
  if (ctx.gracieExec) {
    cmds.push({ name: 'gracie (bin run as a program, via /bin/sh)', argv: [ctx.gracieExec, '--', '/bin/true'], extra: true });
  }
  if (ctx.sea) cmds.push({ name: `node ${ctx.sea.version} -e 0`, argv: [ctx.sea.node, '-e', '0'], extra: true, floor: 'node-floor-sea' });
  const times = new Map(cmds.map((c) => [c.name, []]));
  const cpu = new Map(cmds.map((c) => [c.name, []]));
  const errors = {};
  const json = join(tmp, 'hyperfine.json');
  for (let r = 0; r < rounds; r++) {
    for (const c of rotate(cmds, r)) {
      if (errors[c.name]) continue;
      ctx.progress(`startup: round ${r + 1}/${rounds} ${c.name}`);
      const res = await run(tools.hyperfine, ['-N', '--warmup', String(warmup), '--runs', String(runs),
        '--style', 'none', '--export-json', json, '--command-name', c.name, c.argv.map(shellQuote).join(' ')]);
      if (res.code !== 0) { errors[c.name] = res.stderr.trim().split('\n').slice(-3).join(' '); continue; }
      const h = JSON.parse(readFileSync(json, 'utf8')).results[0];
      times.get(c.name).push(...h.times.map((s) => s * 1000));
      cpu.get(c.name).push((h.user + h.system) * 1000);
    }
  }
  const base = median(times.get(cmds[0].name));
  const data = {};
  for (const c of cmds) {
    const med = median(times.get(c.name));
    data[c.name] = {
      runs: times.get(c.name).length, medianMs: med, overheadMs: med == null ? null : med - base,
      p90Ms: quantile(times.get(c.name), 0.9), cpuMs: median(cpu.get(c.name)), error: errors[c.name] ?? null,
    };
  }
  const rows = cmds.map((c) => {
    const d = data[c.name];
    d.vsFloor = c.name === cmds[0].name ? null : ratio(d.overheadMs, data[c.floor ?? floorOf(c.name)]?.overheadMs);
    return [c.name, d.runs, fmt(d.medianMs, ' ms'), c.name === cmds[0].name ? '(baseline)' : fmt(d.overheadMs, ' ms'),
      fmtRatio(d.vsFloor), fmt(d.cpuMs, ' ms'), d.error ? `FAILED: ${d.error}` : ''];
  });
  return {
    key: 'startup', title: '1. Start-up + exit overhead (`INIT -- /bin/true` minus `/bin/true`)',
    markdown: table(['command', 'runs', 'median wall', 'overhead', 'overhead vs node-floor', 'user+sys (mean)', ''], rows),
    data,
    notes: [`hyperfine -N, ${rounds} interleaved rounds × ${runs} runs (warm-up ${warmup} per round); not PID 1.`,
      ...(ctx.sea ? [`gracie-sea is the single executable (Node ${ctx.sea.version} inside), compared with node-floor-sea, the Node floor on that release; \`node ${ctx.sea.version} -e 0\` is the bare start of that Node, the moonshot's bar.`] : [])],
  };
}

function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// 2. idle memory with a sleeping child

export async function memory(ctx) {
  const rounds = ctx.quick ? 1 : 3, settleMs = ctx.quick ? 500 : 1000;
  const samples = {};
  const errors = {};
  // the FFI references (the Node floor with koffi, with a C addon) take their turns with the inits
  const measured = [...ctx.inits, ...(ctx.memoryReferences ?? [])];
  for (const m of MODES) {
    for (let r = 0; r < rounds; r++) {
      for (const init of rotate(measured, r)) {
        const key = `${init.name}|${m.key}`;
        ctx.progress(`memory: ${m.label} round ${r + 1}/${rounds} ${init.name}`);
        const l = await launch([...initArgv(init, m.pid1), '/bin/sleep', '1000'], { pid1: m.pid1 });
        try {
          await waitForChild(l, 'sleep');
          await sleep(settleMs); // a benchmark may settle for a fixed time once the child is known to run
          (samples[key] ??= []).push(readMemory(l.initPid));
        } catch (e) {
          errors[key] = e.message;
        } finally {
          await stop(l);
        }
      }
    }
  }
  const data = {};
  const rows = [];
  for (const m of MODES) {
    for (const init of measured) {
      const floor = samples[`${floorOf(init.name)}|${m.key}`];
      const fAnon = floor && median(floor.map((s) => s.rssAnonKb));
      const fPss = floor && median(floor.map((s) => s.pssKb));
      const key = `${init.name}|${m.key}`;
      const s = samples[key] ?? [];
      const d = {
        mode: m.key, samples: s.length,
        rssAnonKb: median(s.map((x) => x.rssAnonKb)), pssKb: median(s.map((x) => x.pssKb)),
        pssAnonKb: median(s.map((x) => x.pssAnonKb)), rssKb: median(s.map((x) => x.rssKb)),
        threads: median(s.map((x) => x.threads)), error: errors[key] ?? null,
      };
      d.rssAnonVsFloor = ratio(d.rssAnonKb, fAnon);
      d.pssVsFloor = ratio(d.pssKb, fPss);
      data[key] = d;
      rows.push([init.name, m.label, fmt(kbToMib(d.rssAnonKb), ' MiB'), fmt(kbToMib(d.pssKb), ' MiB'), fmt(kbToMib(d.pssAnonKb), ' MiB'),
        fmt(kbToMib(d.rssKb), ' MiB'), fmt(d.threads), fmtRatio(d.rssAnonVsFloor), fmtRatio(d.pssVsFloor),
        d.error ? `FAILED: ${d.error}` : '']);
    }
  }
  return {
    key: 'memory', title: '2. Idle memory with a sleeping child',
    markdown: table(['init', 'mode', 'RssAnon', 'PSS', 'PSS anon', 'VmRSS', 'threads', 'RssAnon vs floor', 'PSS vs floor', ''], rows),
    data,
    notes: [`\`INIT -- /bin/sleep 1000\`; sampled ${settleMs} ms after the sleep child exists; median of ${rounds} round(s).`,
      'PSS splits shared pages among the processes mapping them, so the file-backed part of a Node init\'s PSS shrinks when more `node` processes run on the machine (the harness is one): compare PSS within a run; PSS anon and RssAnon are the steady figures.',
      ...(ctx.memoryReferences?.length ? ['References, not inits: `node-floor + koffi` is the Node floor with gracie\'s own libc layer (src/libc.ts, koffi) preloaded, `node-floor + C addon` the floor with bench/ffi-addon.c, a minimal N-API addon with the same calls; each makes itself a subreaper and reaps once. Their excess over the floor is the price of FFI alone; gracie\'s excess over `node-floor + koffi` is gracie\'s own.'] : [])],
  };
}

const kbToMib = (kb) => (kb == null ? null : kb / 1024);

// ---------------------------------------------------------------------------------------------
// 3. signal forwarding latency

export async function latency(ctx) {
  // Many short launches rather than a few long ones: a launch's own luck (CPU placement, memory layout) moves its
  // p50 by a few per cent, and that, not the signal count, is what limits the figure (docs/benchmarks.md).
  const total = ctx.quick ? 200 : 2000;
  const rounds = ctx.quick ? 1 : 16;
  const per = Math.ceil(total / rounds);
  const gapUs = 1000;
  const lat = {}, perLaunch = {}, lost = {}, errors = {};
  for (const m of MODES) {
    for (let r = 0; r < rounds; r++) {
      for (const init of rotate(ctx.inits, r)) {
        const key = `${init.name}|${m.key}`;
        if (errors[key]) continue;
        ctx.progress(`latency: ${m.label} round ${r + 1}/${rounds} ${init.name}`);
        const fifo = join(ctx.tmp, `lat-${r}.fifo`);
        rmSync(fifo, { force: true });
        const mk = await run('mkfifo', [fifo]);
        if (mk.code !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
        const l = await launch([...initArgv(init, m.pid1), ctx.bins.sigchild, 'lat', fifo], { pid1: m.pid1 });
        try {
          const res = await run(ctx.bins.sigsend, ['lat', String(l.initPid), '12', String(per), fifo, String(gapUs)], { timeoutMs: 60000 });
          if (res.code !== 0) throw new Error(`sigsend: ${res.stderr.trim()}${tail(l.stderr)}`);
          const j = JSON.parse(res.stdout);
          const us = j.lat_ns.map((ns) => ns / 1000);
          (lat[key] ??= []).push(...us);
          (perLaunch[key] ??= [])[r] = median(us);
          lost[key] = (lost[key] ?? 0) + j.lost;
        } catch (e) {
          errors[key] = e.message;
        } finally {
          const ex = await stop(l);
          if (ex.killed) errors[key] ??= 'did not exit on SIGTERM after the run (SIGKILLed)';
        }
      }
    }
  }
  const data = {};
  const rows = [];
  for (const m of MODES) {
    const floorP50 = median(lat[`${FLOOR}|${m.key}`] ?? []);
    const setsidP50 = median(lat[`${FLOOR_SETSID}|${m.key}`] ?? []);
    for (const init of ctx.inits) {
      const key = `${init.name}|${m.key}`;
      const v = lat[key] ?? [];
      const d = {
        mode: m.key, received: v.length, lost: lost[key] ?? 0,
        p50Us: quantile(v, 0.5), p90Us: quantile(v, 0.9), p99Us: quantile(v, 0.99), maxUs: quantile(v, 1),
        error: errors[key] ?? null,
      };
      d.p50VsFloor = ratio(d.p50Us, floorP50);
      d.launchVsFloor = launchRatios(perLaunch[key], perLaunch[`${FLOOR}|${m.key}`]);
      d.p50VsFloorSetsid = ratio(d.p50Us, setsidP50);
      data[key] = d;
      rows.push([init.name, m.label, d.received, d.lost, fmt(d.p50Us, ' µs'), fmt(d.p90Us, ' µs'),
        fmt(d.p99Us, ' µs'), fmtRatio(d.p50VsFloor), fmtSpread(d.launchVsFloor), fmtRatio(d.p50VsFloorSetsid), d.error ? `FAILED: ${d.error}` : '']);
    }
  }
  let multi;
  try {
    multi = await latencyAllAlive(ctx);
  } catch (e) { // the first method's figures stand on their own
    multi = { markdown: `**All targets alive: failed:** ${e.stack ?? e}`, data: {}, notes: [] };
  }
  Object.assign(data, multi.data);
  return {
    key: 'latency', title: '3. Signal forwarding latency (sender stamp → child stamp)',
    markdown: [
      `**One at a time** (SIGUSR2 to one init, ping-pong: the child's handler stamps and answers through a FIFO before the next signal)`,
      '',
      table(['init', 'mode', 'signals', 'lost', 'p50', 'p90', 'p99', 'p50 vs floor', 'per launch vs floor', 'p50 vs node-floor-setsid', ''], rows),
      '',
      multi.markdown,
    ].join('\n'),
    data,
    notes: [`One at a time: ${total} signals per init and mode in ${rounds} interleaved round(s) (a launch each), one in flight at a time, ${gapUs} µs idle between them; CLOCK_MONOTONIC on both sides.`,
      'p50 vs floor: pooled over every launch. Per launch vs floor: the lowest and highest of the launch-by-launch ratios (each launch against the floor\'s launch of the same round), the spread a single launch would show.',
      ...multi.notes,
      'not PID 1: tini runs with -s (as a subreaper); dumb-init forwards to the child\'s process group (its default setsid mode); catatonit registers as subreaper by itself.'],
  };
}

/** Launch-by-launch p50 ratios against the floor's p50 in the same launch (or round), where both have one. */
function launchRatios(mine = [], floor = []) {
  return mine.flatMap((p50, i) => (p50 != null && floor[i] ? [p50 / floor[i]] : []));
}

/** "0.93–0.99×": the lowest and highest of launch-by-launch ratios. */
function fmtSpread(ratios) {
  if (!ratios?.length) return '—';
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
}

/** Whether this host schedules sessions as groups: kernel.sched_autogroup_enabled and this process's cpu cgroup. */
function autogroupNote() {
  let enabled = null, cpuCgroup = null;
  try { enabled = readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1'; } catch { /* no autogroup support */ }
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
    const line = lines.find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l)) ?? lines.find((l) => l.startsWith('0::'));
    cpuCgroup = line ? line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1) : null;
  } catch { /* no cgroups */ }
  const root = cpuCgroup === '/';
  return `this host: autogroup ${enabled == null ? 'unsupported' : enabled ? 'on' : 'off'}, cpu cgroup ${cpuCgroup ?? 'unknown'}` +
    (enabled && root ? ', so sessions are scheduled as groups here' : ', so not here');
}

/**
 * Section 3's second method: every init under test and a "direct" target (the child with no init) alive at once;
 * each round signals every target once, in an order shuffled per round, 1-2 ms apart, SIGHUP and SIGUSR2 in
 * turn (bench/sigsend.c multi); each child takes them with sigwaitinfo and stamps them into its own
 * shared-memory file (bench/sigchild.c wait, bench/multi-shm.h).
 */
async function latencyAllAlive(ctx) {
  // 6 launches of 1,000 rounds, not 2 of 2,000: the same time, and a launch's own luck averages out (see latency())
  const signalRounds = ctx.quick ? 200 : 1000, reps = ctx.quick ? 1 : 6;
  const DIRECT = 'direct';
  const targets = [...ctx.inits, { name: DIRECT, direct: true }];
  // struct multi_shm is 64 bytes, struct multi_rec 16: room for every receipt of a launch, and some
  const shmBytes = 64 + (signalRounds + 64) * 16;
  const lat = {}, perLaunch = {}, sent = {}, lost = {}, extra = {}, launches = {}, errors = {}, seeds = [];
  for (const m of MODES) {
    for (let r = 0; r < reps; r++) {
      ctx.progress(`latency (all targets alive): ${m.label} round ${r + 1}/${reps}`);
      const alive = [];
      try {
        for (const t of rotate(targets, r)) {
          const key = `${t.name}|${m.key}`;
          if (errors[key]) continue;
          const shm = join(ctx.tmp, `multi-${t.name.replace(/[^\w.-]/g, '_')}.shm`);
          writeFileSync(shm, Buffer.alloc(shmBytes));
          const child = [ctx.bins.sigchild, 'wait', shm];
          try {
            alive.push({ t, key, shm, l: await launch(t.direct ? child : [...initArgv(t, m.pid1), ...child], { pid1: m.pid1 }) });
          } catch (e) { errors[key] = e.message; }
        }
        if (alive.length === 0) continue;
        const seed = Math.floor(Math.random() * 2 ** 48);
        seeds.push(seed);
        const res = await run(ctx.bins.sigsend, ['multi', String(signalRounds), String(seed), ...alive.flatMap((a) => [String(a.l.initPid), a.shm])],
          { timeoutMs: 60000 + signalRounds * alive.length * 3 });
        if (res.code !== 0) {
          // the sender names the targets that never got ready; without a name, the launch failed for all
          const named = alive.filter((a) => res.stderr.includes(`(${a.shm})`));
          for (const a of named.length ? named : alive) errors[a.key] ??= `sigsend: ${res.stderr.trim()}${tail(a.l.stderr)}`;
          continue;
        }
        const j = JSON.parse(res.stdout);
        j.targets.forEach((o, i) => {
          const { key } = alive[i];
          const us = o.lat_ns.map((ns) => ns / 1000);
          (lat[key] ??= []).push(...us);
          (perLaunch[key] ??= [])[r] = median(us);
          sent[key] = (sent[key] ?? 0) + o.sent;
          lost[key] = (lost[key] ?? 0) + o.lost + o.kill_errors;
          extra[key] = (extra[key] ?? 0) + o.extra + o.overflow;
          launches[key] = (launches[key] ?? 0) + 1;
          if (o.kill_errors) errors[key] ??= `kill() failed ${o.kill_errors}× (target gone)${tail(alive[i].l.stderr)}`;
        });
      } finally {
        await Promise.all(alive.map(async (a) => {
          if (a.t.direct && m.pid1) {
            // a PID 1 ignores a SIGTERM it has no handler for: the direct target as PID 1 only ends by SIGKILL,
            // sent to it alone first so that unshare reaps it (killing both at once leaves the host's init a zombie)
            try { process.kill(a.l.initPid, 'SIGKILL'); } catch { /* gone */ }
            await Promise.race([a.l.exited, deadline(1000)]);
          }
          const ex = await (a.t.direct && m.pid1 ? stop(a.l, 1000, 'SIGKILL') : stop(a.l));
          if (ex.killed) errors[a.key] ??= 'did not exit on SIGTERM after the run (SIGKILLed)';
        }));
      }
    }
  }
  const data = {};
  const rows = [];
  for (const m of MODES) {
    const p50 = (name) => median(lat[`${name}|${m.key}`] ?? []);
    for (const t of targets) {
      const key = `${t.name}|${m.key}`;
      const v = lat[key] ?? [];
      const d = {
        method: 'all targets alive', target: t.name, mode: m.key, launches: launches[key] ?? 0, sent: sent[key] ?? 0,
        received: v.length, lost: lost[key] ?? 0, extra: extra[key] ?? 0,
        p50Us: quantile(v, 0.5), p90Us: quantile(v, 0.9), p99Us: quantile(v, 0.99), maxUs: quantile(v, 1),
        error: errors[key] ?? null,
      };
      d.p50VsFloor = ratio(d.p50Us, p50(floorOf(t.name)));
      d.launchVsFloor = launchRatios(perLaunch[key], perLaunch[`${floorOf(t.name)}|${m.key}`]);
      d.p50VsFloorSetsid = ratio(d.p50Us, p50(FLOOR_SETSID));
      data[`multi|${key}`] = d;
      rows.push([t.direct ? 'direct (no init)' : t.name, m.label, d.received, d.lost, fmt(d.p50Us, ' µs'), fmt(d.p90Us, ' µs'),
        fmt(d.p99Us, ' µs'), fmtRatio(d.p50VsFloor), fmtSpread(d.launchVsFloor), fmtRatio(d.p50VsFloorSetsid),
        (d.extra ? `${d.extra} unmatched receipt(s) ` : '') + (d.error ? `FAILED: ${d.error}` : '')]);
    }
  }
  const autogroup = autogroupNote();
  data['multi|meta'] = { autogroup, signalRounds, launchesPerMode: reps, seeds, gapUs: [1000, 2000], signals: ['SIGHUP', 'SIGUSR2'] };
  return {
    markdown: [
      `**All targets alive** (every init and the child without one at once; SIGHUP / SIGUSR2 in turn, random order, 1–2 ms apart; the child stamps when sigwaitinfo returns)`,
      '',
      table(['init', 'mode', 'signals received', 'lost', 'p50', 'p90', 'p99', 'p50 vs node-floor (same session)', 'per launch vs floor', 'p50 vs node-floor-setsid', ''], rows),
    ].join('\n'),
    data,
    notes: [`All targets alive: every init runs at once with its own child (\`INIT -- sigchild wait SHM\`, SIGHUP and SIGUSR2 blocked and taken with sigwaitinfo), beside "direct", the same child with no init (the kernel's own delivery; as PID 1 it is PID 1 of its own namespace). Each of ${signalRounds} rounds signals every target once in an order shuffled per round, each kill() 1–2 ms (uniform) after the one before, SIGHUP and SIGUSR2 in turn from round to round; ${reps} launch(es) of everything per mode, pooled. Receipts are matched to sends per target and signal number, in order; a send whose signal never came is lost.`,
      `Session layouts: gracie keeps its child in its own session (a new process group only, as tini and catatonit do), like node-floor (whose child shares its process group too); node-floor-setsid (node-floor.mjs --setsid, a detached spawn) and dumb-init give the child a session of its own. On a host with kernel.sched_autogroup_enabled=1 and processes in the root cpu cgroup the kernel schedules each session as a group, so the layout can move the child's wake-up latency: compare each init with the floor of its own layout (${autogroup}).`],
  };
}

// ---------------------------------------------------------------------------------------------
// 4. reaping as PID 1

export async function reaping(ctx) {
  const bursts = ctx.quick ? [[1000, 1], [10000, 1]] : [[1000, 5], [10000, 3]];
  // Two streams of 10,000 orphans (issue 14's figure): one double-fork at a time, and a flood that does not wait
  // for each intermediate, so orphans land on PID 1 faster than one at a time.
  const streams = [
    { key: 'stream', label: 'stream', n: ctx.quick ? 500 : 10000, reps: ctx.quick ? 1 : 7 },
    { key: 'flood', label: 'flood', n: ctx.quick ? 500 : 10000, reps: ctx.quick ? 1 : 7 },
  ];
  const res = {}, errors = {}, noReap = new Set();
  const out = join(ctx.tmp, 'orphans.json');
  const once = async (init, args, timeoutMs) => {
    rmSync(out, { force: true });
    const l = await launch([...initArgv(init, true), ctx.bins.orphans, ...args, out, String(timeoutMs)], { pid1: true });
    const ex = await Promise.race([l.exited, deadline(timeoutMs + 60000)]);
    if (!ex) { await stop(l, 100); throw new Error(`${args[0]}: init did not exit after its child ended${tail(l.stderr)}`); }
    let j;
    try { j = JSON.parse(readFileSync(out, 'utf8')); } catch { throw new Error(`${args[0]}: no result (exit ${JSON.stringify(ex)})${tail(l.stderr)}`); }
    if (j.ppid !== 1) throw new Error(`driver's parent is ${j.ppid}, not PID 1`);
    return j;
  };
  for (const [n, reps] of bursts) {
    for (let r = 0; r < reps; r++) {
      for (const init of rotate(ctx.inits, r)) {
        const key = `${init.name}|${n}`;
        if (errors[key] || noReap.has(init.name)) continue;
        ctx.progress(`reaping: burst ${n} rep ${r + 1}/${reps} ${init.name}`);
        try {
          // the Node floor does not reap: give it 1 s to show that, not more
          const j = await once(init, ['burst', String(n)], NEVER_REAPS.has(init.name) ? 1000 : 10000);
          (res[key] ??= []).push(j);
          if (j.timeout) noReap.add(init.name);
        } catch (e) { errors[key] = e.message; }
      }
    }
  }
  for (const stream of streams) {
    for (let r = 0; r < stream.reps; r++) {
      for (const init of rotate(ctx.inits, r)) {
        const key = `${init.name}|${stream.key}`;
        if (errors[key]) continue;
        ctx.progress(`reaping: ${stream.label} ${stream.n} rep ${r + 1}/${stream.reps} ${init.name}`);
        try {
          (res[key] ??= []).push(await once(init, [stream.key, String(stream.n)], NEVER_REAPS.has(init.name) || noReap.has(init.name) ? 500 : 5000));
        } catch (e) { errors[key] = e.message; }
      }
    }
  }
  const data = {};
  const burstMs = (name, n) => {
    const v = res[`${name}|${n}`] ?? [];
    if (v.some((j) => j.timeout)) return Infinity;
    return median(v.map((j) => j.reap_ms));
  };
  const tini1k = burstMs('tini', 1000), tini10k = burstMs('tini', 10000);
  const rows = [];
  const srows = Object.fromEntries(streams.map((s) => [s.key, []]));
  for (const init of ctx.inits) {
    const t1 = burstMs(init.name, 1000), t10 = burstMs(init.name, 10000);
    const never = noReap.has(init.name);
    const d = {
      burst1kMs: never ? null : t1, burst10kMs: never ? null : t10, reaps: !never,
      perOrphan1kUs: never ? null : t1 * 1000 / 1000, perOrphan10kUs: never ? null : t10 * 1000 / 10000,
      vsTini1k: never ? null : ratio(t1, tini1k), vsTini10k: never ? null : ratio(t10, tini10k),
      runs: { burst1k: res[`${init.name}|1000`] ?? [], burst10k: res[`${init.name}|10000`] ?? [],
        ...Object.fromEntries(streams.map((s) => [s.key, res[`${init.name}|${s.key}`] ?? []])) },
      errors: Object.fromEntries(Object.entries(errors).filter(([k]) => k.startsWith(`${init.name}|`))),
    };
    d.scaling = never ? null : ratio(d.perOrphan10kUs, d.perOrphan1kUs);
    for (const stream of streams) {
      const st = res[`${init.name}|${stream.key}`] ?? [];
      d[stream.key] = {
        n: stream.n, runs: st.length, streamMs: median(st.map((j) => j.stream_ms)),
        peakZombies: median(st.map((j) => j.peak_zombies)), maxPeak: st.length ? Math.max(...st.map((j) => j.peak_zombies)) : null,
        meanZombies: median(st.map((j) => j.mean_zombies)), drainMs: median(st.map((j) => j.drain_ms)),
        leftAfter: st.length ? Math.max(...st.map((j) => j.zombies_left)) : null,
        // PID 1's utime + stime over the run, in clock ticks (10 ms): per orphan, a rough figure
        cpuPerOrphanUs: median(st.filter((j) => j.init_cpu_ms >= 0).map((j) => (j.init_cpu_ms * 1000) / j.made)),
      };
    }
    data[init.name] = d;
    const err = Object.values(d.errors).join('; ');
    const n1 = d.runs.burst1k.length, n10 = d.runs.burst10k.length;
    rows.push(never
      ? [init.name, 'never (no reaping)', n10 ? 'never' : 'skipped', '—', '—', '—', '—', '—', err ? `FAILED: ${err}` : '']
      : [init.name, `${fmt(t1, ' ms')} (${n1})`, `${fmt(t10, ' ms')} (${n10})`, fmt(d.perOrphan1kUs, ' µs'), fmt(d.perOrphan10kUs, ' µs'),
        fmtRatio(d.scaling), fmtRatio(d.vsTini1k), fmtRatio(d.vsTini10k), err ? `FAILED: ${err}` : '']);
  }
  for (const init of ctx.inits) {
    for (const stream of streams) {
      const ds = data[init.name][stream.key];
      srows[stream.key].push([init.name, ds.runs, fmt(ds.streamMs, ' ms'), fmt(ds.peakZombies), fmt(ds.maxPeak),
        fmtRatio(ratio(ds.peakZombies, data.tini?.[stream.key]?.peakZombies)), fmt(ds.meanZombies), fmt(ds.cpuPerOrphanUs, ' µs'),
        ds.leftAfter > 0 ? `never (${ds.leftAfter} left)` : fmt(ds.drainMs, ' ms')]);
    }
  }
  return {
    key: 'reaping', title: '4. Reaping as PID 1',
    markdown: [
      '**Burst: N orphan zombies handed to PID 1 at once → time until none is left** (median; runs in parentheses)',
      '',
      table(['init', '1k', '10k', 'per orphan (1k)', 'per orphan (10k)', 'per-orphan 10k ÷ 1k', '1k vs tini', '10k vs tini', ''], rows),
      '',
      ...streams.flatMap((stream) => [
        stream.key === 'stream'
          ? `**Stream: ${stream.n} double-forked orphans exiting as fast as they can be made, one double-fork at a time → zombies of PID 1 (sampled every ~0.5 ms)**`
          : `**Flood: ${stream.n} double-forked orphans, the intermediates not waited for one by one → zombies of PID 1 (sampled every ~0.5 ms)**`,
        '',
        table(['init', 'runs', 'took', 'peak zombies (median)', 'peak (max)', 'peak vs tini', 'mean zombies', 'PID 1 CPU per orphan', 'zero after it'], srows[stream.key]),
        '',
      ]),
    ].join('\n'),
    data,
    notes: ['Measured inside the namespace by the init\'s own child (bench/orphans.c): the burst by kill(pid, 0) over the N pids (a zombie still exists, a reaped pid does not), confirmed by a /proc scan; the streams by scanning /proc. PID 1 CPU per orphan: its utime + stime over the whole run (10 ms clock ticks) over the orphans made.'],
  };
}

// ---------------------------------------------------------------------------------------------
// 5. idle cost

export async function idle(ctx) {
  const windowMs = ctx.quick ? 3000 : 10000, settleMs = ctx.quick ? 1000 : 2000;
  ctx.progress(`idle: all inits at once, both modes, ${windowMs / 1000} s window`);
  const runs = [];
  try {
    for (const m of MODES) {
      for (const init of ctx.inits) {
        const l = await launch([...initArgv(init, m.pid1), '/bin/sleep', '1000'], { pid1: m.pid1 });
        runs.push({ init, m, l, startedAt: Date.now(), active: [] });
      }
    }
    for (const r of runs) {
      try { await waitForChild(r.l, 'sleep'); } catch (e) { r.error = e.message; }
    }
    await sleep(settleMs);
    for (const r of runs) r.before = r.prev = r.error ? null : readCpu(r.l.initPid);
    // one look a second, to tell a one-off wake-up (a late GC) from a periodic one (a timer)
    for (let t = 0; t < windowMs; t += 1000) {
      await sleep(Math.min(1000, windowMs - t));
      for (const r of runs) {
        if (!r.prev) continue;
        const now = readCpu(r.l.initPid);
        if (now && now.ctx > r.prev.ctx) r.active.push(Math.round((Date.now() - r.startedAt) / 1000));
        r.after = r.prev = now;
      }
    }
  } finally {
    await Promise.all(runs.map((r) => stop(r.l)));
  }
  const data = {};
  const rows = runs.map(({ init, m, before, after, error, active }) => {
    const d = before && after ? {
      mode: m.key, windowMs, cpuMs: after.cpuMs - before.cpuMs,
      tickMs: after.tickMs - before.tickMs, voluntary: after.vol - before.vol, nonvoluntary: after.nonvol - before.nonvol,
      ctx: after.ctx - before.ctx, threads: after.threads, activeSeconds: active,
    } : { mode: m.key, error: error ?? 'init gone' };
    data[`${init.name}|${m.key}`] = d;
    const when = !d.activeSeconds ? '—' : d.activeSeconds.length === 0 ? 'never'
      : d.activeSeconds.length >= windowMs / 1000 - 1 ? 'every second'
        : d.activeSeconds.length > 6 ? `${d.activeSeconds.length} of ${windowMs / 1000} s` : `${d.activeSeconds.join(', ')} s`;
    return [init.name, m.label, fmt(d.cpuMs, ' ms'), fmt(d.tickMs, ' ms'), d.ctx ?? '—',
      d.ctx == null ? '—' : fmt(d.ctx / (windowMs / 1000), '/s'), when, d.threads ?? '—', d.error ? `FAILED: ${d.error}` : ''];
  });
  return {
    key: 'idle', title: `5. Idle cost over ${windowMs / 1000} s (init process alone, all threads)`,
    markdown: table(['init', 'mode', 'CPU (schedstat)', 'utime+stime', 'context switches', 'per second', 'awake in second (after start)', 'threads', ''], rows),
    data,
    notes: [`All inits idle side by side (\`INIT -- /bin/sleep 1000\`), measured over the same window, from ${settleMs / 1000} s to ${(settleMs + windowMs) / 1000} s after start. CPU from /proc/PID/task/*/schedstat (ns), utime+stime from /proc/PID/stat (clock ticks); context switches = voluntary + nonvoluntary summed over /proc/PID/task/*/status. "Awake" lists the seconds (counted from the init's start) in which it switched at all: a periodic timer shows as every second, a one-off (V8's memory reducer runs a GC about 8 s after a start-up that allocated enough to collect) as one or two.`],
  };
}

// ---------------------------------------------------------------------------------------------
// 6. signal storm

export async function storm(ctx) {
  const n = 20000, stallMs = 300;
  const variants = [
    // 9 runs: an init's CPU over a storm follows how fast the sender gets the 20,000 signals out (15-40 ms on a
    // busy host), and with 5 runs the median moved by a third from run to run
    { key: 'plain', label: 'storm', reps: ctx.quick ? 1 : 9 },
    // The same storm while the init's main thread is held stopped: the event loop cannot run, as when it
    // is stuck in a synchronous write to a full stderr pipe or a long GC pause.
    { key: 'stalled', label: `storm, main thread stalled ${stallMs} ms`, reps: ctx.quick ? 1 : 2, stallMs },
  ];
  const modes = (v) => (ctx.quick && v.key === 'stalled' ? MODES.slice(0, 1) : MODES);
  const res = {}, errors = {};
  const shm = join(ctx.tmp, 'storm.shm');
  for (const v of variants) {
    for (const m of modes(v)) {
      for (let r = 0; r < v.reps; r++) {
        for (const init of rotate(ctx.inits, r)) {
          const key = `${init.name}|${m.key}|${v.key}`;
          ctx.progress(`storm: ${v.label}, ${m.label}, rep ${r + 1}/${v.reps} ${init.name}`);
          writeFileSync(shm, Buffer.alloc(4096));
          const l = await launch([...initArgv(init, m.pid1), ctx.bins.sigchild, 'storm', shm], { pid1: m.pid1 });
          try {
            const args = v.stallMs
              ? ['stall-storm', String(l.initPid), String(n), shm, '200', String(v.stallMs)]
              : ['storm', String(l.initPid), String(n), shm, '200'];
            const out = await run(ctx.bins.sigsend, args, { timeoutMs: 60000 });
            if (out.code !== 0) throw new Error(`sigsend: ${out.stderr.trim()}${tail(l.stderr)}`);
            const j = JSON.parse(out.stdout);
            const ex = await Promise.race([l.exited, deadline(5000)]);
            j.exit = ex ? (ex.code ?? `signal ${ex.signal}`) : 'hung (SIGKILLed after 5 s)';
            if (!ex) await stop(l, 100, 'SIGKILL');
            if (!j.init_alive || !j.term_received) j.stderrTail = l.stderr.slice(-600);
            (res[key] ??= []).push(j);
          } catch (e) {
            errors[key] = e.message;
            await stop(l, 1000);
          }
        }
      }
    }
  }
  const data = {};
  const tables = [];
  for (const v of variants) {
    const rows = [];
    for (const m of modes(v)) {
      for (const init of ctx.inits) {
        const key = `${init.name}|${m.key}|${v.key}`;
        const runs = res[key] ?? [];
        const d = {
          mode: m.key, variant: v.key, reps: runs.length, survived: runs.length > 0 && runs.every((j) => j.init_alive),
          receivedMedian: median(runs.map((j) => j.received)), sendMs: median(runs.map((j) => j.send_ms)),
          drainMs: median(runs.map((j) => j.drain_ms)), cpuMs: median(runs.map((j) => j.init_cpu_ms)),
          ctx: median(runs.map((j) => j.init_ctx)), termReceived: runs.filter((j) => j.term_received).length,
          termDelayMs: median(runs.filter((j) => j.term_received).map((j) => j.term_delay_ms)),
          extraTerms: runs.filter((j) => j.term_count > 1).length,
          exits: runs.map((j) => j.exit), runs, error: errors[key] ?? null,
        };
        data[key] = d;
        rows.push([init.name, m.label, d.reps ? (d.survived ? 'yes' : '**NO**') : '—',
          `${fmt(d.receivedMedian)} / ${n}`, fmt(d.sendMs, ' ms'), fmt(d.drainMs, ' ms'), fmt(d.cpuMs, ' ms'),
          d.reps ? `${d.termReceived}/${d.reps}${d.termReceived < d.reps ? ' **LOST** (not within 2 s)' : ''}` : '—', fmt(d.termDelayMs, ' ms'),
          [...new Set(d.exits)].join(', '), (d.extraTerms ? `child got >1 SIGTERM in ${d.extraTerms} run(s) ` : '') + (d.error ? `FAILED: ${d.error}` : '')]);
      }
    }
    tables.push(`**${v.label[0].toUpperCase()}${v.label.slice(1)}** (${v.reps} rep(s) per init and mode)`, '',
      table(['init', 'mode', 'survived', 'child received', 'send took', 'drain after send', 'init CPU', 'SIGTERM reached child', 'SIGTERM delay', 'exit', ''], rows), '');
  }
  return {
    key: 'storm', title: `6. Signal storm: ${n} signals (SIGUSR1/SIGUSR2/SIGHUP/SIGWINCH in turn) as fast as possible, then one SIGTERM`,
    markdown: tables.join('\n').trimEnd(),
    data,
    notes: [`Standard signals coalesce while pending (in the kernel, for the init and again for the child), so far fewer than ${n} arrive with every init: the count shows how many forwards got through, not a loss. What must never be lost is the SIGTERM sent right after the storm. Drain = the child's last receipt minus the end of sending. Init CPU covers the storm and the drain.`,
      `Stalled: only the init's main thread is held in a ptrace stop (PTRACE_SEIZE + PTRACE_INTERRUPT on that one thread) from just before the first signal until ${stallMs} ms later. A single-threaded init keeps the signals pending in the kernel, which never loses a pending SIGTERM; in a Node init the kernel hands them to another thread, whose libuv handler queues each one in a pipe the stopped loop cannot drain (64 KiB, 4096 signals) and drops what does not fit; gracie widens that pipe to 1 MiB (65,536 signals) at start-up.`],
  };
}

// ---------------------------------------------------------------------------------------------
// 7. escalation accuracy

export async function escalation(ctx) {
  const reps = ctx.quick ? 1 : 5, budgetMs = 1000;
  const res = {}, errors = {};
  for (const m of MODES) {
    for (let r = 0; r < reps; r++) {
      for (const init of ctx.inits) {
        if (!init.stopTimeout) continue;
        const key = `${init.name}|${m.key}`;
        ctx.progress(`escalation: ${m.label} rep ${r + 1}/${reps} ${init.name}`);
        const l = await launch([...initArgv(init, m.pid1, ['--stop-timeout', '1s']), ctx.bins.sigchild, 'ignterm'], { pid1: m.pid1 });
        try {
          await waitForStdout(l, /^ready \d+$/m);
          const child = await waitForChild(l, 'sigchild');
          const out = await run(ctx.bins.sigsend, ['esc', String(l.initPid), String(child)], { timeoutMs: 30000 });
          if (out.code !== 0) throw new Error(`sigsend: ${out.stderr.trim()}`);
          const j = JSON.parse(out.stdout);
          const ex = await Promise.race([l.exited, deadline(5000)]);
          j.exit = ex ? (ex.code ?? `signal ${ex.signal}`) : 'hung';
          (res[key] ??= []).push(j);
        } catch (e) {
          errors[key] = e.message;
        } finally {
          await stop(l, 1000, 'SIGKILL');
        }
      }
    }
  }
  const data = {};
  const rows = [];
  for (const m of MODES) {
    for (const init of ctx.inits) {
      const key = `${init.name}|${m.key}`;
      if (!init.stopTimeout) {
        rows.push([init.name, m.label, 'n/a (no stop timeout option)', '', '', '', '']);
        data[key] = { mode: m.key, applicable: false };
        continue;
      }
      const v = res[key] ?? [];
      const dead = v.map((j) => j.child_dead_ms).filter((x) => x >= 0);
      const d = {
        mode: m.key, applicable: true, reps: v.length, childDeadMs: median(dead),
        errMs: median(dead.map((x) => x - budgetMs)), worstErrMs: dead.length ? Math.max(...dead.map((x) => Math.abs(x - budgetMs))) : null,
        initExitMs: median(v.map((j) => j.init_exit_ms).filter((x) => x >= 0)), childSurvived: v.length - dead.length,
        exits: v.map((j) => j.exit), error: errors[key] ?? null, runs: v,
      };
      data[key] = d;
      rows.push([init.name, m.label, `${fmt(d.childDeadMs, ' ms')} (${d.reps})`, fmt(d.errMs, ' ms'), fmt(d.worstErrMs, ' ms'),
        fmt(d.initExitMs, ' ms'), (d.childSurvived ? `child survived ${d.childSurvived}× ` : '') + [...new Set(d.exits)].join(', ') + (d.error ? ` FAILED: ${d.error}` : '')]);
    }
  }
  return {
    key: 'escalation', title: '7. Escalation accuracy: `--stop-timeout 1s`, child ignores SIGTERM; SIGTERM to the init → child dead',
    markdown: table(['init', 'mode', 'child dead after (median)', 'minus budget (median)', 'worst |error|', 'init exited after', 'exit'], rows),
    data,
    notes: ['Timed with pidfds (bench/sigsend.c esc): a pidfd turns readable when its process dies. Only gracie has a stop timeout; the peers leave escalation to the container runtime.'],
  };
}

// ---------------------------------------------------------------------------------------------
// 9. exit once the child is gone (issue 14): what a crash costs before the runtime sees the container end

export async function exit(ctx) {
  // 30 runs: the figure is ~3 ms for a Node init, and the kernel's teardown of it alone moves by ±0.3 ms
  const reps = ctx.quick ? 2 : 30;
  const res = {}, errors = {};
  for (const m of MODES) {
    for (let r = 0; r < reps; r++) {
      for (const init of rotate(ctx.inits, r)) {
        const key = `${init.name}|${m.key}`;
        ctx.progress(`exit: ${m.label} rep ${r + 1}/${reps} ${init.name}`);
        // Default logging: gracie writes its summary line ("child was killed by SIGKILL") on this path.
        const l = await launch([...initArgv(init, m.pid1), ctx.bins.sigchild, 'ignterm'], { pid1: m.pid1 });
        try {
          await waitForStdout(l, /^ready \d+$/m);
          const child = await waitForChild(l, 'sigchild');
          const out = await run(ctx.bins.sigsend, ['die', String(l.initPid), String(child)], { timeoutMs: 30000 });
          if (out.code !== 0) throw new Error(`sigsend: ${out.stderr.trim()}`);
          const j = JSON.parse(out.stdout);
          if (j.init_exit_ms >= 0) (res[key] ??= []).push(j.init_exit_ms - Math.max(j.child_dead_ms, 0));
          else errors[key] = 'the init did not exit within 15 s';
          await Promise.race([l.exited, deadline(5000)]);
        } catch (e) {
          errors[key] = e.message;
        } finally {
          await stop(l, 1000, 'SIGKILL');
        }
      }
    }
  }
  const data = {};
  const rows = [];
  for (const m of MODES) {
    for (const init of ctx.inits) {
      const key = `${init.name}|${m.key}`;
      const v = res[key] ?? [];
      data[key] = { mode: m.key, runs: v.length, medianMs: median(v), p90Ms: quantile(v, 0.9), maxMs: v.length ? Math.max(...v) : null, error: errors[key] ?? null };
    }
    for (const init of ctx.inits) {
      const d = data[`${init.name}|${m.key}`];
      const floor = data[`${floorOf(init.name)}|${m.key}`];
      rows.push([init.name, m.label, String(d.runs), fmt(d.medianMs, ' ms'), fmt(d.p90Ms, ' ms'), fmt(d.maxMs, ' ms'),
        fmtRatio(ratio(d.medianMs, floor?.medianMs)) + (d.error ? ` FAILED: ${d.error}` : '')]);
    }
  }
  return {
    key: 'exit', title: '9. Exit after the child: child SIGKILLed → init exited',
    markdown: table(['init', 'mode', 'runs', 'median', 'p90', 'max', 'median vs floor'], rows),
    data,
    notes: ['`INIT -- sigchild ignterm`, default options and logging (gracie writes its summary line, "child was killed by SIGKILL", on this path); bench/sigsend.c die opens pidfds on both, SIGKILLs the child and reports when each died: the figure is the init\'s death minus the child\'s.'],
  };
}

// ---------------------------------------------------------------------------------------------
// 8. what each init weighs in an image

export async function size(ctx) {
  const items = [];
  const add = (name, files, note) => items.push({ name, files: files.filter(Boolean), note });
  for (const peer of ['tini', 'dumb-init', 'catatonit']) if (ctx.tools[peer]) add(peer, [ctx.tools[peer]], 'one file');
  if (ctx.sea) add('gracie-sea', [ctx.sea.exe], `one file: Node ${ctx.sea.version}, gracie and koffi`);
  const npmFiles = (dir) => listFiles(join(ctx.root, dir));
  const koffi = [...npmFiles('node_modules/koffi'), ...npmFiles(`node_modules/@koromix/koffi-linux-${process.arch}`)];
  add('gracie (npm package)', [...npmFiles('bin'), ...npmFiles('dist').filter((f) => !f.includes('/dist/sea/')), ...koffi],
    'bin/, dist/ and koffi with its platform package, as `npm ci --omit=dev` installs them; plus a Node');
  add(`node ${process.version} (the machine's)`, [process.execPath], 'what gracie (npm package) and node-floor run on');
  const data = {};
  const rows = items.map(({ name, files, note }) => {
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of files) {
      const content = readFileSync(file);
      bytes += content.length;
      gzipBytes += gzipSync(content, { level: 6 }).length;
    }
    data[name] = { files: files.length, bytes, gzipBytes };
    return [name, String(files.length), fmt(bytes / 1e6, ' MB'), fmt(gzipBytes / 1e6, ' MB'), note];
  });
  return {
    key: 'size', title: '8. Size on disk',
    markdown: table(['init', 'files', 'bytes', 'gzip -6', ''], rows),
    data,
    notes: ['gzip -6 of each file, summed: roughly what an image layer holding it costs to pull.'],
  };
}

function listFiles(dir) {
  const out = [];
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

export const SECTIONS = { startup, memory, latency, reaping, idle, storm, escalation, size, exit };
