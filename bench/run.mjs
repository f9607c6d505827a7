#!/usr/bin/env node
// gracie's benchmark harness: gracie side by side with tini, dumb-init, catatonit and the Node floor
// (bench/node-floor.mjs), interleaved in one run. Prints a markdown table per section and writes
// bench/results/latest.json (+ latest.md). Installs nothing; says what is missing.
//
//   node bench/run.mjs [--quick] [--inits a,b,...] [--gracie PATH] [--out FILE] [--skip-missing] [section...]
//
// See docs/benchmarks.md for what each section measures.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, readFileSync, statSync, constants as fsc, accessSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { which, capture, killAll, run } from './lib.mjs';
import { SECTIONS } from './sections.mjs';
import { SEA_NODE_VERSION } from '../scripts/sea-node.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const ORDER = ['startup', 'memory', 'latency', 'reaping', 'idle', 'storm', 'escalation', 'size', 'exit'];
const NEEDS = {
  startup: ['hyperfine'], memory: ['unshare'], latency: ['gcc', 'unshare'], reaping: ['gcc', 'unshare'],
  idle: ['unshare'], storm: ['gcc', 'unshare'], escalation: ['gcc', 'unshare'], size: [], exit: ['gcc', 'unshare'],
};
const PACKAGE = { tini: 'tini', 'dumb-init': 'dumb-init', catatonit: 'catatonit', hyperfine: 'hyperfine', gcc: 'gcc', unshare: 'util-linux' };

const USAGE = `usage: node bench/run.mjs [options] [section...]

sections (default: all, in this order): ${ORDER.join(', ')} (or their numbers 1-9)

options:
  --quick            fewer iterations: a smoke test of every section (< 1 minute)
  --inits LIST       comma list among gracie,tini,dumb-init,catatonit,node-floor,node-floor-setsid, and
                     gracie-sea,node-floor-sea when dist/sea/ has the single executable (npm run build:sea)
                     (default: all); node-floor-setsid is the Node floor with its child in a session of its
                     own (node-floor.mjs --setsid), node-floor keeps it in the floor's session
  --gracie PATH      gracie's bin (default: $GRACIE_BIN or <repo>/bin/gracie.js), run as \`node PATH\`
  --out FILE         JSON results (default: bench/results/latest.json; the markdown goes beside it)
  --skip-missing     measure what is installed instead of stopping when a peer or tool is missing
  -h, --help         this text

needs: root (for unshare --pid), gcc, hyperfine, tini, dumb-init, catatonit.`;

function parseArgs(argv) {
  const o = { quick: false, sections: [], inits: null, gracie: process.env.GRACIE_BIN || join(ROOT, 'bin', 'gracie.js'),
    out: join(HERE, 'results', 'latest.json'), skipMissing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--skip-missing') o.skipMissing = true;
    else if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('--inits')) o.inits = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith('--gracie')) o.gracie = resolve(val());
    else if (a.startsWith('--out')) o.out = resolve(val());
    else if (/^[1-9]$/.test(a)) o.sections.push(ORDER[Number(a) - 1]);
    else if (ORDER.includes(a)) o.sections.push(a);
    else fail(`unknown argument '${a}'`);
  }
  if (o.sections.length === 0) o.sections = [...ORDER];
  o.sections = ORDER.filter((s) => o.sections.includes(s));
  return o;
}

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

function canExec(p) {
  try { accessSync(p, fsc.X_OK); return true; } catch { return false; }
}

/** The inits under test. Each gives its argv prefix (up to `--`) not as PID 1 and as PID 1. */
function defineInits(opts, tools) {
  const node = process.execPath;
  const floor = join(HERE, 'node-floor.mjs');
  return [
    { name: 'gracie', stopTimeout: true, path: opts.gracie,
      host: (x) => [node, opts.gracie, ...x, '--'], pid1: (x) => [node, opts.gracie, ...x, '--'] },
    // not PID 1, tini needs -s to reap (and warns without it); as PID 1 it needs nothing
    { name: 'tini', host: (x) => [tools.tini, '-s', ...x, '--'], pid1: (x) => [tools.tini, ...x, '--'] },
    { name: 'dumb-init', host: (x) => [tools['dumb-init'], ...x, '--'], pid1: (x) => [tools['dumb-init'], ...x, '--'] },
    { name: 'catatonit', host: (x) => [tools.catatonit, ...x, '--'], pid1: (x) => [tools.catatonit, ...x, '--'] },
    { name: 'node-floor', host: (x) => [node, floor, ...x, '--'], pid1: (x) => [node, floor, ...x, '--'] },
    // the same floor with its child in a session of its own (detached spawn, as dumb-init does): the other
    // session layout, for the latency section; node-floor stays "the floor" every ratio is taken against
    { name: 'node-floor-setsid', host: (x) => [node, floor, '--setsid', ...x, '--'], pid1: (x) => [node, floor, '--setsid', ...x, '--'] },
    // gracie's single executable (npm run build:sea), run as it is, and the Node floor on the Node release inside it:
    // present when built, and compared with each other (the executable's Node is not the machine's).
    ...(opts.sea ? [
      { name: 'gracie-sea', host: (x) => [opts.sea.exe, ...x, '--'], pid1: (x) => [opts.sea.exe, ...x, '--'] },
      { name: 'node-floor-sea', host: (x) => [opts.sea.node, floor, ...x, '--'], pid1: (x) => [opts.sea.node, floor, ...x, '--'] },
    ] : []),
  ];
}

