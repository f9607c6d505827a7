// `podman run -it` on a real pseudo-terminal (test/fixtures/pty-driver.py): podman gives the container a terminal
// of its own, with gracie as PID 1 leading its session. An interactive shell under gracie must have job control,
// ^C must reach the foreground job once (not gracie, not twice), and the shell's exit code must come out of
// `podman run`.
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { FOREGROUND_JOB, onTerminal, type Step } from '../e2e/pty';
import { exampleImage, podmanResult } from './podman';

const PROMPT = 'PROMPT> ';
const AT_PROMPT: Step = { expect: PROMPT };
const names: string[] = [];

afterEach(async () => {
  await Promise.all(names.map((name) => podmanResult(['rm', '-f', '-t', '0', name])));
  names.length = 0;
});

/** Types a command line, waits for `output` (a regex) if given, then for the next prompt. */
const shell = (line: string, output?: string, name?: string): Step[] => [{ send: `${line}\r` }, ...(output ? [{ expect: output, name }] : []), AT_PROMPT];

/** Counts SIGINTs until a line arrives on stdin, then prints the count: the foreground job of the test below. */
const COUNT_SIGINT = `process.on('SIGINT', () => console.log('got-INT ' + ++n)); process.stdin.once('data', () => { console.log('tot' + 'al ' + n); process.exit(0); }); console.log('arm' + 'ed');`;

it('podman run -it: an interactive shell has job control, ^C reaches the foreground job once, the exit code propagates', async () => {
  const name = `gracie-test-tty-${randomBytes(4).toString('hex')}`;
  names.push(name);
  const argv = ['podman', 'run', '-it', '--rm', '--name', name, '-e', `PS1=${PROMPT}`, '-e', 'TERM=dumb', exampleImage('node-app'), 'bash', '--norc', '--noprofile', '-i'];
  const result = await onTerminal(
    argv,
    [
      { ...AT_PROMPT, within: 20_000 },
      // The quotes split the markers so the echo of the typed line never matches, only the output does.
      ...shell('echo "fla""gs=$-"', '^flags=(\\w*)$', 'flags'),
      // A job in the background, brought back to the foreground, then ended by ^C: job control at work. bash prints
      // the job's line before it hands the job the terminal, and a ^C in between goes to bash: the job says when it
      // holds the terminal (its process group is the terminal's, fields 5 and 8 of /proc/PID/stat), then sleeps.
      ...shell(`${FOREGROUND_JOB} &`, '^\\[1\\] (\\d+)$', 'job'),
      ...shell('jobs', '^\\[1\\]\\+\\s+Running\\s+sh -c'),
      { send: 'fg\r' },
      { expect: '^in the foreground$' },
      { send: '\u0003' },
      AT_PROMPT,
      ...shell('jobs; echo "no ""more jobs"', '^no more jobs$'),
      // ^C on a foreground job that counts them: exactly one. (The terminal echoes ^C on the line the output starts.)
      { send: `node -e "let n = 0; ${COUNT_SIGINT}"\r` },
      { expect: '^armed$' },
      { send: '\u0003' },
      { expect: 'got-INT 1$' },
      { send: 'done\r' },
      { expect: '^total (\\d+)$', name: 'sigints' },
      AT_PROMPT,
      { send: 'exit 5\r' },
      { exit: 5, within: 20_000 },
    ],
    { TERM: 'dumb' },
  );
  expect(result.captures.flags?.[0], 'bash is interactive (i) with job control (m)').toMatch(/^(?=.*i)(?=.*m)/);
  expect(result.transcript, 'bash got the terminal').not.toMatch(/no job control|cannot set terminal process group/);
  expect(result.captures.sigints, 'the foreground job got ^C once').toEqual(['1']);
  // gracie itself never got the SIGINT: the terminal's foreground group was the child's.
  expect(result.transcript).not.toMatch(/received SIGINT/);
  expect(result.exit).toEqual({ code: 5, signal: null });
});
