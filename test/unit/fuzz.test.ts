// Property-based tests (issue #6, "fuzzed input"). Whatever the command line and the GRACIE_* environment hold,
// gracie's front end (parseCommandLine, then resolveConfig: all that main() runs before it spawns anything) gives
// either the configuration the contract describes or a UsageError of one clear line naming the option or
// variable, the value and the accepted forms. Any other exception fails the property.
//
// The expected outcome comes from an oracle written here from README.md and the CLI contract, not from src/: its
// own signal table, exact duration arithmetic (BigInt) and precedence rules. Command lines are generated from
// gracie's option vocabulary together with what each piece means (`-gt5s` is -g, then --stop-timeout 5s), so the
// oracle never has to parse argv the way commander does.
//
// main() is not called: importing it installs gracie's signal listeners in the test worker, and on valid input
// it spawns. test/e2e/usage-fuzz.test.ts sends bad input through the real binary instead.
//
// Cases per run: 4,000 + 2,000 + 3,000 + 1,000 = 10,000 (NUM_RUNS). No fixed seed, so each run explores new
// cases; on failure fast-check prints the seed and path that replay the shrunk counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, VERSION } from '../../src/cli';
import { resolveConfig, type CliValues, type Config, type Env } from '../../src/config';
import { UsageError } from '../../src/errors';

const NUM_RUNS = { vocabulary: 4_000, environment: 2_000, arbitrary: 3_000, command: 1_000 } as const;

// ---------------------------------------------------------------------------------------------------------------
// The oracle: what the contract says a command line and an environment mean.
// ---------------------------------------------------------------------------------------------------------------

/** Linux signal numbers (x86_64 and arm64), as the other unit tests assume. */
// prettier-ignore
const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
  // Real-time signals as glibc numbers them (32 and 33 are its own), in every form `kill -l` knows.
  RTMIN: 34, 'RTMIN+1': 35, 'RTMIN+3': 37, 'RTMIN+15': 49, 'RTMAX-14': 50, 'RTMAX-2': 62, RTMAX: 64,
};
const NUMBERS = new Set([...Object.values(SIGNALS), ...Array.from({ length: 31 }, (_, i) => 34 + i)]);
/** README, "Signals that are never forwarded": KILL STOP CHLD, the synchronous faults, PIPE. */
const NEVER_FORWARDED = new Set([9, 19, 17, 4, 5, 6, 7, 8, 11, 31, 13]);
const SIGTERM = 15;

const LEVELS = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;
const MAX_MS = 2n ** 31n - 1n;
const UNIT_MS: Readonly<Record<string, bigint>> = { '': 1000n, ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

const SIGNAL_FORMS = 'expected a signal name or number such as SIGQUIT, QUIT, quit or 3, or SIGRTMIN+3, RTMIN+3 or SIGRTMAX-2';
const DURATION_FORMS = 'expected a duration such as 500ms, 10s, 2m, 1h or a number of seconds';
const BOOLEAN_FORMS = 'expected 1, true, yes, on or 0, false, no, off';
const EXIT_FORMS = 'expected an exit code from 0 to 255';
const LEVEL_FORMS = 'expected one of silent, error, warn, info, debug, trace';
const FORMAT_FORMS = 'expected json or pretty';
const REWRITE_FORMS = 'expected <from>:<to>';

/** One thing wrong with the input; a usage message must name one of them: what, 'value' and the hint. */
interface Problem {
  what: string;
  value?: string;
  hint: string[];
}

/** The fields of a Config, in a comparable shape. */
interface Expected {
  command: string[];
  rewrite: Array<[number, number]>;
  stopTimeoutMs: number;
  stopDelayMs: number;
  processGroup: boolean;
  subreaper: boolean;
  parentDeathSignal: number | null;
  successExit: number[];
  warnOnReap: boolean;
  logLevel: string;
  logFormat: string;
  ffi: boolean;
}

type Outcome = { kind: 'config'; config: Expected } | { kind: 'usage'; problems: Problem[] } | { kind: 'done'; what: 'help' | 'version' };

/** A value in a usage message: one line, control characters escaped as in a JavaScript string literal. */
function shown(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.charCodeAt(0);
    return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** SIGQUIT, QUIT, quit, sigquit or 3 (surrounding blanks allowed); undefined if none of those. */
function signalOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) return NUMBERS.has(Number(trimmed)) ? Number(trimmed) : undefined;
  const upper = trimmed.toUpperCase();
  const bare = upper.startsWith('SIG') ? upper.slice(3) : upper;
  return Object.hasOwn(SIGNALS, bare) ? SIGNALS[bare] : undefined;
}

/** 500ms, 10s, 2m, 1h or bare seconds, with a decimal part allowed; exact arithmetic, rounded half up. */
function durationOf(source: Sourced, problems: Problem[]): number | undefined {
  const match = /^(?:([0-9]+)(?:\.([0-9]+))?|\.([0-9]+))(ms|s|m|h)?$/.exec(source.value.trim());
  const fail = (hint: string): undefined => void problems.push({ what: source.what, value: source.value, hint: [hint] });
  if (!match) return fail(DURATION_FORMS);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? match[3] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const exact = (BigInt(whole) * scale + BigInt(fraction || '0')) * UNIT_MS[match[4] ?? ''];
  const ms = (2n * exact + scale) / (2n * scale);
  if (ms === 0n && exact !== 0n) return fail('must be 0 or at least 1ms');
  if (ms > MAX_MS) return fail('must be at most');
  return Number(ms);
}

