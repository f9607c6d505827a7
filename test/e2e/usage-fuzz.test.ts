// Fuzzed bad input through the real binary (issue #6). test/unit/fuzz.test.ts checks 10,000 cases in-process;
// this sends a generated sample of usage errors through bin/gracie.js (launcher, bundle, main's error path), and
// as PID 1 in the e2e-pid1 project: exit 2, exactly one line on stderr starting "gracie: " and naming the
// option or variable, nothing on stdout, and the command never ran.
//
// 40 cases per run (numRuns), no fixed seed: on failure fast-check prints the seed and path that replay it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gracie } from './helpers';

const scratch = mkdtempSync(join(tmpdir(), 'gracie-usage-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const VARIABLES = ['STOP_SIGNAL', 'REWRITE', 'STOP_TIMEOUT', 'STOP_DELAY', 'PROCESS_GROUP', 'SUBREAPER', 'PARENT_DEATH_SIGNAL', 'SUCCESS_EXIT'];
const ALL_VARIABLES = [...VARIABLES, 'LOG_LEVEL', 'LOG_FORMAT', 'FFI'].map((name) => `GRACIE_${name}`);

/** A bad input: flags before the command, an environment, and what the one line must name. */
interface BadInput {
  flags: string[];
  env: Record<string, string>;
  names: string;
}

/** Inside a value, never at its ends (blanks there are trimmed): a newline, a terminal escape, non-ASCII. */
const noise = fc.constantFrom('\n', '\r', '\t', '\u001b[31m', '\u0085', '\u2028', 'é', '✓', '🙂', ' ');
const withNoise = (value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(value, fc.option(noise), fc.nat()).map(([text, inside, at]) => {
    if (inside === null || text.length < 2) return text;
    const cut = 1 + (at % (text.length - 1));
    return text.slice(0, cut) + inside + text.slice(cut);
  });

const letters = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIKLMNOPRSTUVXYZ'), minLength: min, maxLength: max });
// Not a name in Node's table, nor SIGRTMIN or SIGRTMAX; numbers outside 1-31 and the real-time range 34-64 (glibc's).
const badSignal = fc.oneof(
  letters(3, 8)
    .filter((name) => !(`SIG${name}` in constants.signals) && !(name in constants.signals) && !/^RTM(IN|AX)$/.test(name))
    .map((name) => `SIG${name}`),
  fc.oneof(fc.integer({ min: 32, max: 33 }), fc.integer({ min: 65, max: 999 })).map(String),
);
const badDuration = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('x', 'sec', 'S', 'd', 'min', 'hours')).map(([n, unit]) => `${n}${unit}`),
  fc.integer({ min: 2_147_484, max: 99_999_999 }).map(String), // seconds: beyond 2^31-1 ms
  fc.constantFrom('-1', '1e3', 'soon', '1.', '0.0004'),
);
const badExit = fc.oneof(fc.integer({ min: 256, max: 99_999 }).map(String), fc.constantFrom('-1', '1.5', 'abc', '0x10'));
const badRewrite = fc.oneof(
  badSignal.map((signal) => `TERM:${signal}`),
  badSignal.map((signal) => `${signal}:QUIT`),
  fc.constantFrom('TERM', 'TERM:QUIT:HUP', ':QUIT', 'KILL:TERM', 'CHLD:none', 'TERM=QUIT'),
);
const badBoolean = fc.oneof(letters(2, 6).filter((word) => !['ON', 'OFF', 'YES', 'NO', 'TRUE', 'FALSE'].includes(word)), fc.constantFrom('2', '-1', 'y', '1.0'));

/** An option given a bad value, in one of its spellings: `--opt v`, `--opt=v`, `-o v`, `-ov`. */
const badOption: fc.Arbitrary<BadInput> = fc
  .constantFrom(
    { long: '--stop-signal', value: badSignal },
    { long: '--rewrite', short: '-r', value: badRewrite },
    { long: '--stop-timeout', short: '-t', value: badDuration },
    { long: '--stop-delay', value: badDuration },
    { long: '--parent-death-signal', short: '-p', value: fc.oneof(badSignal, fc.constantFrom('KILL', 'SEGV')) },
    { long: '--success-exit', short: '-e', value: badExit },
    { long: '--log-format', value: fc.constantFrom('xml', 'text', 'yaml') },
  )
  .chain((option) => {
    const short = 'short' in option ? option.short : undefined;
    const forms = short ? ['long', 'equals', 'short', 'attached'] : ['long', 'equals'];
    return fc.tuple(withNoise(option.value), fc.constantFrom(...forms)).map(([value, form]): BadInput => {
      const spelled: Record<string, string[]> = {
        long: [option.long, value],
        equals: [`${option.long}=${value}`],
        short: [`${short}`, value],
        attached: [`${short}${value}`],
      };
      return { flags: spelled[form], env: {}, names: option.long };
    });
  });

/** A GRACIE_* variable with a bad value. */
const badVariable: fc.Arbitrary<BadInput> = fc
  .constantFrom(
    { name: 'GRACIE_STOP_SIGNAL', value: badSignal },
    { name: 'GRACIE_REWRITE', value: fc.oneof(badRewrite, badRewrite.map((item) => `USR1:none,${item}`)) },
    { name: 'GRACIE_STOP_TIMEOUT', value: badDuration },
    { name: 'GRACIE_STOP_DELAY', value: badDuration },
    { name: 'GRACIE_PROCESS_GROUP', value: badBoolean },
    { name: 'GRACIE_SUBREAPER', value: badBoolean },
    { name: 'GRACIE_PARENT_DEATH_SIGNAL', value: badSignal },
    { name: 'GRACIE_SUCCESS_EXIT', value: fc.oneof(badExit, badExit.map((code) => `143,${code}`)) },
    { name: 'GRACIE_LOG_LEVEL', value: fc.constantFrom('loud', 'verbose', 'fatal', '3') },
    { name: 'GRACIE_LOG_FORMAT', value: fc.constantFrom('xml', 'text') },
    { name: 'GRACIE_FFI', value: badBoolean },
  )
  .chain((variable) => withNoise(variable.value).map((value): BadInput => ({ flags: [], env: { [variable.name]: value }, names: variable.name })));

/** Flags gracie does not have, a flag given a value it does not take, and odd bytes in a flag. */
const unknownFlag: fc.Arbitrary<BadInput> = fc
  .oneof(
    fc.constantFrom('--bogus', '--stop-timout', '-x', '-gZ', '--process-group=yes', '--no-process-group', '---'),
    withNoise(fc.constantFrom('--frobnicate', '-Xyz')),
  )
  .map((flag) => ({ flags: [flag], env: {}, names: 'unknown option' }));

/** Each value fine on its own, wrong together. */
const contradiction: fc.Arbitrary<BadInput> = fc.oneof(
  fc.constantFrom<BadInput>(
    { flags: ['-v', '-q'], env: {}, names: '-v and -q' },
    { flags: ['-vq'], env: {}, names: '-v and -q' },
    { flags: ['--stop-signal', 'QUIT', '-r', 'TERM:USR2'], env: {}, names: '--stop-signal' },
    { flags: [], env: { GRACIE_STOP_SIGNAL: 'QUIT', GRACIE_REWRITE: 'TERM:none' }, names: 'GRACIE_STOP_SIGNAL' },
    { flags: ['-r', 'USR1:none', '-r', 'usr1:HUP'], env: {}, names: '--rewrite' },
  ),
  fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 })).map(([timeout, longer]): BadInput => ({
    flags: ['-t', `${timeout}s`, '--stop-delay', `${timeout + longer}s`],
    env: {},
    names: '--stop-delay',
  })),
);

