// Exit statuses, bad input, and what the child inherits: arguments, stdio, environment, working directory.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { AS_PID1, AS_SEA, endedBySignal, FIXTURES, GRACIE_COMMAND, gracie, SIGNALS_FIXTURE, waitFor } from './helpers';

const scratch = mkdtempSync(join(tmpdir(), 'gracie-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('exit status', () => {
  it.each([0, 1, 7, 126, 127, 255])('passes the child exit code %i through', async (code) => {
    const ended = await gracie(['--', 'sh', '-c', `exit ${code}`]).exit();
    expect(ended).toMatchObject({ code, signal: null });
  });

  it('-e maps listed codes to 0 and leaves the others alone', async () => {
    expect((await gracie(['-e', '3', '-e', '143', '--', 'sh', '-c', 'exit 3']).exit()).code).toBe(0);
    expect((await gracie(['-e', '3', '--', 'sh', '-c', 'exit 4']).exit()).code).toBe(4);
    expect((await gracie(['--', 'sh', '-c', 'exit 3'], { env: { GRACIE_SUCCESS_EXIT: '1,3' } }).exit()).code).toBe(0);
  });

  it('reports a child killed by a signal as that signal (not PID 1) or 128+N (PID 1)', async () => {
    const ended = await gracie(['--', 'sh', '-c', 'kill -USR2 $$']).exit();
    expect(ended).toMatchObject(endedBySignal('SIGUSR2', 12));
    const log = ended.stderr.split('\n').find((line) => line.includes('killed by'));
    expect(JSON.parse(log ?? '{}')).toMatchObject({ signal: 'SIGUSR2', code: null, msg: 'child was killed by SIGUSR2' });
  });

  it('-e 143 turns a death by SIGTERM into success, as tini does', async () => {
    const ended = await gracie(['-e', '143', '--', 'sh', '-c', 'kill -TERM $$']).exit();
    expect(ended).toMatchObject({ code: 0, signal: null });
  });

  it('127 with one clear line when the command does not exist', async () => {
    const ended = await gracie(['--', 'no-such-command-xyz']).exit();
    expect(ended.code).toBe(127);
    const lines = ended.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 50, msg: expect.stringMatching(/command not found: 'no-such-command-xyz'/) });
  });

  it('126 when the command is not executable', async () => {
    const plainFile = join(scratch, 'not-executable.sh');
    writeFileSync(plainFile, '#!/bin/sh\necho should not run\n', { mode: 0o644 });
    const ended = await gracie(['--', plainFile]).exit();
    expect(ended).toMatchObject({ code: 126, stdout: '' });
    expect(ended.stderr).toContain(`cannot execute '${plainFile}'`);
    expect((await gracie(['--', scratch]).exit()).code).toBe(126);
  });
});