interface Sourced {
  value: string;
  what: string;
}

/** The command line wins; an empty variable counts as unset. */
function given(cliValue: string | undefined, flag: string, env: Env, variable: string): Sourced | undefined {
  if (cliValue !== undefined) return { value: cliValue, what: flag };
  const fromEnv = env[variable];
  return fromEnv ? { value: fromEnv, what: variable } : undefined;
}

/** A repeatable option's values, else the variable's comma list (items trimmed; a blank variable is no list). */
function listOf(cliValues: string[], flag: string, env: Env, variable: string): Sourced[] {
  if (cliValues.length > 0) return cliValues.map((value) => ({ value, what: flag }));
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((item) => ({ value: item.trim(), what: variable }));
}

function booleanOf(env: Env, variable: string, problems: Problem[]): boolean | undefined {
  const raw = env[variable];
  if (!raw) return undefined;
  const word = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(word)) return true;
  if (['0', 'false', 'no', 'off'].includes(word)) return false;
  problems.push({ what: variable, value: raw, hint: [BOOLEAN_FORMS] });
  return undefined;
}

/** What resolveConfig must give for these command-line values, command and environment. */
function expectedConfig(cli: CliValues, command: string[], env: Env, stderrIsTTY: boolean): Outcome {
  const problems: Problem[] = [];

  const timeoutSource = given(cli.stopTimeout, '--stop-timeout', env, 'GRACIE_STOP_TIMEOUT');
  const delaySource = given(cli.stopDelay, '--stop-delay', env, 'GRACIE_STOP_DELAY');
  const stopTimeoutMs = timeoutSource ? durationOf(timeoutSource, problems) : 10_000;
  const stopDelayMs = delaySource ? durationOf(delaySource, problems) : 0;
  // The delay counts inside the timeout (0 = never escalate), so it must be shorter.
  if (delaySource && stopTimeoutMs !== undefined && stopDelayMs !== undefined && stopTimeoutMs !== 0 && stopDelayMs >= stopTimeoutMs) {
    problems.push({ what: delaySource.what, value: delaySource.value, hint: ['must be shorter'] });
  }

  const rewrite = new Map<number, number>();
  let rewritesValid = true;
  for (const { value, what } of listOf(cli.rewrite, '--rewrite', env, 'GRACIE_REWRITE')) {
    const bad = (...hint: string[]): void => {
      problems.push({ what, value, hint });
      rewritesValid = false;
    };
    const parts = value.split(':');
    if (parts.length !== 2 || parts[0].trim() === '' || parts[1].trim() === '') {
      bad(REWRITE_FORMS);
      continue;
    }
    const from = signalOf(parts[0]);
    const lowerTo = parts[1].trim().toLowerCase();
    const to = lowerTo === '0' || lowerTo === 'none' ? 0 : signalOf(parts[1]);
    if (from === undefined) bad(`source signal '${shown(parts[0])}'`, SIGNAL_FORMS);
    else if (NEVER_FORWARDED.has(from)) bad('gracie never forwards');
    else if (rewrite.has(from)) bad('rewritten twice');
    else if (to === undefined) bad(`target signal '${shown(parts[1])}'`, SIGNAL_FORMS, '0/none');
    else rewrite.set(from, to);
  }
  // --stop-signal is shorthand for --rewrite TERM:<sig>: the command line beats the environment, and two different
  // statements at the same level contradict each other.
  const stop = given(cli.stopSignal, '--stop-signal', env, 'GRACIE_STOP_SIGNAL');
  if (stop) {
    const stopSignal = signalOf(stop.value);
    if (stopSignal === undefined) problems.push({ what: stop.what, value: stop.value, hint: [SIGNAL_FORMS] });
    else if (rewritesValid) {
      const viaRewrite = rewrite.get(SIGTERM);
      const stopFromCli = stop.what === '--stop-signal';
      const rewriteFromCli = cli.rewrite.length > 0;
      if (viaRewrite === undefined || viaRewrite === stopSignal || (stopFromCli && !rewriteFromCli)) rewrite.set(SIGTERM, stopSignal);
      else if (stopFromCli === rewriteFromCli) problems.push({ what: stop.what, value: stop.value, hint: ['conflicts with'] });
    }
  }

  const processGroup = cli.processGroup ?? booleanOf(env, 'GRACIE_PROCESS_GROUP', problems) ?? false;
  const subreaper = cli.subreaper ?? booleanOf(env, 'GRACIE_SUBREAPER', problems) ?? true;
  const ffi = booleanOf(env, 'GRACIE_FFI', problems) ?? true;

  let parentDeathSignal: number | null = null;
  const pdeath = given(cli.parentDeathSignal, '--parent-death-signal', env, 'GRACIE_PARENT_DEATH_SIGNAL');
  if (pdeath && !['none', '0'].includes(pdeath.value.trim().toLowerCase())) {
    const signal = signalOf(pdeath.value);
    if (signal === undefined) problems.push({ what: pdeath.what, value: pdeath.value, hint: [SIGNAL_FORMS] });
    else if (NEVER_FORWARDED.has(signal)) problems.push({ what: pdeath.what, value: pdeath.value, hint: ['gracie cannot act on'] });
    else parentDeathSignal = signal;
  }

  const successExit = new Set<number>();
  for (const { value, what } of listOf(cli.successExit, '--success-exit', env, 'GRACIE_SUCCESS_EXIT')) {
    if (/^[0-9]{1,3}$/.test(value) && Number(value) <= 255) successExit.add(Number(value));
    else problems.push({ what, value, hint: [EXIT_FORMS] });
  }

  // -v and -q step from info; the command line wins over GRACIE_LOG_LEVEL.
  let logLevel: string = 'info';
  if (cli.verbose > 0 && cli.quiet > 0) problems.push({ what: '-v and -q', hint: ['together'] });
  else if (cli.verbose > 0) logLevel = LEVELS[Math.min(3 + cli.verbose, 5)];
  else if (cli.quiet > 0) logLevel = LEVELS[Math.max(3 - cli.quiet, 0)];
  else if (env.GRACIE_LOG_LEVEL) {
    const level = LEVELS.find((name) => name === env.GRACIE_LOG_LEVEL?.trim().toLowerCase());
    if (level) logLevel = level;
    else problems.push({ what: 'GRACIE_LOG_LEVEL', value: env.GRACIE_LOG_LEVEL, hint: [LEVEL_FORMS] });
  }

  let logFormat = stderrIsTTY ? 'pretty' : 'json';
  const format = given(cli.logFormat, '--log-format', env, 'GRACIE_LOG_FORMAT');
  if (format) {
    const word = format.value.trim().toLowerCase();
    if (word === 'json' || word === 'pretty') logFormat = word;
    else problems.push({ what: format.what, value: format.value, hint: [FORMAT_FORMS] });
  }

  // An empty program name can never run.
  if (command[0] === '') problems.push({ what: 'invalid command', value: '', hint: ['non-empty'] });

  if (problems.length > 0) return { kind: 'usage', problems };
  return {
    kind: 'config',
    config: {
      command,
      rewrite: [...rewrite.entries()].sort(([a], [b]) => a - b),
      stopTimeoutMs: stopTimeoutMs as number,
      stopDelayMs: stopDelayMs as number,
      processGroup,
      subreaper,
      parentDeathSignal,
      successExit: [...successExit].sort((a, b) => a - b),
      warnOnReap: cli.warnOnReap,
      logLevel,
      logFormat,
      ffi,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Command lines built from the option vocabulary, each piece with what it means.
// ---------------------------------------------------------------------------------------------------------------

type ValueKey = 'stopSignal' | 'rewrite' | 'stopTimeout' | 'stopDelay' | 'parentDeathSignal' | 'successExit' | 'logFormat';
type FlagKey = 'processGroup' | 'subreaperOn' | 'subreaperOff' | 'warnOnReap' | 'verbose' | 'quiet';

type Effect =
  | { kind: 'value'; key: ValueKey; value: string }
  | { kind: 'flag'; key: FlagKey }
  | { kind: 'done'; what: 'help' | 'version' }
  | { kind: 'unknown'; reported: string }
  | { kind: 'missing'; long: string };

interface Piece {
  args: string[];
  effects: Effect[];
}

/** The words after the options: the command and its arguments, or null when there is none. */
interface Tail {
  args: string[];
  command: string[] | null;
  effects: Effect[];
}

const NUL_FREE = (text: string): string => text.replaceAll('\0', ''); // argv and environ cannot hold NUL

/** Anything: printable ASCII, control characters and Latin-1, any Unicode, and a few awkward classics. */
const anyText = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 8 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('', ' ', '\t', '\n', 'a\nb', 'x\r', '\u2028', '\u001b[2J', '\u0085', 'ünï', '✓', '🙂', '--', '-', '='),
    },
  )
  .map(NUL_FREE);

/** Blanks around a value, which every reader trims. */
const padded = (arbitrary: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('', '', '', ' ', '\t', '\n ', '\u00a0'), arbitrary, fc.constantFrom('', '', '', ' ', '\n', ' \t')).map(
    ([before, value, after]) => before + value + after,
  );

/** Valid spellings and invalid ones of one kind of value; each property mixes them in its own proportion. */
interface Values {
  valid: fc.Arbitrary<string>;
  invalid: fc.Arbitrary<string>;
}

/** `invalid`: weight of invalid values, and again of random text, against 20 for valid ones (0: valid only). */
function drawn(values: Values, invalid: number): fc.Arbitrary<string> {
  if (invalid === 0) return values.valid;
  return fc.oneof(
    { weight: 20, arbitrary: values.valid },
    { weight: invalid, arbitrary: values.invalid },
    { weight: invalid, arbitrary: anyText },
  );
}

const spellings = (names: string[]): fc.Arbitrary<string> =>
  padded(
    fc.constantFrom(...names).chain((name) =>
      fc.constantFrom(
        `SIG${name}`,
        name,
        name.toLowerCase(),
        `sig${name.toLowerCase()}`,
        `Sig${name[0]}${name.slice(1).toLowerCase()}`,
        String(SIGNALS[name]),
        `00${SIGNALS[name]}`,
      ),
    ),
  );
const NAMES = Object.keys(SIGNALS);
const FORWARDED_NAMES = NAMES.filter((name) => !NEVER_FORWARDED.has(SIGNALS[name]));
const anySignal = spellings(NAMES);
const forwardedSignal = spellings(FORWARDED_NAMES);
const neverForwarded = spellings(NAMES.filter((name) => NEVER_FORWARDED.has(SIGNALS[name])));
/** The usual suspects, so that --stop-signal and a TERM rewrite meet (agree or conflict) often. */
const stopSignals = fc.oneof({ weight: 1, arbitrary: spellings(['TERM', 'QUIT', 'USR1']) }, { weight: 2, arbitrary: anySignal });
const dropped = padded(fc.constantFrom('0', 'none', 'NONE', 'None'));
const badSignal = fc.oneof(
  fc.oneof(fc.integer({ min: 32, max: 33 }), fc.integer({ min: 65, max: 70 })).map(String),
  fc.constantFrom('0', '', ' ', 'SIG', 'SIGFOO', 'TERMS', 'SIGSIGTERM', '-15', '+15', '15.0', '1e1', '99999999999999999999', 'TE RM'),
  fc.constantFrom('SIGRTMIN-1', 'RTMAX+1', 'RTMIN+31', 'SIGRTMAX-31', 'RTMIN+', 'RTMIN3', 'RTMIN +3', 'RTMID', 'SIGRTMIN+003'),
);

const SIGNAL: Values = { valid: stopSignals, invalid: fc.oneof(badSignal, dropped) };
const PARENT_DEATH: Values = {
  valid: fc.oneof(forwardedSignal, dropped),
  invalid: fc.oneof(badSignal, neverForwarded, padded(fc.constant('00'))),
};
const REWRITE: Values = {
  valid: fc
    .tuple(
      fc.oneof({ weight: 1, arbitrary: spellings(['TERM']) }, { weight: 6, arbitrary: forwardedSignal }),
      fc.oneof({ weight: 4, arbitrary: stopSignals }, { weight: 1, arbitrary: dropped }),
    )
    .map(([from, to]) => `${from}:${to}`),
  invalid: fc.oneof(
    fc.tuple(fc.oneof(badSignal, neverForwarded, forwardedSignal), fc.oneof(badSignal, anySignal)).map(([from, to]) => `${from}:${to}`),
    fc.constantFrom('TERM', 'TERM:QUIT:HUP', ':QUIT', 'TERM:', ' : ', '', 'TERM=QUIT', 'TERM:QUIT,USR1:none', 'TERM;QUIT'),
  ),
};

const digits = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });
/** `<whole>[.<fraction>]<unit>`. Up to 3 decimals: the sub-millisecond rounding of longer fractions follows binary
 * floating point, which the contract does not describe. */