/** Valid flags before the bad part, each with the variable it overrides (the command line wins over it). */
const GOOD_FLAGS: Array<[string[], string]> = [
  [['-g'], 'GRACIE_PROCESS_GROUP'],
  [['-s'], 'GRACIE_SUBREAPER'],
  [['--no-subreaper'], 'GRACIE_SUBREAPER'],
  [['-w'], ''],
  [['-t', '25s'], 'GRACIE_STOP_TIMEOUT'],
  [['--log-format=json'], 'GRACIE_LOG_FORMAT'],
  [['-e', '143'], 'GRACIE_SUCCESS_EXIT'],
];

const badInput = fc
  .tuple(fc.subarray(GOOD_FLAGS, { maxLength: 3 }), fc.oneof(badOption, badVariable, unknownFlag, contradiction))
  .map(([good, bad]): BadInput => {
    // A flag that would override the bad variable would make the input valid: leave those out.
    const before = good.filter(([, overrides]) => !(overrides in bad.env)).flatMap(([flags]) => flags);
    return { ...bad, flags: [...before, ...bad.flags] };
  });

let cases = 0;

describe('fuzzed bad input through the real binary', () => {
  it('exits 2 with one line naming the problem; the command never runs (40 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(badInput, async ({ flags, env, names }) => {
        const marker = join(scratch, `ran-${++cases}`);
        // Only the case's own GRACIE_* variables: none inherited from whoever runs the tests.
        const environ = { ...Object.fromEntries(ALL_VARIABLES.map((name) => [name, undefined])), ...env };
        const ended = await gracie([...flags, '--', 'sh', '-c', `touch '${marker}'`], { env: environ }).exit();
        const lines = ended.stderr.split('\n').filter((line) => line !== '');
        expect({ code: ended.code, signal: ended.signal, stdout: ended.stdout }).toEqual({ code: 2, signal: null, stdout: '' });
        expect(lines).toHaveLength(1);
        expect(ended.stderr).toBe(`${lines[0]}\n`);
        expect(lines[0]).toMatch(/^gracie: \S/);
        expect(lines[0]).not.toContain('    at ');
        expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        expect(lines[0]).toContain(names);
        expect(existsSync(marker)).toBe(false);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