describe('bad input: exit 2, one line naming the problem, the child never starts', () => {
  const marker = join(scratch, 'started');
  const command = ['--', 'sh', '-c', `touch ${marker}`];
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['unknown flag', ['--bogus'], {}, /unknown option '--bogus'/],
    ['bad signal', ['--stop-signal', 'SIGNOPE'], {}, /invalid --stop-signal 'SIGNOPE': expected a signal name or number/],
    ['bad duration', ['-t', '10x'], {}, /invalid --stop-timeout '10x': expected a duration such as 500ms, 10s, 2m/],
    ['bad rewrite', ['-r', 'TERM'], {}, /invalid --rewrite 'TERM': expected <from>:<to>/],
    ['bad exit code', ['-e', '256'], {}, /invalid --success-exit '256': expected an exit code from 0 to 255/],
    ['bad env signal', [], { GRACIE_STOP_SIGNAL: 'bogus' }, /invalid GRACIE_STOP_SIGNAL 'bogus'/],
    ['bad env boolean', [], { GRACIE_PROCESS_GROUP: 'maybe' }, /invalid GRACIE_PROCESS_GROUP 'maybe': expected 1, true, yes, on or 0, false, no, off/],
    ['bad env duration', [], { GRACIE_STOP_TIMEOUT: 'soon' }, /invalid GRACIE_STOP_TIMEOUT 'soon'/],
    ['bad log level', [], { GRACIE_LOG_LEVEL: 'loud' }, /invalid GRACIE_LOG_LEVEL 'loud': expected one of silent, error, warn, info, debug, trace/],
    ['delay not inside timeout', ['--stop-delay', '5s', '-t', '5s'], {}, /invalid --stop-delay '5s'/],
  ];
  it.each(cases)('%s', async (_, flags, env, message) => {
    const ended = await gracie([...flags, ...command], { env }).exit();
    expect(ended.code).toBe(2);
    expect(ended.stdout).toBe('');
    const lines = ended.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gracie: /);
    expect(lines[0]).toMatch(message);
    expect(existsSync(marker)).toBe(false);
  });

  it('an option missing its value', async () => {
    const ended = await gracie(['-t']).exit();
    expect(ended).toMatchObject({ code: 2, stdout: '' });
    expect(ended.stderr).toBe("gracie: option '-t, --stop-timeout <dur>' argument missing (see gracie --help)\n");
  });

  it('a missing command is a usage error too', async () => {
    const ended = await gracie([]).exit();
    expect(ended).toMatchObject({ code: 2, stdout: '' });
    expect(ended.stderr).toBe('gracie: missing command: usage is gracie [options] [--] <command> [args...] (see gracie --help)\n');
  });

  it('help and version go to stdout and exit 0', async () => {
    const help = await gracie(['--help']).exit();
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/Usage: gracie \[options\] \[--\] <command> \[args\.\.\.\]/);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/GRACIE_STOP_SIGNAL/);
    const version = await gracie(['-V']).exit();
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('the Node gracie runs on', () => {
  const title = AS_SEA
    ? 'is the one inside the single executable: the process is the executable itself'
    : "is the first node on PATH: the machine's, or the major scripts/test-node.sh put first (GRACIE_E2E_NODE_MAJOR)";
  it(title, async () => {
    const ended = await gracie(['--', 'sh', '-c', 'readlink /proc/$PPID/exe']).exit();
    if (AS_SEA) {
      expect(ended.stdout.trim()).toBe(realpathSync(GRACIE_COMMAND[0]));
      return;
    }
    const version = spawnSync(ended.stdout.trim(), ['-v'], { encoding: 'utf8' }).stdout.trim();
    const expected = process.env.GRACIE_E2E_NODE_MAJOR ?? process.versions.node.split('.')[0];
    expect(version, `gracie's Node at ${ended.stdout.trim()}`).toMatch(new RegExp(`^v${expected}\\.`));
  });
});