const duration = (whole: fc.Arbitrary<number>, units: string[]): fc.Arbitrary<string> =>
  fc
    .tuple(whole, fc.option(digits(1, 3), { freq: 3 }), fc.constantFrom(...units))
    .map(([n, fraction, u]) => `${n}${fraction === null ? '' : `.${fraction}`}${u}`);
const badDuration = fc.oneof(
  fc.constantFrom('2147483648ms', '2147483.648s', '2147484', '596.524h', '35792m', '24d', '0.4ms', '0.0004s', '1.', '.', '1e3', '-1', '+1', '5S'),
  fc.constantFrom('5 s', '5sec', '1h30m', 'ms', 's', 'Infinity', 'NaN', '0x10', '١٠', '10x', '', ' '),
  // Tiny but not zero: it must not become 0, which means "never" for --stop-timeout.
  fc.tuple(fc.integer({ min: 8, max: 400 }), fc.integer({ min: 1, max: 999 }), fc.constantFrom('', 'ms', 's', 'm', 'h')).map(
    ([zeros, d, u]) => `0.${'0'.repeat(zeros)}${d}${u}`,
  ),
  // Far too long, with more digits than a double holds.
  fc.tuple(fc.integer({ min: 10, max: 400 }), fc.constantFrom('', 'ms', 's', 'm', 'h')).map(([length, u]) => `${'9'.repeat(length)}${u}`),
);
const TIMEOUT: Values = {
  valid: padded(
    fc.oneof(
      { weight: 6, arbitrary: duration(fc.integer({ min: 1, max: 120 }), ['', 's', 'm']) },
      { weight: 2, arbitrary: duration(fc.integer({ min: 1, max: 2_000_000 }), ['ms', 's']) },
      { weight: 2, arbitrary: fc.constantFrom('0', '0s', '0ms', '.5', '007', '2147483647ms', '2147483.647s', '35791.394m', '596.523h') },
    ),
  ),
  invalid: badDuration,
};
/** Mostly shorter than the usual timeouts: a delay must fit inside the stop budget. */
const DELAY: Values = {
  valid: padded(
    fc.oneof(
      duration(fc.integer({ min: 0, max: 9 }), ['', 's']),
      duration(fc.integer({ min: 0, max: 5000 }), ['ms']),
      fc.tuple(digits(1, 3), fc.constantFrom('', 's', 'm')).map(([fraction, u]) => `.${fraction}${u}`),
      fc.constantFrom('0', '0.5ms'),
    ),
  ),
  // Bad, or as long as the default timeout or longer (fine when a longer timeout is given too).
  invalid: fc.oneof(badDuration, fc.constantFrom('10s', '10', '1m', '2h', '2147483647ms')),
};
const EXIT: Values = {
  valid: fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.integer({ min: 0, max: 99 }).map((n) => `0${n}`)),
  invalid: fc.oneof(
    fc.integer({ min: 256, max: 1_000_000 }).map(String),
    fc.constantFrom('-1', '1.5', '0x10', ' 143', '143 ', '', '0143', '٣'),
  ),
};
const FORMAT: Values = {
  valid: padded(fc.constantFrom('json', 'pretty', 'JSON', 'Pretty')),
  invalid: fc.constantFrom('xml', 'text', ' ', 'jsonl', 'pretty!'),
};
const LEVEL: Values = {
  valid: padded(fc.constantFrom(...LEVELS, 'INFO', 'Debug', 'TRACE')),
  invalid: fc.constantFrom('verbose', 'fatal', '3', 'inf', ' ', 'warning'),
};
const BOOLEAN: Values = {
  valid: padded(fc.constantFrom('1', 'true', 'yes', 'on', '0', 'false', 'no', 'off', 'TRUE', 'Yes', 'ON', 'Off')),
  invalid: fc.constantFrom('2', '-1', 'y', 'n', 'enabled', 'disable', 'truee', '1.0', ' '),
};
/** A comma list, with blanks around the items and maybe a trailing comma (an empty, invalid item). */
const commaList = (values: Values, invalid: number): Values => {
  const list = (item: fc.Arbitrary<string>, trailing: string[]): fc.Arbitrary<string> =>
    fc
      .tuple(fc.array(item, { minLength: 1, maxLength: 3 }), fc.constantFrom(',', ', ', ' , '), fc.constantFrom(...trailing))
      .map(([items, separator, end]) => items.join(separator) + end);
  return { valid: list(values.valid, ['', ' ']), invalid: list(drawn(values, Math.max(invalid, 1)), ['', ',', ', ,']) };
};

