// Builds gracie as single executables (Node's single executable applications): dist/sea/gracie-linux-x64 and
// dist/sea/gracie-linux-arm64, one file each, for images that have no Node: Node itself, gracie's bundle
// (src/sea-main.ts), pino's and commander's bundles and koffi's native binary for that platform, as assets.
// Run by `npm run build:sea` after `npm run build` (which makes dist/pino.js and dist/commander.js).
//
// The Node inside is NODE_VERSION from npm's node-linux-<arch> package, the same release for both, fetched once
// into gracie's download cache (scripts/fetch-package.sh). Why Node 24: it is an LTS line supported until April
// 2028; its sea-config has execArgv and execArgvExtension (Node 20's has neither, so NODE_OPTIONS set for the app
// would act on the init); its binary is 23 MB smaller than Node 26's (127 MB against 150 MB, 109 MB against 131 MB
// stripped) and starts as fast (both ~31 ms for `node -e 0` here).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch as hostArch } from 'node:process';

import { SEA_NODE_VERSION as NODE_VERSION } from './sea-node.mjs';

// `node scripts/build-sea.mjs x64` builds one (Dockerfile.example builds its own platform's); both by default.
const ARCHES = process.argv.length > 2 ? process.argv.slice(2) : ['x64', 'arm64'];
for (const arch of ARCHES) if (!['x64', 'arm64'].includes(arch)) throw new Error(`build-sea: no single executable for '${arch}': x64 or arm64`);
const OUT = 'dist/sea';
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// koffi's exports map hides its package.json: the lock file says which version is installed.
const koffiVersion = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages['node_modules/koffi'].version;

/** The directory of a package in the download cache, fetched the first time. */
const fetchPackage = (name, versionOrRange) => execFileSync('bash', ['scripts/fetch-package.sh', name, versionOrRange], { encoding: 'utf8' }).trim();

/** strip for this architecture's ELF files: the host's own for the host, binutils' cross strip for the other. */
function stripFor(arch) {
  if (arch === hostArch) return 'strip';
  const cross = { arm64: 'aarch64-linux-gnu-strip', x64: 'x86_64-linux-gnu-strip' }[arch];
  try {
    execFileSync(cross, ['--version'], { stdio: 'ignore' });
    return cross;
  } catch {
    throw new Error(`${cross} is missing: apt-get install binutils-${cross.replace(/-strip$/, '')} (.ci/run does)`);
  }
}

mkdirSync(OUT, { recursive: true });
const main = `${OUT}/gracie.js`;
await build({
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  logLevel: 'warning',
  entryPoints: ['src/sea-main.ts'],
  outfile: main,
  define: { GRACIE_VERSION: JSON.stringify(version), GRACIE_SEA: 'true' },
  // The npm branch of each lazy require stays in the code but never runs (sea.ts); koffi is an asset.
  alias: { pino: './pino.js', commander: './commander.js' },
  external: ['koffi', './pino.js', './commander.js'],
});

const postject = require('postject');
for (const arch of ARCHES) {
  const node = `${fetchPackage(`node-linux-${arch}`, NODE_VERSION)}/bin/node`;
  const koffi = `${fetchPackage(`@koromix/koffi-linux-${arch}`, koffiVersion)}/linux_${arch}/koffi.node`;
  const blob = `${OUT}/gracie-linux-${arch}.blob`;
  const config = `${OUT}/sea-config-${arch}.json`;
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's code cache is specific to the CPU architecture it was made on: the host's Node makes the blob, so
      // only the host's executable gets one (the other would reject it and compile as without).
      useCodeCache: arch === hostArch,
      // Node's options, fixed: the inspector pointed at an address no host has, so a SIGUSR1 while Node boots
      // (before gracie listens) opens no debugger (as bin/gracie.js's launcher does); and NODE_OPTIONS ignored,
      // since it is meant for the app, which still gets it from the environment.
      execArgv: ['--inspect-port=240.0.0.1:0'],
      execArgvExtension: 'none',
      assets: { 'koffi.node': koffi, 'pino.js': 'dist/pino.js', 'commander.js': 'dist/commander.js' },
    }),
  );
  // The blob must come from the same Node release as the executable it goes into: the host's build of it.
  const hostNode = `${fetchPackage(`node-linux-${hostArch}`, NODE_VERSION)}/bin/node`;
  execFileSync(hostNode, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exe = `${OUT}/gracie-linux-${arch}`;
  rmSync(exe, { force: true });
  copyFileSync(node, exe);
  chmodSync(exe, 0o755);
  // Node's symbols are for debuggers: 18 MB of every image. SEA injection works on the stripped binary.
  execFileSync(stripFor(arch), [exe]);
  await postject.inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
  rmSync(blob);
  rmSync(config);
  console.log(`${exe}: ${(statSync(exe).size / 1e6).toFixed(1)} MB (Node ${NODE_VERSION}, koffi ${koffiVersion})`);
}