// Needs a --require hook in gracie's own Node: defined for the npm package only (see AS_SEA).
if (!AS_SEA) describe('what a start loads', () => {
  // child_process, net and tty cost ~2 ms of every start together (docs/benchmarks.md); only the fallback without
  // libc and a character device on stdin or stderr need them. perf_hooks comes with the global `performance`.
  it('the happy path loads neither child_process nor net nor tty nor perf_hooks', async () => {
    const list = join(scratch, 'modules-loaded');
    const ended = await gracie(['--', 'true'], {
      nodeArgs: ['--require', join(FIXTURES, 'module-list-hook.cjs')],
      env: { GRACIE_TEST_MODULE_LIST: list },
    }).exit();
    // stderr empty: the happy path logs nothing, and releasing start-up's freed memory did not fail
    expect(ended).toMatchObject({ code: 0, signal: null, stderr: '' });
    const loaded = readFileSync(list, 'utf8').split('\n');
    expect(loaded, 'the list the hook wrote').toContain('NativeModule fs');
    expect(loaded.filter((name) => /^NativeModule (child_process|net|tty|perf_hooks)$/.test(name))).toEqual([]);
  });

  // pino takes ~10 ms to load, and the summary line of a crash is often the run's first line, written on the way
  // out: gracie writes its plain lines itself (src/log.ts) and exits as fast as without the line.
  it('the summary line of a failed child is written without loading pino', async () => {
    const list = join(scratch, 'modules-loaded-failed');
    // Exit code 3, not a death by signal: not PID 1, gracie would end itself with the signal, and the hook's
    // exit handler would never run.
    const ended = await gracie(['--', 'sh', '-c', 'exit 3'], {
      nodeArgs: ['--require', join(FIXTURES, 'module-list-hook.cjs')],
      env: { GRACIE_TEST_MODULE_LIST: list },
    }).exit();
    expect(ended.code).toBe(3);
    const [summary, ...rest] = ended.stderr.split('\n').filter((line) => line !== '');
    expect(rest, ended.stderr).toEqual([]);
    // pino's shape, key order included
    expect(Object.keys(JSON.parse(summary))).toEqual(['level', 'time', 'name', 'code', 'signal', 'shutdownMs', 'msg']);
    expect(JSON.parse(summary)).toMatchObject({ level: 30, name: 'gracie', code: 3, signal: null, shutdownMs: null, msg: 'child exited with code 3' });
    const loaded = readFileSync(list, 'utf8').split('\n');
    expect(loaded.filter((name) => name.startsWith('file ')).length, 'files the hook listed').toBeGreaterThan(0);
    expect(loaded.filter((name) => /^file .*pino/.test(name))).toEqual([]);
  });
});