/** A GRACIE_* environment: each variable absent, empty (= unset), or a value; and some that must be ignored. */
const environment = (invalid: number): fc.Arbitrary<Env> => {
  const value = (values: Values): fc.Arbitrary<string> =>
    fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 8, arbitrary: drawn(values, invalid) });
  return fc.record(
    {
      GRACIE_STOP_SIGNAL: value(SIGNAL),
      GRACIE_REWRITE: value(commaList(REWRITE, invalid)),
      GRACIE_STOP_TIMEOUT: value(TIMEOUT),
      GRACIE_STOP_DELAY: value(DELAY),
      GRACIE_PROCESS_GROUP: value(BOOLEAN),
      GRACIE_SUBREAPER: value(BOOLEAN),
      GRACIE_PARENT_DEATH_SIGNAL: value(PARENT_DEATH),
      GRACIE_SUCCESS_EXIT: value(commaList(EXIT, invalid)),
      GRACIE_LOG_LEVEL: value(LEVEL),
      GRACIE_LOG_FORMAT: value(FORMAT),
      GRACIE_FFI: value(BOOLEAN),
      // Not gracie's: the unprefixed word, a near miss, a lowercase name.
      GRACIE: anyText,
      GRACIE_STOP: anyText,
      gracie_stop_signal: anyText,
      PATH: fc.constant('/usr/local/bin:/usr/bin:/bin'),
    },
    { requiredKeys: [] },
  );
};

