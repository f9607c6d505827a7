import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseWithCommander, VERSION, type CliResult } from '../../src/cli';
import type { CliValues } from '../../src/config';
import { UsageError } from '../../src/errors';

const DEFAULTS: CliValues = { rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false };

/** Parses in-process and records everything written. */
function parse(args: string[]): { result: CliResult; written: string[] } {
  const written: string[] = [];
  const result = parseCommandLine(args, (text) => void written.push(text));
  return { result, written };
}

/** Parses a command line that must run; returns its values and command, and checks nothing was written. */
function run(args: string[]): { values: CliValues; command: string[] } {
  const { result, written } = parse(args);
  expect(written).toEqual([]);
  if (result.kind !== 'run') throw new Error(`expected kind 'run', got ${JSON.stringify(result)}`);
  return { values: result.values, command: result.command };
}

/** Parses a command line that must fail; returns the UsageError's message, and checks nothing was written. */
function usageMessage(args: string[]): string {
  const written: string[] = [];
  try {
    parseCommandLine(args, (text) => void written.push(text));
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect(written).toEqual([]);
    return (error as UsageError).message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(args)}, but nothing was thrown`);
}

describe('the command and its arguments', () => {
  it("stops at the command: `gracie nginx -g 'daemon off;'` passes -g to nginx", () => {
    expect(run(['nginx', '-g', 'daemon off;'])).toEqual({ values: DEFAULTS, command: ['nginx', '-g', 'daemon off;'] });
  });

  it("passes gracie's own option names after the command through", () => {
    expect(run(['-g', 'app', '-g', '--stop-timeout', '5', '-v', '--help', '-V', '--'])).toEqual({
      values: { ...DEFAULTS, processGroup: true },
      command: ['app', '-g', '--stop-timeout', '5', '-v', '--help', '-V', '--'],
    });
  });

  it('`--` ends the options: `gracie -- -x`', () => {
    expect(run(['--', '-x'])).toEqual({ values: DEFAULTS, command: ['-x'] });
    expect(run(['-g', '--', '--help', '-h'])).toEqual({ values: { ...DEFAULTS, processGroup: true }, command: ['--help', '-h'] });
    expect(run(['--', 'cmd', '--', 'x'])).toEqual({ values: DEFAULTS, command: ['cmd', '--', 'x'] });
  });

  it('keeps arguments with spaces, quotes, unicode and empty strings unchanged', () => {
    const args = ['sh', '-c', 'echo "a b" \'c\'', 'ünïcødé ✓', '', '  '];
    expect(run(['--', ...args]).command).toEqual(args);
  });
});

describe('options', () => {
  it('reads every option in its long form', () => {
    const { values, command } = run([
      '--stop-signal',
      'QUIT',
      '--rewrite',
      'USR1:none',
      '--stop-timeout',
      '25s',
      '--stop-delay',
      '5s',
      '--process-group',
      '--no-subreaper',
      '--parent-death-signal',
      'KILL',
      '--success-exit',
      '143',
      '--warn-on-reap',
      '--verbose',
      '--log-format',
      'pretty',
      'app',
    ]);
    expect(values).toEqual({
      stopSignal: 'QUIT',
      rewrite: ['USR1:none'],
      stopTimeout: '25s',
      stopDelay: '5s',
      processGroup: true,
      subreaper: false,
      parentDeathSignal: 'KILL',
      successExit: ['143'],
      verbose: 1,
      quiet: 0,
      logFormat: 'pretty',
      warnOnReap: true,
    });
    expect(command).toEqual(['app']);
  });

  it('reads every option in its short form', () => {
    const { values } = run(['-r', 'HUP:QUIT', '-t', '3s', '-g', '-s', '-p', 'HUP', '-e', '1', '-w', '-q', 'app']);
    expect(values).toEqual({
      ...DEFAULTS,
      rewrite: ['HUP:QUIT'],
      stopTimeout: '3s',
      processGroup: true,
      subreaper: true,
      parentDeathSignal: 'HUP',
      successExit: ['1'],
      warnOnReap: true,
      quiet: 1,
    });
  });

  it('accepts --option=value and -ovalue', () => {
    expect(run(['--stop-timeout=5s', 'app']).values.stopTimeout).toBe('5s');
    expect(run(['--stop-signal=SIGQUIT', 'app']).values.stopSignal).toBe('SIGQUIT');
    expect(run(['-t5s', 'app']).values.stopTimeout).toBe('5s');
    expect(run(['--success-exit=2', 'app']).values.successExit).toEqual(['2']);
  });

  it('leaves values unvalidated (config.ts validates them)', () => {
    expect(run(['-t', '10x', '--stop-signal', 'SIGFOO', 'app']).values).toEqual({ ...DEFAULTS, stopTimeout: '10x', stopSignal: 'SIGFOO' });
  });

  it('collects repeated -r and -e in order', () => {
    const { values } = run(['-r', 'TERM:QUIT', '--rewrite', 'USR1:none', '-r', '15:3', '-e', '143', '--success-exit=137', '-e', '0', 'app']);
    expect(values.rewrite).toEqual(['TERM:QUIT', 'USR1:none', '15:3']);
    expect(values.successExit).toEqual(['143', '137', '0']);
  });

  it.each<[string[], number, number]>([
    [['-v'], 1, 0],
    [['-vv'], 2, 0],
    [['-v', '-v'], 2, 0],
    [['-vv', '-v'], 3, 0],
    [['--verbose', '--verbose'], 2, 0],
    [['-q'], 0, 1],
    [['-qqq'], 0, 3],
    [['-q', '--quiet'], 0, 2],
    [['-vq'], 1, 1],
  ])('counts %j as verbose %i, quiet %i', (flags, verbose, quiet) => {
    const { values } = run([...flags, 'app']);
    expect([values.verbose, values.quiet]).toEqual([verbose, quiet]);
  });

  it('subreaper: --no-subreaper is false, -s is true, neither is undefined', () => {
    expect(run(['--no-subreaper', 'app']).values.subreaper).toBe(false);
    expect(run(['-s', 'app']).values.subreaper).toBe(true);
    expect(run(['--subreaper', 'app']).values.subreaper).toBe(true);
    expect(run(['app']).values.subreaper).toBeUndefined();
  });

  it('leaves every unset option undefined, so the environment can supply it', () => {
    const { values } = run(['app']);
    expect(values.stopSignal).toBeUndefined();
    expect(values.stopTimeout).toBeUndefined();
    expect(values.stopDelay).toBeUndefined();
    expect(values.processGroup).toBeUndefined();
    expect(values.parentDeathSignal).toBeUndefined();
    expect(values.logFormat).toBeUndefined();
    expect(values.warnOnReap).toBe(false);
  });
});

describe('tini compatibility', () => {
  it('accepts `-s -g -e 143 -- cmd`', () => {
    expect(run(['-s', '-g', '-e', '143', '--', 'java', '-jar', 'app.jar'])).toEqual({
      values: { ...DEFAULTS, subreaper: true, processGroup: true, successExit: ['143'] },
      command: ['java', '-jar', 'app.jar'],
    });
  });

  it('accepts -w (warn on reap)', () => {
    expect(run(['-w', '--', 'cmd']).values).toEqual({ ...DEFAULTS, warnOnReap: true });
    expect(run(['-sgw', 'cmd']).values).toEqual({ ...DEFAULTS, subreaper: true, processGroup: true, warnOnReap: true });
  });
});

describe('help and version', () => {
  it.each([['-h'], ['--help']])('%s prints help with the examples and variables, and is done', (flag) => {
    const { result, written } = parse([flag]);
    expect(result).toEqual({ kind: 'done' });
    const help = written.join('');
    expect(help).toContain('Usage: gracie [options] [--] <command> [args...]');
    expect(help).toContain('Examples:');
    expect(help).toContain("gracie --stop-signal SIGQUIT -- nginx -g 'daemon off;'");
    expect(help).toContain('gracie -s -g -e 143 -- java -jar app.jar');
    for (const variable of [
      'GRACIE_STOP_SIGNAL',
      'GRACIE_REWRITE',
      'GRACIE_STOP_TIMEOUT',
      'GRACIE_STOP_DELAY',
      'GRACIE_PROCESS_GROUP',
      'GRACIE_SUBREAPER',
      'GRACIE_PARENT_DEATH_SIGNAL',
      'GRACIE_SUCCESS_EXIT',
      'GRACIE_LOG_LEVEL',
      'GRACIE_LOG_FORMAT',
    ]) {
      expect(help).toContain(variable);
    }
    for (const option of [
      '--stop-signal <sig>',
      '-r, --rewrite',
      '-t, --stop-timeout <dur>',
      '--stop-delay <dur>',
      '-g, --process-group',
      '-s, --subreaper',
      '--no-subreaper',
      '-p, --parent-death-signal <sig>',
      '-e, --success-exit <code>',
      '-w, --warn-on-reap',
      '-v, --verbose',
      '-q, --quiet',
      '--log-format',
      '-V, --version',
      '-h, --help',
    ]) {
      expect(help).toContain(option);
    }
  });

  it('help wins over a missing command', () => {
    expect(parse(['-g', '-h']).result).toEqual({ kind: 'done' });
  });

  it.each([['-V'], ['--version']])('%s prints the version and is done', (flag) => {
    const { result, written } = parse([flag]);
    expect(result).toEqual({ kind: 'done' });
    expect(written).toEqual([`${VERSION}\n`]);
    expect(VERSION).toBe('dev');
  });
});

describe('usage errors: UsageError, exit 2, one line naming the option', () => {
  it.each([
    [['--bogus', 'cmd'], "unknown option '--bogus' (see gracie --help for the options)"],
    [['-x', 'cmd'], "unknown option '-x' (see gracie --help for the options)"],
    [['-Z'], "unknown option '-Z' (see gracie --help for the options)"],
  ])('%j: unknown option', (args, message) => {
    expect(usageMessage(args)).toBe(message);
  });

  // commander reads these as negative numbers, i.e. as the command; they ran as `-5` and ended in 127.
  it.each([[['-5', 'app']], [['-g', '-.5', 'app']], [['-', 'app']]])('%j: a command starting with - must follow --', (args) => {
    expect(usageMessage(args)).toMatch(/^unknown option '-[.5]*' \(see gracie --help for the options; a command starting with '-' goes after --\)$/);
  });

  it('after --, a command starting with - is the command', () => {
    expect(run(['-g', '--', '-5', 'x']).command).toEqual(['-5', 'x']);
  });

  it.each([
    [['-t'], "option '-t, --stop-timeout <dur>' argument missing (see gracie --help)"],
    [['--stop-timeout'], "option '-t, --stop-timeout <dur>' argument missing (see gracie --help)"],
    [['--stop-signal'], "option '--stop-signal <sig>' argument missing (see gracie --help)"],
    [['--stop-delay'], "option '--stop-delay <dur>' argument missing (see gracie --help)"],
    [['-r'], "option '-r, --rewrite <from:to>' argument missing (see gracie --help)"],
    [['-e'], "option '-e, --success-exit <code>' argument missing (see gracie --help)"],
    [['-p'], "option '-p, --parent-death-signal <sig>' argument missing (see gracie --help)"],
    [['--log-format'], "option '--log-format <format>' argument missing (see gracie --help)"],
  ])('%j: missing option argument', (args, message) => {
    expect(usageMessage(args)).toBe(message);
  });

  it.each([[[]], [['-g']], [['--']], [['-v', '-t', '5s', '--']]])('%j: missing command', (args) => {
    expect(usageMessage(args)).toBe('missing command: usage is gracie [options] [--] <command> [args...] (see gracie --help)');
  });

  it.each([[['--bogus', 'cmd']], [['-t']], [[]], [['-g', '--frobnicate']]])('%j: the message is a single line', (args) => {
    expect(usageMessage(args)).not.toContain('\n');
  });

  it('rejects a value given to a flag that takes none', () => {
    const message = usageMessage(['--process-group=yes', 'cmd']);
    expect(message).toContain("'--process-group=yes'");
  });
});

describe('-h is read in its turn, like -V (fuzzing, #6)', () => {
  it.each([
    [['--bogus', '--', 'app', '--help']],
    [['--bogus', 'app', '-h']],
    [['-x', '--', '-h']],
    [['--process-group=yes', 'app', '-h']],
  ])("%j: an unknown option stays an error when the command's arguments hold -h", (args) => {
    expect(usageMessage(args)).toMatch(/^unknown option '(--bogus|-x|--process-group=yes)' \(see gracie --help for the options\)$/);
  });

  it.each([[['-hg', 'app']], [['-ghv', 'app']], [['-gh']]])('%j: -h inside a cluster of flags is help', (args) => {
    const { result, written } = parse(args);
    expect(result).toEqual({ kind: 'done' });
    expect(written.join('')).toContain('Usage: gracie [options] [--] <command> [args...]');
  });

  it('-h given as the value of an option is that value', () => {
    expect(run(['-t', '-h', 'app']).values.stopTimeout).toBe('-h');
  });
});

describe('commander suggestions stay on one line', () => {
  it('a near-miss option names the option and the suggestion in one line', () => {
    expect(usageMessage(['--stop-timout', '5', 'cmd'])).toBe(
      "unknown option '--stop-timout' (Did you mean --stop-timeout?) (see gracie --help for the options)",
    );
  });
  it('control characters in an unknown flag are shown escaped, on the one line (fuzzing, #6)', () => {
    expect(usageMessage(['--bo\ngus', 'cmd'])).toBe("unknown option '--bo\\ngus' (see gracie --help for the options)");
    expect(usageMessage(['-x\r\u001b[2J', 'cmd'])).toBe("unknown option '-x\\r\\x1b[2J' (see gracie --help for the options)");
  });
  it('help shows no "(default: [])" for the repeatable options', () => {
    const { written } = parse(['--help']);
    expect(written.join('')).not.toContain('(default: [])');
  });
});

describe('the fast path without commander', () => {
  it.each([
    [['--', 'nginx', '-g', 'daemon off;']],
    [['nginx', '-g', 'daemon off;']],
    [['--', '-weird-command', '--', 'x']],
    [['sh', '-c', 'exit 3', '--stop-timeout', '5']],
    [['--', '']],
  ])('%j parses exactly as commander parses it', (args) => {
    const write = (): void => {};
    expect(parseCommandLine(args, write)).toEqual(parseWithCommander(args, write));
  });
});
