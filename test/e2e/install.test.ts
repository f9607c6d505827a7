// gracie installed the ways users install it: copied into an image with its production dependencies (what a
// Dockerfile's COPY does), and as a global package from `npm pack` (what `npm i -g` and npx do). Each must load
// koffi from where it lands, so reaping works there too, not only in this repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AS_PID1 } from './helpers';

const ROOT = resolve(__dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'gracie-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const npm = (args: string[], cwd: string): void => {
  // --prefer-offline: the packages are in npm's cache since `npm ci` ran for this repository.
  execFileSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: 'pipe' });
};

/** Runs an installed gracie (as PID 1 in e2e-pid1) on a child that orphans a process; returns its stderr. */
function runInstalled(gracie: string): { status: number | null; stderr: string } {
  const argv = [gracie, '-w', '--', 'sh', '-c', '( sleep 0.1 & ); exit 0'];
  const command = AS_PID1 ? ['unshare', '--pid', '--fork', '--mount-proc', ...argv] : argv;
  // From /, so nothing resolves through this repository's node_modules.
  const result = spawnSync(command[0], command.slice(1), { cwd: '/', encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('installed outside this repository', () => {
  it('a copied project directory with production dependencies (a Dockerfile COPY) loads koffi and reaps', () => {
    const app = join(scratch, 'copied');
    for (const entry of ['bin', 'dist', 'package.json', 'package-lock.json']) cpSync(join(ROOT, entry), join(app, entry), { recursive: true });
    npm(['ci', '--omit=dev', '--ignore-scripts'], app);
    expect(readdirSync(join(app, 'node_modules'))).toContain('koffi');
    const { status, stderr } = runInstalled(join(app, 'bin', 'gracie.js'));
    expect(status, stderr).toBe(0);
    expect(stderr).not.toMatch(/no libc bindings/);
    expect(stderr).toMatch(/"msg":"Reaped zombie process with pid=\d+"/);
  }, 120_000);

  it('a global install from `npm pack` (npm i -g, npx) runs as `gracie` and reaps', () => {
    // --ignore-scripts: no rebuild of dist/ while other suites run it (npm test built it already).
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', scratch, '--loglevel=error'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').at(-1) as string;
    const prefix = join(scratch, 'global');
    npm(['install', '--global', '--prefix', prefix, join(scratch, packed)], scratch);
    const { status, stderr } = runInstalled(join(prefix, 'bin', 'gracie'));
    expect(status, stderr).toBe(0);
    expect(stderr).not.toMatch(/no libc bindings/);
    expect(stderr).toMatch(/"msg":"Reaped zombie process with pid=\d+"/);
  }, 120_000);
});