interface ValueOption {
  key: ValueKey;
  long: string;
  short?: string;
  values: Values;
}
const VALUE_OPTIONS: ValueOption[] = [
  { key: 'stopSignal', long: '--stop-signal', values: SIGNAL },
  { key: 'rewrite', long: '--rewrite', short: 'r', values: REWRITE },
  { key: 'stopTimeout', long: '--stop-timeout', short: 't', values: TIMEOUT },
  { key: 'stopDelay', long: '--stop-delay', values: DELAY },
  { key: 'parentDeathSignal', long: '--parent-death-signal', short: 'p', values: PARENT_DEATH },
  { key: 'successExit', long: '--success-exit', short: 'e', values: EXIT },
  { key: 'logFormat', long: '--log-format', values: FORMAT },
];
const FLAGS: Array<{ key: FlagKey; long: string; short?: string }> = [
  { key: 'processGroup', long: '--process-group', short: 'g' },
  { key: 'subreaperOn', long: '--subreaper', short: 's' },
  { key: 'subreaperOff', long: '--no-subreaper' },
  { key: 'warnOnReap', long: '--warn-on-reap', short: 'w' },
  { key: 'verbose', long: '--verbose', short: 'v' },
  { key: 'quiet', long: '--quiet', short: 'q' },
];
const SHORT_FLAGS = FLAGS.filter((flag) => flag.short !== undefined);
const KNOWN_SHORTS = new Set([...VALUE_OPTIONS, ...FLAGS].flatMap((option) => option.short ?? []).concat('h', 'V'));
const VALUE_LONGS = new Set(VALUE_OPTIONS.map((option) => option.long));
const ALL_LONGS = new Set([...VALUE_LONGS, ...FLAGS.map((flag) => flag.long), '--help', '--version']);

/** -g, -s, ... clustered in front of something else: `-gv` + `t5s`. */
const shortPrefix = fc.array(fc.constantFrom(...SHORT_FLAGS), { minLength: 1, maxLength: 3 }).map((flags) => ({
  letters: flags.map((flag) => flag.short).join(''),
  effects: flags.map((flag): Effect => ({ kind: 'flag', key: flag.key })),
}));

/** An option with a value, in one of its spellings: `--opt v`, `--opt=v`, `-o v`, `-ov`, `-gvo v`, `-gvov`. */
const valueOptionPiece = (invalid: number): fc.Arbitrary<Piece> =>
  fc.constantFrom(...VALUE_OPTIONS).chain((option) => {
    const forms = option.short ? ['long', 'equals', 'short', 'attached', 'cluster'] : ['long', 'equals'];
    const parts = fc.tuple(drawn(option.values, invalid), fc.constantFrom(...forms), shortPrefix, fc.boolean());
    return parts.map(([value, form, prefix, attached]): Piece => {
      const set: Effect = { kind: 'value', key: option.key, value };
      if (form === 'long') return { args: [option.long, value], effects: [set] };
      if (form === 'equals') return { args: [`${option.long}=${value}`], effects: [set] };
      if (form === 'short') return { args: [`-${option.short}`, value], effects: [set] };
      const head = `-${form === 'cluster' ? prefix.letters : ''}${option.short}`;
      const effects = form === 'cluster' ? [...prefix.effects, set] : [set];
      // `-t` + '' is `-t` alone, which takes the next word: an empty value is always a word of its own.
      const together = value !== '' && (form === 'attached' || attached);
      return { args: together ? [head + value] : [head, value], effects };
    });
  });