/** The single executable for this machine and the Node release inside it, when `npm run build:sea` has run. */
function findSea() {
  const exe = join(ROOT, 'dist', 'sea', `gracie-linux-${process.arch}`);
  if (!canExec(exe)) return null;
  const dir = capture('bash', [join(ROOT, 'scripts', 'fetch-package.sh'), `node-linux-${process.arch}`, SEA_NODE_VERSION], { both: false });
  const node = dir && join(dir.trim(), 'bin', 'node');
  return node && canExec(node) ? { exe, node, version: SEA_NODE_VERSION } : null;
}

/**
 * Memory references for section 2: the Node floor with an FFI layer preloaded, to tell how much of a Node init's
 * memory is the price of calling libc. One preloads gracie's own src/libc.ts (bundled as gracie bundles it; koffi
 * loaded as gracie loads it), the other bench/ffi-addon.c, a minimal N-API addon with the same calls. Both make
 * the process a subreaper and reap once. They live in node_modules/.cache so that koffi resolves from there.
 */
async function buildFfiReferences(tools) {
  const node = process.execPath;
  const floor = join(HERE, 'node-floor.mjs');
  const dir = join(ROOT, 'node_modules', '.cache', 'gracie-bench');
  mkdirSync(dir, { recursive: true });
  const refs = [], problems = [];
  const asInit = (name, preload) => {
    const argv = (x) => [node, '--require', preload, floor, ...x, '--'];
    refs.push({ name, host: argv, pid1: argv });
  };
  try {
    const { buildSync } = await import('esbuild');
    buildSync({ entryPoints: [join(ROOT, 'src', 'libc.ts')], outfile: join(dir, 'libc.cjs'), bundle: true,
      platform: 'node', target: 'node20', format: 'cjs', external: ['koffi'], logLevel: 'silent' });
    writeFileSync(join(dir, 'koffi-preload.cjs'), "const libc = require('./libc.cjs').loadLibc();\n" +
      "if (typeof libc === 'string') throw new Error(libc);\nlibc.setChildSubreaper();\nlibc.reapOne();\n");
    asInit('node-floor + koffi', join(dir, 'koffi-preload.cjs'));
  } catch (e) {
    problems.push(`node-floor + koffi: cannot bundle src/libc.ts (${e.message.split('\n')[0]})`);
  }
  // Node-API is one ABI across Node versions: any Node's headers build an addon this Node loads
  const headerDirs = [join(dirname(node), '..', 'include', 'node'), '/usr/local/include/node', '/usr/include/node'];
  const headers = headerDirs.find((d) => existsSync(join(d, 'node_api.h')));
  if (!tools.gcc) problems.push('node-floor + C addon: no gcc');
  else if (!headers) problems.push(`node-floor + C addon: no node_api.h in ${headerDirs.join(', ')}`);
  else {
    const out = join(dir, 'ffi-addon.node');
    rmSync(out, { force: true }); // a build left by an earlier run must not pass for this one
    const r = capture('gcc', ['-O2', '-Wall', '-shared', '-fPIC', '-fvisibility=hidden', '-I', headers, '-o', out, join(HERE, 'ffi-addon.c')]);
    if (!existsSync(out)) problems.push(`node-floor + C addon: gcc failed on bench/ffi-addon.c: ${r}`);
    else {
      writeFileSync(join(dir, 'addon-preload.cjs'), "const libc = require('./ffi-addon.node');\nlibc.setChildSubreaper();\nlibc.reapOne();\n");
      asInit('node-floor + C addon', join(dir, 'addon-preload.cjs'));
    }
  }
  return { refs, problems };
}

