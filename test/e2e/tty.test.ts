// The terminal hand-off, on a real pseudo-terminal. test/fixtures/pty-driver.py runs a command as the leader
// of a new session on a fresh pty (as a terminal emulator or `ssh -t` does), types into it and waits for
// expected output, each wait with a deadline, and reads the terminal's foreground process group from the
// master side (host pids). Every test runs in both projects. In e2e-pid1, gracie is PID 1 of a fresh PID
// namespace: the foreground tests run it in two layouts (see LAYOUTS), the tests that start it from an
// interactive shell under `unshare`, as the other suites do.
import { describe, expect, it } from 'vitest';
import { AS_PID1, GRACIE_COMMAND } from './helpers';
import { FOREGROUND_JOB, onTerminal as onPty, type PtyResult, type Step } from './pty';

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
/** gracie as the tests start it from a shell: directly, or as PID 1 of a new PID namespace (as the other suites do). */
const GRACIE_ARGV = AS_PID1 ? [...UNSHARE, ...GRACIE_COMMAND] : [...GRACIE_COMMAND];
/** The ways gracie gets the terminal in the foreground tests. */
const LAYOUTS: Array<{ layout: string; argv: string[] }> = AS_PID1
  ? [
      // `unshare` run from a shell: the terminal's session and its foreground group lie outside gracie's PID
      // namespace, so tcgetpgrp() and getpgrp() both say 0 to gracie, in the foreground as in the background.
      { layout: 'PID 1 under unshare run from a shell', argv: GRACIE_ARGV },
      // `docker run -it`: PID 1 leads the session that has the terminal (setsid --ctty takes it over).
      { layout: 'PID 1 leading the session, as under docker run -it', argv: [...UNSHARE, 'setsid', '--ctty', ...GRACIE_COMMAND] },
    ]
  : [{ layout: 'run from a shell', argv: GRACIE_ARGV }];
const PROMPT = 'PROMPT> ';
const AT_PROMPT = { expect: 'PROMPT> ' };
/** An interactive bash with a known prompt and no startup files; TERM=dumb keeps escape sequences out. */
const INTERACTIVE_BASH = ['bash', '--norc', '--noprofile', '-i'];
const ENV = { PS1: PROMPT, TERM: 'dumb', GRACIE_E2E_PID1: null, GRACIE_LOG_FORMAT: null, GRACIE_LOG_LEVEL: null };

/** Runs `argv` on a fresh pty through the steps, with the suite's environment. */
const onTerminal = (argv: readonly string[], steps: readonly Step[]): Promise<PtyResult> => onPty(argv, steps, ENV);

/** Types a command line into the shell, waits for `output` (a regex) if given, then for the next prompt. */
function shell(line: string, output?: string, name?: string): Step[] {
  return [{ send: `${line}\r` }, ...(output ? [{ expect: output, name }] : []), AT_PROMPT];
}

const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** How many lines of the transcript match `pattern`. */
const countLines = (transcript: string, pattern: RegExp): number => transcript.split('\n').filter((line) => pattern.test(line)).length;