const flagPiece: fc.Arbitrary<Piece> = fc
  .tuple(fc.constantFrom(...FLAGS), fc.boolean())
  .map(([flag, useShort]) => ({
    args: [useShort && flag.short ? `-${flag.short}` : flag.long],
    effects: [{ kind: 'flag', key: flag.key }],
  }));

/** Clustered flags, maybe with -h or -V among them: `-sgw`, `-vvq`, `-gh`, `-ghv` (help: the rest goes unread). */
const clusterPiece: fc.Arbitrary<Piece> = fc
  .tuple(shortPrefix, fc.constantFrom('', '', '', '', '', '', 'h', 'V'), shortPrefix)
  .map(([a, middle, b]) => ({
    args: [`-${a.letters}${middle}${b.letters}`],
    effects: [...a.effects, ...(middle ? [{ kind: 'done', what: middle === 'h' ? 'help' : 'version' } as const] : []), ...b.effects],
  }));

const donePiece: fc.Arbitrary<Piece> = fc.constantFrom('-h', '--help', '-V', '--version').map((flag) => ({
  args: [flag],
  effects: [{ kind: 'done', what: flag.includes('h') ? 'help' : 'version' }],
}));

// Digits are left out on purpose: commander reads `-5` as a negative number, i.e. a word (see the report in #6).
// So is `-.5`.
const unknownLetter = fc.constantFrom(...'abcdfijklmnouxyzABCDEFGHIJKLMNOPQRSTUWXYZ', 'é', 'ß', '✓', '_', '+');
const unknown = (reported: string): Effect => ({ kind: 'unknown', reported });
const unknownPiece: fc.Arbitrary<Piece> = fc.oneof(
  fc
    .tuple(fc.constantFrom('bogus', 'stop-timout', 'process-groups', 'no-process-group', 'Stop-Signal', 'verbos', 'rewrites', 'stop', 'x'), anyText)
    .map(([word, suffix]) => `--${word}${suffix}`)
    .filter((flag) => !ALL_LONGS.has(flag) && !VALUE_LONGS.has(flag.split('=')[0]))
    .map((flag) => ({ args: [flag], effects: [unknown(flag)] })),
  fc.tuple(unknownLetter, anyText).map(([letter, suffix]) => ({
    args: [`-${letter}${suffix}`],
    effects: [unknown(`-${letter}${suffix}`)],
  })),
  fc.tuple(shortPrefix, unknownLetter, anyText).map(([prefix, letter, suffix]) => ({
    args: [`-${prefix.letters}${letter}${suffix}`],
    effects: [...prefix.effects, unknown(`-${letter}${suffix}`)],
  })),
  // A flag that takes no value, given one; and `--` with one dash too many.
  fc
    .constantFrom('--process-group=yes', '--warn-on-reap=1', '--verbose=2', '--no-subreaper=1', '--subreaper=', '--help=x', '--version=1', '---', '---stop-timeout')
    .map((flag) => ({ args: [flag], effects: [unknown(flag)] })),
);

/** Any piece of a command line before the command; `invalid` as for drawn(). */
const piece = (invalid: number): fc.Arbitrary<Piece> =>
  fc.oneof(
    { weight: 20, arbitrary: valueOptionPiece(invalid) },
    { weight: 10, arbitrary: flagPiece },
    { weight: 6, arbitrary: clusterPiece },
    { weight: 1, arbitrary: unknownPiece },
    { weight: 1, arbitrary: donePiece },
  );

/** What a command's arguments may look like: gracie's own flags included, all of it the command's. */
const FLAG_LOOKING = ['-g', '-h', '--help', '-V', '--version', '--', '-t', '5s', '--stop-timeout', '--stop-signal=QUIT', '-vq', '--bogus', '-x', '-', '-5', ''];
const commandArg = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...FLAG_LOOKING) }, { weight: 3, arbitrary: anyText });
/** A first word commander reads as the command rather than an option. */
const commandWord = fc
  .oneof(fc.constantFrom('app', 'nginx', 'sh', 'node', 'java', './run.sh', '/usr/bin/env', '-', ''), anyText)
  .filter((word) => word === '-' || !word.startsWith('-'));

const missingValueTail: fc.Arbitrary<Tail> = fc
  .tuple(fc.constantFrom(...VALUE_OPTIONS), fc.constantFrom('long', 'short', 'cluster'), shortPrefix)
  .map(([option, form, prefix]) => {
    const missing: Effect = { kind: 'missing', long: option.long };
    if (!option.short || form === 'long') return { args: [option.long], command: null, effects: [missing] };
    if (form === 'short') return { args: [`-${option.short}`], command: null, effects: [missing] };
    return { args: [`-${prefix.letters}${option.short}`], command: null, effects: [...prefix.effects, missing] };
  });

const tail = (args: fc.Arbitrary<string[]>): fc.Arbitrary<Tail> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.oneof(commandWord, commandArg), args)
        .map(([word, rest]) => ({ args: ['--', word, ...rest], command: [word, ...rest], effects: [] })),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(commandWord, args).map(([word, rest]) => ({ args: [word, ...rest], command: [word, ...rest], effects: [] })),
    },
    { weight: 1, arbitrary: fc.constantFrom<Tail>({ args: [], command: null, effects: [] }, { args: ['--'], command: null, effects: [] }) },
    { weight: 1, arbitrary: missingValueTail },
  );