describe('what the child gets', () => {
  it("a process group of its own in gracie's session, also with no terminal (as tini; not a session of its own, as dumb-init)", async () => {
    // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; sh's comm has no space. gracie is the child's parent.
    const ended = await gracie(['--', 'sh', '-c', 'set -- $(cut -d" " -f1,5,6 /proc/$$/stat) $(cut -d" " -f6 /proc/$PPID/stat); echo "$@"']).exit();
    expect(ended.code).toBe(0);
    const [pid, pgrp, session, gracieSession] = ended.stdout.trim().split(' ').map(Number);
    expect({ pgrp, session }, ended.stdout).toEqual({ pgrp: pid, session: gracieSession });
    expect(session, 'the child leads no session').not.toBe(pid);
  });

  it('options stop at the command: the command keeps its own flags', async () => {
    const ended = await gracie(['sh', '-c', 'echo "$0 $1"', '-g', '--stop-timeout']).exit();
    expect(ended).toMatchObject({ code: 0, stdout: '-g --stop-timeout\n' });
  });

  it('arguments with spaces, quotes, unicode and empty strings arrive byte for byte', async () => {
    const args = ['a b', '"double"', "it's", 'ünï€😀', '', '  ', '--', '-x', '$HOME', '\\n'];
    const printArgs = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';
    const ended = await gracie(['--', process.execPath, '-e', printArgs, '--', ...args]).exit();
    expect(ended.code).toBe(0);
    expect(JSON.parse(ended.stdout)).toEqual(args);
  });

  it('stdin, stdout and stderr pass through; gracie writes nothing to stdout', async () => {
    const ended = await gracie(['--', 'sh', '-c', 'cat; echo to-stderr >&2'], { stdin: 'line one\nline two\n' }).exit();
    expect(ended).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    expect(ended.stderr).toBe('to-stderr\n');
  });

  it('the environment passes through unchanged, GRACIE_* included', async () => {
    const env = { FOO: 'bar baz', EMPTY: '', GRACIE_STOP_TIMEOUT: '7s', UNICODE: 'ü€' };
    const ended = await gracie(['--', 'sh', '-c', 'printf "%s|%s|%s|%s" "$FOO" "${EMPTY-unset}" "$GRACIE_STOP_TIMEOUT" "$UNICODE"'], { env }).exit();
    expect(ended.stdout).toBe('bar baz||7s|ü€');
  });

  it("NODE_OPTIONS reaches the child unchanged and does not act on gracie's own Node", async () => {
    // A --require of a missing file would make gracie's own Node fail before any line of gracie runs.
    const nodeOptions = '--require /nonexistent/agent.js --max-old-space-size=64';
    const ended = await gracie(['--', 'sh', '-c', 'printf "%s|%s" "$NODE_OPTIONS" "${_GRACIE_NODE_OPTIONS-unset}"'], {
      env: { NODE_OPTIONS: nodeOptions },
    }).exit();
    expect(ended).toMatchObject({ code: 0, stdout: `${nodeOptions}|unset` });
    const empty = await gracie(['--', 'sh', '-c', 'printf "%s" "${NODE_OPTIONS-unset}"'], { env: { NODE_OPTIONS: '' } }).exit();
    expect(empty.stdout).toBe('');
  });

  it('an agent hook, --inspect and a big heap in NODE_OPTIONS act on the Node app only, never on gracie', async () => {
    const hook = join(scratch, 'app-hook.js');
    const seen = join(scratch, 'hook-seen');
    writeFileSync(hook, `require('fs').appendFileSync(${JSON.stringify(seen)}, process.pid + '\\n');\n`);
    // Port 0: the app's inspector takes a free port, and says so on stderr.
    const nodeOptions = `--require ${hook} --inspect=127.0.0.1:0 --max-old-space-size=4096`;
    const app = `console.log(JSON.stringify([process.pid, process.env.NODE_OPTIONS, require('v8').getHeapStatistics().heap_size_limit > 3e9]))`;
    const ended = await gracie(['--', process.execPath, '-e', app], { env: { NODE_OPTIONS: nodeOptions } }).exit();
    expect(ended.code, ended.stderr).toBe(0);
    const [appPid, appOptions, bigHeap] = JSON.parse(ended.stdout) as [number, string, boolean];
    expect(appOptions).toBe(nodeOptions);
    expect(bigHeap).toBe(true);
    // The hook ran once, in the app, and the one inspector that opened was the app's.
    expect(readFileSync(seen, 'utf8')).toBe(`${appPid}\n`);
    expect(ended.stderr.match(/Debugger listening/g)).toHaveLength(1);
  });

  it('the child starts with every signal at its default action and nothing blocked, whatever gracie inherited', async () => {
    // The parent shell ignores SIGINT and SIGQUIT for gracie, as `nohup` or a non-interactive `&` do.
    // cat, not grep: GNU grep installs a SIGSEGV handler of its own.
    const readStatus = 'cat /proc/self/status';
    const run = spawnSync('sh', ['-c', `trap '' INT QUIT HUP; exec "$@"`, 'sh', ...(AS_PID1 ? ['unshare', '--pid', '--fork', '--mount-proc'] : []), ...GRACIE_COMMAND, '--', 'sh', '-c', readStatus], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const masks = run.stdout.split('\n').filter((line) => /^Sig(Blk|Ign|Cgt):/.test(line));
    expect(masks).toEqual(['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', 'SigCgt:\t0000000000000000']);
  });

  it('descriptors gracie inherited reach the child, and none of its own', async () => {
    // The shell lists its descriptors with a glob (whose own directory handle shows up too): the same list
    // with and without gracie in between, with two extra pipes as fds 3 and 4.
    const listFds = ['sh', '-c', 'cd /proc/$$/fd && echo *'];
    const baseline = spawnSync(listFds[0], listFds.slice(1), { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(baseline.stdout.split(' ')).toEqual(expect.arrayContaining(['3', '4']));
    const ended = await gracie(['--', ...listFds], { extraFds: 2 }).exit();
    expect(ended).toMatchObject({ code: 0, stdout: baseline.stdout });
    // The single executable has no launcher either: it tells inherited descriptors from Node's own (sea.ts).
    if (AS_SEA) return;
    // `node bin/gracie.js` has no launcher to note them: Node marked them close-on-exec before gracie ran.
    const direct = await gracie(['--', ...listFds], { extraFds: 2, viaNode: true }).exit();
    // Both pipes are gone; the glob's own handle takes the lowest free number, 3.
    expect(direct.stdout.trim().split(' ')).not.toContain('4');
    expect(direct.stdout.trim().split(' ').length).toBe(baseline.stdout.trim().split(' ').length - 2);
  });

  it('an unbroken run of inherited descriptors from 3 to 17 reaches the child, the ones past 15 included', async () => {
    // Node marks 0-15 close-on-exec before any JavaScript runs, and every descriptor above in an unbroken run from 16
    // (strace on Node 20, 24 and 26): the launcher, or the single executable's rule, must catch those too.
    const listFds = ['sh', '-c', 'cd /proc/$$/fd && echo *'];
    const stdio = Array<'pipe'>(3 + 15).fill('pipe');
    const baseline = spawnSync(listFds[0], listFds.slice(1), { stdio, encoding: 'utf8' });
    expect(baseline.stdout.trim().split(' ')).toEqual(expect.arrayContaining(['3', '15', '16', '17']));
    const ended = await gracie(['--', ...listFds], { extraFds: 15 }).exit();
    expect(ended).toMatchObject({ code: 0, stdout: baseline.stdout });
  });

  it("the child keeps gracie's working directory while gracie moves to / and pins nothing", async () => {
    const cwd = realpathSync(scratch);
    const run = gracie(['--', 'sh', '-c', 'echo "child ready $$"; pwd; read line'], { cwd });
    await run.ready();
    await run.waitForLines(new RegExp(`^${cwd}$`));
    // gracie moves right after the spawn, and a child this quick can print before it does: wait for the move.
    const gracieCwdFile = `/proc/${await run.graciePid()}/cwd`;
    await waitFor(() => (readlinkSync(gracieCwdFile) === '/' ? true : undefined), "gracie's cwd to be /", () => `gracie's cwd: ${readlinkSync(gracieCwdFile)}`);
    run.proc.stdin?.end('done\n');
    expect((await run.exit()).code).toBe(0);
  });

  it('logs are JSON lines by default when stderr is not a terminal, pretty on request', async () => {
    const run = gracie(['--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGTERM=0']);
    await run.ready();
    await run.signal('SIGTERM');
    await run.exit();
    expect(run.logs().length).toBeGreaterThan(0);
    for (const entry of run.logs()) expect(entry).toMatchObject({ name: 'gracie', level: expect.any(Number), time: expect.any(Number) });

    const pretty = gracie(['--log-format', 'pretty', '--', 'sh', '-c', 'exit 5']).exit();
    expect((await pretty).stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  gracie: child exited with code 5/);
  });

  it('hints once at start when the command drains on another signal and none is configured', async () => {
    const hinted = await gracie(['--', 'nginx', '-v']).exit();
    expect(hinted.code).toBe(0);
    const warnings = hinted.stderr.split('\n').filter((line) => line.includes('"level":40'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ command: 'nginx', msg: expect.stringMatching(/^nginx drains on SIGQUIT/) });
    const configured = await gracie(['--', 'nginx', '-v'], { env: { GRACIE_STOP_SIGNAL: 'SIGQUIT' } }).exit();
    expect(configured.stderr).not.toMatch(/"level":40/);
  });

  it('is quiet on the happy path and says more with -v', async () => {
    expect((await gracie(['--', 'true']).exit()).stderr).toBe('');
    const verbose = await gracie(['-v', '--', 'true']).exit();
    expect(verbose.stderr).toMatch(/"msg":"child started"/);
    expect(verbose.stderr).toMatch(/"isPid1":(true|false)/);
    expect(verbose.stderr).toContain(`"isPid1":${AS_PID1}`);
  });
});