describe.each(LAYOUTS)('gracie in the foreground of a terminal hands it to the child ($layout)', ({ argv: gracieArgv }) => {
  it('an interactive shell under gracie has job control: $- has m, a background job can be brought back and ^C ends it', async () => {
    const result = await onTerminal(
      [...gracieArgv, '--', ...INTERACTIVE_BASH],
      [
        AT_PROMPT,
        { fg_snapshot: 'shell' },
        // The quotes split the markers so the echo of the typed line never matches, only the output does.
        ...shell('echo "fla""gs=$-"', '^flags=(\\w*)$', 'flags'),
        ...shell(`${FOREGROUND_JOB} &`, '^\\[1\\] \\d+$'),
        ...shell('jobs', '^\\[1\\]\\+\\s+(\\w+)\\s+sh -c', 'job'),
        { send: 'fg\r' },
        { fg_not: 'shell', within: 5000 },
        // ^C only once the job itself sees that it has the terminal, or it could go to the shell (pty.ts).
        { expect: '^in the foreground$' },
        { send: '\u0003' },
        AT_PROMPT,
        { fg_is: 'shell', within: 5000 },
        ...shell('echo "fg-st""atus=$?"', '^fg-status=(\\d+)$', 'fgStatus'),
        // Whatever `jobs` prints lies between the echo of the typed line and the marker.
        ...shell('jobs; echo "jobs-do""ne"', '"jobs-do""ne"\\n((?:.*\\n)*?)jobs-done$', 'jobsAfter'),
        { send: 'exit\r' },
        { exit: 0, within: 10_000 },
      ],
    );
    expect(result.transcript, 'bash found no job control on its terminal').not.toMatch(/no job control|cannot set terminal process group/);
    expect(result.captures.flags, 'interactive bash under gracie should have the monitor flag (m) in $-').toEqual([expect.stringContaining('m')]);
    expect(result.captures.job, '`jobs` after starting the job with &').toEqual(['Running']);
    expect(result.captures.fgStatus, '`fg` then ^C: the job should have died of SIGINT (128+2)').toEqual(['130']);
    expect(result.captures.jobsAfter, '`jobs` once ^C ended the only job').toEqual(['']);
  });

  it('^C reaches the foreground child exactly once, and gracie never receives it', async () => {
    // Prints each SIGINT and each line it reads; ends at end of input (^D). Node, not a shell: a shell's `read`
    // started just after the signal blocks with its trap still pending, and the test would wait forever.
    const child = [
      "process.on('SIGINT', () => console.log('got-SIGINT'));",
      "process.stdin.setEncoding('utf8').on('data', (text) => {",
      "  for (const line of text.split(/\\r?\\n/)) if (line) console.log(`line:${line}`);",
      '});',
      "process.stdin.on('end', () => process.exit(0));",
      'console.log(`child ready ${process.pid}`);',
    ].join('\n');
    const result = await onTerminal(
      [...gracieArgv, '--', process.execPath, '-e', child],
      [
        { expect: '^child ready \\d+$' },
        { send: '\u0003' },
        // On the line where the terminal echoed ^C.
        { expect: 'got-SIGINT$' },
        // Typed after the first SIGINT was handled: by the time the child prints it, a second SIGINT (forwarded
        // by a gracie that got one from the terminal too, a few ms after the first) would have been printed.
        { send: 'mark\r' },
        { expect: '^line:mark$' },
        { send: '\u0004' },
        { exit: 0, within: 10_000 },
      ],
    );
    expect(countLines(result.transcript, /got-SIGINT$/), `SIGINTs the child saw; transcript:\n${result.transcript}`).toBe(1);
    // gracie logs every stop request it receives ("received SIGINT, forwarded SIGINT"): it must see none.
    expect(result.transcript, 'gracie itself received the terminal\'s SIGINT').not.toMatch(/received SIGINT/);
  });

  it('the child reads a line typed on the terminal', async () => {
    const result = await onTerminal(
      [...gracieArgv, '--', 'sh', '-c', 'echo "child ready $$"; read line; echo "read:$line"'],
      [{ expect: '^child ready \\d+$' }, { send: 'hello\r' }, { expect: '^read:(.*)$', name: 'read' }, { exit: 0, within: 10_000 }],
    );
    expect(result.captures.read, 'what the child read from the terminal').toEqual(['hello']);
  });
});

describe('gracie in the background, or without a terminal', () => {
  // In e2e-pid1, the shell's process group is invisible from gracie's PID namespace (tcgetpgrp says 0), and so
  // is gracie's own group (getpgrp says 0): ids alone cannot tell this from the foreground case above. (The
  // docker run -it layout has no background case: there PID 1 leads the terminal's session.)
  it('started in the background, gracie leaves the terminal to the shell and is not stopped', async () => {
    const command = [...GRACIE_ARGV, '-v', '--', 'sleep', '30'].map(quote).join(' ');
    const result = await onTerminal(INTERACTIVE_BASH, [
      AT_PROMPT,
      { fg_snapshot: 'shell' },
      { send: `${command} &\r` },
      // Logged after posix_spawn returned, so after any hand-off the child would have made before exec.
      { expect: 'child started .*takeTerminal=(true|false)', name: 'takeTerminal' },
      { fg_is: 'shell', within: 1000 },
      // The shell still reads its terminal (a thief in the foreground would make its read fail or stop it).
      ...shell('echo "ali""ve"', '^alive$'),
      ...shell('jobs', '^\\[1\\]\\+\\s+(\\w+)\\s', 'job'),
      { fg_is: 'shell', within: 1000 },
    ]);
    expect(result.captures.takeTerminal, 'gracie\'s decision in its "child started" log line').toEqual(['false']);
    expect(result.captures.job, 'the background gracie job, as `jobs` shows it').toEqual(['Running']);
    expect(result.transcript, 'no job may have been stopped').not.toMatch(/Stopped/);
  });

  it('with stdin a pipe, nothing of the hand-off happens, even in the foreground of a terminal', async () => {
    // stdout and stderr are the terminal and gracie's pipeline is the foreground job: only stdin decides.
    const command = [...GRACIE_ARGV, '-v', '--', 'sh', '-c', 'read line; echo "read:$line"'].map(quote).join(' ');
    const result = await onTerminal(INTERACTIVE_BASH, [
      AT_PROMPT,
      { fg_snapshot: 'shell' },
      // The status comes once the pipeline is done; gracie's log line and the child's output, in either order, before.
      ...shell(`printf 'from-pipe\\n' | ${command}; echo "st""atus=$?"`, '^status=(\\d+)$', 'status'),
      { fg_is: 'shell', within: 1000 },
    ]);
    expect(result.captures.status, `gracie's exit status; transcript:\n${result.transcript}`).toEqual(['0']);
    expect(result.transcript.match(/child started .*takeTerminal=(\w+)/)?.[1], 'gracie\'s decision in its "child started" log line').toBe('false');
    expect(result.transcript.match(/^read:(.*)$/m)?.[1], 'what the child read from its stdin').toBe('from-pipe');
  });
});