/** What commander must make of the pieces: options are read in order until help, version or an error. */
function expectedParse(pieces: Piece[], end: Tail): Outcome | { kind: 'run'; values: CliValues; command: string[] } {
  const values: CliValues = { rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false };
  for (const effect of [...pieces.flatMap((p) => p.effects), ...end.effects]) {
    switch (effect.kind) {
      case 'done':
        return { kind: 'done', what: effect.what };
      case 'unknown':
        // Everything after an unknown option is left unread: a later -h or a missing value changes nothing.
        return { kind: 'usage', problems: [{ what: 'unknown option', value: effect.reported, hint: ['see gracie --help'] }] };
      case 'missing':
        return { kind: 'usage', problems: [{ what: effect.long, hint: ['argument missing'] }] };
      case 'value':
        if (effect.key === 'rewrite' || effect.key === 'successExit') values[effect.key] = [...values[effect.key], effect.value];
        else values[effect.key] = effect.value; // the last one wins
        break;
      case 'flag':
        if (effect.key === 'verbose' || effect.key === 'quiet') values[effect.key] += 1;
        else if (effect.key === 'subreaperOn' || effect.key === 'subreaperOff') values.subreaper = effect.key === 'subreaperOn';
        else values[effect.key] = true;
        break;
    }
  }
  if (end.command === null) return { kind: 'usage', problems: [{ what: 'missing command', hint: ['usage is gracie'] }] };
  // A command starting with '-' (commander reads `-` and `-5` as words) must come after `--`.
  if (end.args[0] !== '--' && end.command[0].startsWith('-')) {
    return { kind: 'usage', problems: [{ what: 'unknown option', value: end.command[0], hint: ['goes after --'] }] };
  }
  return { kind: 'run', values, command: end.command };
}

// ---------------------------------------------------------------------------------------------------------------
// Running the real front end and comparing.
// ---------------------------------------------------------------------------------------------------------------

type Actual =
  | { kind: 'config'; config: Config; values: CliValues }
  /** parsed: what the command line said, when the error came from resolveConfig */
  | { kind: 'usage'; error: UsageError; parsed?: { values: CliValues; command: string[] } }
  | { kind: 'done'; written: string };

/** parseCommandLine then resolveConfig, as main() does before anything starts. Any other exception escapes. */
function frontEnd(args: string[], env: Env, stderrIsTTY: boolean): Actual {
  let written = '';
  let parsed: { values: CliValues; command: string[] } | undefined;
  try {
    const result = parseCommandLine(args, (text) => void (written += text));
    if (result.kind === 'done') return { kind: 'done', written };
    parsed = result;
    expect(written).toBe('');
    return { kind: 'config', config: resolveConfig(result.values, result.command, env, stderrIsTTY), values: result.values };
  } catch (error) {
    if (error instanceof UsageError) {
      expect(written).toBe('');
      return { kind: 'usage', error, parsed };
    }
    throw error;
  }
}

const viewOf = (config: Config): Expected => ({
  command: [...config.command],
  rewrite: [...config.rewrite.entries()].sort(([a], [b]) => a - b),
  stopTimeoutMs: config.stopTimeoutMs,
  stopDelayMs: config.stopDelayMs,
  processGroup: config.processGroup,
  subreaper: config.subreaper,
  parentDeathSignal: config.parentDeathSignal,
  successExit: [...config.successExit].sort((a, b) => a - b),
  warnOnReap: config.warnOnReap,
  logLevel: config.logLevel,
  logFormat: config.logFormat,
  ffi: config.ffi,
});

/** One line, nothing for a terminal to interpret, no stack frame: what main() prints after "gracie: ". */
function expectOneLine(message: string): void {
  expect(message).not.toBe('');
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(message).not.toContain('    at ');
  expect(message).not.toMatch(/^(Error|UsageError|TypeError)\b/);
}

const names = (message: string, problem: Problem): boolean =>
  message.includes(problem.what) &&
  (problem.value === undefined || message.includes(`'${shown(problem.value)}'`)) &&
  problem.hint.every((hint) => message.includes(hint));

function expectUsage(error: UsageError, problems: Problem[]): void {
  expect(error.exitCode).toBe(2);
  expectOneLine(error.message);
  if (!problems.some((problem) => names(error.message, problem))) {
    throw new Error(`usage message ${JSON.stringify(error.message)} names none of the problems ${JSON.stringify(problems)}`);
  }
}

function expectOutcome(actual: Actual, expected: Outcome): void {
  if (actual.kind !== expected.kind) {
    const got =
      actual.kind === 'usage' ? actual.error.message : actual.kind === 'config' ? viewOf(actual.config) : actual.written.slice(0, 40);
    throw new Error(`expected ${JSON.stringify(expected)}, got ${actual.kind}: ${JSON.stringify(got)}`);
  }
  if (actual.kind === 'config' && expected.kind === 'config') expect(viewOf(actual.config)).toEqual(expected.config);
  if (actual.kind === 'usage' && expected.kind === 'usage') expectUsage(actual.error, expected.problems);
  if (actual.kind === 'done' && expected.kind === 'done') {
    if (expected.what === 'version') expect(actual.written).toBe(`${VERSION}\n`);
    else expect(actual.written).toContain('Usage: gracie [options] [--] <command> [args...]');
  }
}