/** gracie present and able to run `-- /bin/true`? Returns null when fine, else the reason. */
async function checkGracie(path) {
  if (!existsSync(path)) return `not found at ${path} (build it first: npm run build)`;
  const r = await run(process.execPath, [path, '--', '/bin/true'], { timeoutMs: 20000 });
  if (r.code !== 0) return `\`node ${path} -- /bin/true\` exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-400)}`;
  return null;
}

function compile(tmp) {
  const bins = {};
  for (const name of ['sigchild', 'sigsend', 'orphans']) {
    const out = join(tmp, name);
    const r = capture('gcc', ['-O2', '-Wall', '-pthread', '-o', out, join(HERE, `${name}.c`)]);
    if (!canExec(out)) throw new Error(`gcc failed on bench/${name}.c: ${r}`);
    bins[name] = out;
  }
  return bins;
}

function meta(opts, tools, inits, gracieProblem) {
  const cpuModel = (/^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? null;
  const dpkg = (p) => capture('dpkg-query', ['-W', '-f=${Version}', p], { both: false }) || null;
  let gracieVersion = null;
  if (!gracieProblem) gracieVersion = capture(process.execPath, [opts.gracie, '--version'], { both: false });
  // read-only git look-ups: which commit, and whether src/ has uncommitted changes (the bundle may hold them)
  const commit = capture('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { both: false });
  const dirty = capture('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'bin'], { both: false });
  const dist = join(dirname(opts.gracie), '..', 'dist', 'gracie.js');
  let distBuilt = null;
  try { distBuilt = statSync(dist).mtime.toISOString(); } catch { /* no bundle beside the bin */ }
  return {
    date: new Date().toISOString(),
    uname: capture('uname', ['-a']),
    cpu: cpuModel, cores: cpus().length, loadavgAtStart: loadavg(),
    node: process.version,
    quick: opts.quick, sections: opts.sections, inits: inits.map((i) => i.name),
    gracie: { bin: opts.gracie, version: gracieVersion, commit: /^[0-9a-f]+$/.test(commit ?? '') ? commit : null,
      uncommittedSrc: Boolean(dirty), distBuilt, problem: gracieProblem },
    versions: {
      tini: tools.tini ? capture(tools.tini, ['--version']) : null, 'tini (deb)': dpkg('tini'),
      'dumb-init': tools['dumb-init'] ? capture(tools['dumb-init'], ['--version']) : null, 'dumb-init (deb)': dpkg('dumb-init'),
      catatonit: tools.catatonit ? capture(tools.catatonit, ['--version']) : null, 'catatonit (deb)': dpkg('catatonit'),
      hyperfine: tools.hyperfine ? capture(tools.hyperfine, ['--version']) : null,
      gcc: tools.gcc ? capture(tools.gcc, ['--version'], { both: false })?.split('\n')[0] : null,
      unshare: tools.unshare ? capture(tools.unshare, ['--version'])?.split('\n')[0] : null,
    },
  };
}

function header(m) {
  return [
    `- date: ${m.date}${m.quick ? ' (**--quick**: few iterations, smoke test only)' : ''}`,
    `- machine: ${m.uname}`,
    `- CPU: ${m.cpu} × ${m.cores}; load average at start ${m.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}`,
    `- node ${m.node}; gracie ${m.gracie.version ?? '(absent)'}${m.gracie.commit ? ` @ ${m.gracie.commit}` : ''}` +
      `${m.gracie.uncommittedSrc ? ' (+ uncommitted src/)' : ''}${m.gracie.distBuilt ? `, bundle built ${m.gracie.distBuilt}` : ''}; ` +
      `tini ${m.versions['tini (deb)'] ?? '?'}, dumb-init ${m.versions['dumb-init (deb)'] ?? '?'}, catatonit ${m.versions['catatonit (deb)'] ?? '?'}, ${m.versions.hyperfine ?? ''}`,
  ].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const tools = {};
  for (const t of ['tini', 'dumb-init', 'catatonit', 'hyperfine', 'gcc', 'unshare']) tools[t] = which(t);

  // What is missing, said plainly. The harness installs nothing.
  const wantedPeers = ['tini', 'dumb-init', 'catatonit'].filter((p) => !opts.inits || opts.inits.includes(p));
  const wantedTools = [...new Set(opts.sections.flatMap((s) => NEEDS[s]))];
  const missing = [...wantedPeers, ...wantedTools].filter((t) => !tools[t]);
  if (missing.length) {
    const pk = [...new Set(missing.map((t) => PACKAGE[t]))];
    process.stderr.write(`bench: missing: ${missing.join(', ')}\nbench: install with: apt-get install -y ${pk.join(' ')}\n`);
    if (!opts.skipMissing) {
      process.stderr.write('bench: (or pass --skip-missing to measure what is installed)\n');
      process.exit(1);
    }
  }
  if (process.getuid?.() !== 0 && opts.sections.some((s) => NEEDS[s].includes('unshare'))) {
    process.stderr.write('bench: not root: `unshare --pid` (the PID-1 runs) needs root; run as root\n');
    if (!opts.skipMissing) process.exit(1);
  }

  opts.sea = findSea();
  if (!opts.sea) process.stderr.write('bench: no single executable in dist/sea (npm run build:sea): measuring without it\n');
  let inits = defineInits(opts, tools).filter((i) => !opts.inits || opts.inits.includes(i.name));
  if (opts.inits) {
    const unknown = opts.inits.filter((n) => !inits.some((i) => i.name === n));
    if (unknown.length) fail(`unknown init(s): ${unknown.join(', ')}`);
  }
  inits = inits.filter((i) => ['gracie', 'node-floor', 'node-floor-setsid', 'gracie-sea', 'node-floor-sea'].includes(i.name) || tools[i.name]);
  let gracieProblem = null;
  if (inits.some((i) => i.name === 'gracie')) {
    gracieProblem = await checkGracie(opts.gracie);
    if (gracieProblem) {
      process.stderr.write(`bench: gracie ${gracieProblem}\nbench: measuring the peers and the Node floor without it\n`);
      inits = inits.filter((i) => i.name !== 'gracie');
    }
  }
  let sections = opts.sections;
  const skipped = sections.filter((s) => NEEDS[s].some((t) => !tools[t]));
  if (skipped.length) process.stderr.write(`bench: skipping ${skipped.join(', ')} (missing tools)\n`);
  sections = sections.filter((s) => !skipped.includes(s));

  const tmp = mkdtempSync(join(tmpdir(), 'gracie-bench-'));
  const cleanup = () => { killAll(); rmSync(tmp, { recursive: true, force: true }); };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => { cleanup(); process.exit(130); });
  }
  const bins = tools.gcc ? compile(tmp) : {};
  let memoryReferences = [];
  if (sections.includes('memory') && inits.some((i) => i.name === 'node-floor')) {
    const { refs, problems } = await buildFfiReferences(tools);
    for (const p of problems) process.stderr.write(`bench: memory reference skipped: ${p}\n`);
    memoryReferences = refs;
  }
  // gracie run as a program (its /bin/sh launcher), the way an ENTRYPOINT runs it: start-up only
  const gracie = inits.find((i) => i.name === 'gracie');
  const gracieExec = gracie && canExec(opts.gracie) && readFileSync(opts.gracie, 'utf8').startsWith('#!') ? opts.gracie : null;

  const m = meta(opts, tools, inits, gracieProblem);
  const ctx = {
    quick: opts.quick, inits, tools, bins, tmp, gracieExec, memoryReferences, sea: opts.sea, root: ROOT,
    // progress on a terminal only: one self-overwriting line on stderr
    progress: process.stderr.isTTY
      ? (msg) => process.stderr.write(`\r\x1b[K[${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}`)
      : () => {},
  };
  const out = [`## Latest results`, '', header(m), ''];
  console.log(out.join('\n'));
  const results = {};
  try {
    for (const s of sections) {
      const started = Date.now();
      if (!process.stderr.isTTY) process.stderr.write(`bench: ${s}…\n`);
      let r;
      try {
        r = await SECTIONS[s](ctx);
      } catch (e) {
        r = { key: s, title: s, markdown: `**section failed:** ${e.stack ?? e}`, data: null, notes: [] };
      }
      r.seconds = (Date.now() - started) / 1000;
      results[s] = r;
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      const md = [`### ${r.title}`, '', r.markdown, '', ...r.notes.map((n) => `- ${n}`), ''].join('\n');
      out.push(md);
      console.log(md);
    }
  } finally {
    cleanup();
  }
  m.loadavgAtEnd = loadavg();
  m.seconds = (Date.now() - t0) / 1000;
  const tailLine = `_${sections.length} section(s) in ${m.seconds.toFixed(0)} s; load average at end ${m.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')}._`;
  out.push(tailLine);
  console.log(tailLine);

  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ meta: m, sections: Object.fromEntries(Object.entries(results).map(([k, r]) =>
    [k, { title: r.title, seconds: r.seconds, notes: r.notes, data: r.data }])) }, null, 2) + '\n');
  const mdPath = opts.out.replace(/\.json$/, '') + '.md';
  writeFileSync(mdPath, out.join('\n') + '\n');
  process.stderr.write(`bench: wrote ${relative(process.cwd(), opts.out)} and ${relative(process.cwd(), mdPath)}\n`);
}

main().catch((e) => {
  killAll();
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