// Job control across gracie: a shell that runs gracie as a job sees it stop when its child stops for the
// terminal, and `fg` gives the terminal back to the child. Only a gracie started by a job-control shell can be
// asked this; as PID 1 (e2e-pid1) there is no such shell above it, so these tests exist in the e2e project only.
if (!AS_PID1) {
  describe('job control with a shell above gracie', () => {
    // Stops on ^Z (no SIGTSTP handler), prints each SIGCONT and each line it reads, ends at ^D.
    const child = [
      "process.on('SIGCONT', () => console.log('got-SIGCONT'));",
      "process.stdin.setEncoding('utf8').on('data', (text) => {",
      "  for (const line of text.split(/\\r?\\n/)) if (line) console.log(`line:${line}`);",
      '});',
      "process.stdin.on('end', () => process.exit(5));",
      'console.log(`child ready ${process.pid}`);',
    ].join('\n');

    it('^Z stops the child and gracie with it; fg resumes both and the child has the terminal again', async () => {
      const command = [...GRACIE_COMMAND, '--', process.execPath, '-e', child].map(quote).join(' ');
      const result = await onTerminal(INTERACTIVE_BASH, [
        AT_PROMPT,
        { fg_snapshot: 'shell' },
        { send: `${command}\r` },
        { expect: '^child ready \\d+$' },
        { fg_not: 'shell', within: 5000 },
        { send: '\u001a' },
        // bash reports the job stopped only if gracie itself stopped.
        { expect: 'Stopped' },
        AT_PROMPT,
        { fg_is: 'shell', within: 5000 },
        { send: 'fg\r' },
        { expect: '^got-SIGCONT$' },
        { fg_not: 'shell', within: 5000 },
        { send: 'mark\r' },
        { expect: '^line:mark$' },
        { send: '\u0004' },
        AT_PROMPT,
        ...shell('echo "st""atus=$?"', '^status=(\\d+)$', 'status'),
      ]);
      expect(result.captures.status, 'the exit status of the resumed job: the child ended with 5').toEqual(['5']);
    });

    it('started in the background with an interactive child, gracie stops with it; fg gives the child job control', async () => {
      const command = [...GRACIE_COMMAND, '--', ...INTERACTIVE_BASH].map(quote).join(' ');
      const result = await onTerminal(INTERACTIVE_BASH, [
        AT_PROMPT,
        // Report job state changes at once, not at the next prompt.
        ...shell('set -b'),
        { send: `${command} &\r` },
        // The inner bash reads the terminal from the background: it stops (SIGTTIN), and gracie with it.
        { expect: 'Stopped' },
        { send: 'fg\r' },
        ...shell('echo "inner fla""gs=$-"', '^inner flags=(\\w*)$', 'flags'),
        { send: 'exit 7\r' },
        AT_PROMPT,
        ...shell('echo "st""atus=$?"', '^status=(\\d+)$', 'status'),
      ]);
      expect(result.captures.flags, 'the inner bash, resumed with fg, has job control').toEqual([expect.stringContaining('m')]);
      expect(result.captures.status, "gracie's exit status: the inner bash's").toEqual(['7']);
    });
  });
}