/** The whole pipeline against the oracle, for a command line built from pieces. */
function checkPieces(pieces: Piece[], end: Tail, env: Env, stderrIsTTY: boolean): void {
  const args = [...pieces.flatMap((p) => p.args), ...end.args];
  const parse = expectedParse(pieces, end);
  const actual = frontEnd(args, env, stderrIsTTY);
  if (parse.kind !== 'run') return expectOutcome(actual, parse);
  if (actual.kind === 'config') expect(actual.values).toEqual(parse.values);
  expectOutcome(actual, expectedConfig(parse.values, parse.command, env, stderrIsTTY));
}

const commandArgs = fc.array(commandArg, { maxLength: 5 });

/** Both -v and -q: a usage error of its own, kept out where a property wants configurations. */
const verboseAndQuiet = (pieces: Piece[]): boolean => {
  const keys = pieces.flatMap((p) => p.effects).map((e) => (e.kind === 'flag' ? e.key : ''));
  return keys.includes('verbose') && keys.includes('quiet');
};

describe('fuzzed input: the intended configuration or one clear usage line, nothing else', () => {
  it(`options from gracie's vocabulary with a GRACIE_* environment (${NUM_RUNS.vocabulary} cases)`, () => {
    fc.assert(fc.property(fc.array(piece(1), { maxLength: 5 }), tail(commandArgs), environment(1), fc.boolean(), checkPieces), {
      numRuns: NUM_RUNS.vocabulary,
    });
  }, 30_000);

  it(`the environment alone, as in ENTRYPOINT ["gracie", "--"] (${NUM_RUNS.environment} cases)`, () => {
    fc.assert(
      fc.property(tail(commandArgs), environment(1), fc.boolean(), (end, env, tty) => checkPieces([], end, env, tty)),
      { numRuns: NUM_RUNS.environment },
    );
  }, 30_000);

  it(`arbitrary words and bytes in argv and the environment (${NUM_RUNS.arbitrary} cases)`, () => {
    const anyValue = fc.oneof(...[SIGNAL, REWRITE, TIMEOUT, DELAY, EXIT, FORMAT, LEVEL, BOOLEAN].map((values) => drawn(values, 3)));
    const word = fc.oneof(
      { weight: 3, arbitrary: anyText },
      { weight: 3, arbitrary: fc.constantFrom(...ALL_LONGS, ...[...KNOWN_SHORTS].map((s) => `-${s}`), '--', '-', '-gvt', '-x', '--bogus', '-5') },
      { weight: 3, arbitrary: anyValue },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VALUE_LONGS), fc.oneof(anyText, anyValue)).map(([flag, value]) => `${flag}=${value}`) },
    );
    const variable = fc.constantFrom(
      ...['STOP_SIGNAL', 'REWRITE', 'STOP_TIMEOUT', 'STOP_DELAY', 'PROCESS_GROUP', 'SUBREAPER', 'PARENT_DEATH_SIGNAL', 'SUCCESS_EXIT']
        .concat('LOG_LEVEL', 'LOG_FORMAT', 'FFI')
        .map((name) => `GRACIE_${name}`),
    );
    const list = drawn(commaList({ valid: anyValue, invalid: anyText }, 1), 1);
    const env = fc.dictionary(variable, fc.oneof(anyText, anyValue, list), { maxKeys: 3 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), env, fc.boolean(), (args, environ, tty) => {
        const actual = frontEnd(args, environ, tty);
        if (actual.kind === 'done') {
          expect(actual.written).not.toBe('');
          return;
        }
        if (actual.kind === 'usage') {
          expect(actual.error.exitCode).toBe(2);
          expectOneLine(actual.error.message);
          if (actual.parsed) {
            // From resolveConfig: the oracle knows which problems there are, given what the command line said.
            expectOutcome(actual, expectedConfig(actual.parsed.values, actual.parsed.command, environ, tty));
          } else {
            // From commander: the flag it could not read, or the missing command.
            expect(actual.error.message).toMatch(
              /^(unknown option '.+' (\(Did you mean .+\?\) )?\(see gracie --help for the options[^)]*\)|option '.+' argument missing \(see gracie --help\)|missing command: )/,
            );
          }
          return;
        }
        // A command was found: it is the tail of argv, unchanged, and the settings are what the oracle says.
        const command = [...actual.config.command];
        expect(command.length).toBeGreaterThan(0);
        expect(args.slice(args.length - command.length)).toEqual(command);
        expectOutcome(actual, expectedConfig(actual.values, command, environ, tty));
      }),
      { numRuns: NUM_RUNS.arbitrary },
    );
  }, 30_000);

  it(`the command and its arguments pass through byte for byte, flags and all (${NUM_RUNS.command} cases)`, () => {
    const validPiece = fc.oneof(
      { weight: 2, arbitrary: valueOptionPiece(0) },
      { weight: 1, arbitrary: flagPiece },
      { weight: 1, arbitrary: clusterPiece.filter((p) => p.effects.every((e) => e.kind === 'flag')) },
    );
    const manyArgs = fc.array(fc.oneof(fc.constantFrom(...FLAG_LOOKING), anyText), { minLength: 1, maxLength: 10 });
    const pieces = fc.array(validPiece, { maxLength: 4 }).filter((p) => !verboseAndQuiet(p));
    fc.assert(fc.property(pieces, tail(manyArgs), fc.constant({}), fc.boolean(), checkPieces), { numRuns: NUM_RUNS.command });
  }, 30_000);
});
