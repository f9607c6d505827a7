import { describe, expect, it } from 'vitest';
import { resolveConfig, type CliValues, type Config, type Env } from '../../src/config';
import { usageError } from './usage-error';

const SIGNAL_FORMS = 'a signal name or number such as SIGQUIT, QUIT, quit or 3, or SIGRTMIN+3, RTMIN+3 or SIGRTMAX-2';
const DURATION_FORMS = 'a duration such as 500ms, 10s, 2m, 1h or a number of seconds';
const BOOLEAN_FORMS = 'expected 1, true, yes, on or 0, false, no, off';
const REWRITE_FORMS = 'expected <from>:<to> such as TERM:QUIT, 15:3 or USR1:none';

const COMMAND = ['app', '--port', '8080'];

/** Resolves with nothing given but what the test says. */
function resolve(cli: Partial<CliValues> = {}, env: Env = {}, stderrIsTTY = false): Config {
  const values: CliValues = { rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false, ...cli };
  return resolveConfig(values, COMMAND, env, stderrIsTTY);
}

/** Runs `fn`, expects a UsageError (exit 2) and returns its message. */
const usageMessage = (fn: () => unknown): string => usageError(fn).message;

const rewriteOf = (config: Config): [number, number][] => [...config.rewrite.entries()].sort(([a], [b]) => a - b);

describe('defaults', () => {
  it('gives the documented defaults when nothing is set', () => {
    const config = resolve();
    expect(config.command).toEqual(COMMAND);
    expect(rewriteOf(config)).toEqual([]);
    expect(config.stopTimeoutMs).toBe(10_000);
    expect(config.stopDelayMs).toBe(0);
    expect(config.processGroup).toBe(false);
    expect(config.subreaper).toBe(true);
    expect(config.parentDeathSignal).toBeNull();
    expect([...config.successExit]).toEqual([]);
    expect(config.warnOnReap).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.logFormat).toBe('json');
  });

  it('logs pretty by default when stderr is a terminal, json otherwise', () => {
    expect(resolve({}, {}, true).logFormat).toBe('pretty');
    expect(resolve({}, {}, false).logFormat).toBe('json');
  });

  it('treats every empty variable as unset', () => {
    const env: Env = {
      GRACIE_STOP_SIGNAL: '',
      GRACIE_REWRITE: '',
      GRACIE_STOP_TIMEOUT: '',
      GRACIE_STOP_DELAY: '',
      GRACIE_PROCESS_GROUP: '',
      GRACIE_SUBREAPER: '',
      GRACIE_PARENT_DEATH_SIGNAL: '',
      GRACIE_SUCCESS_EXIT: '',
      GRACIE_LOG_LEVEL: '',
      GRACIE_LOG_FORMAT: '',
    };
    expect(resolve({}, env)).toEqual(resolve());
    expect(resolve({}, env, true)).toEqual(resolve({}, {}, true));
  });

  it('ignores unrelated variables', () => {
    expect(resolve({}, { PATH: '/bin', GRACIE: '1', GRACIE_STOP: 'x' })).toEqual(resolve());
  });

  it('is frozen, and so is its command, a copy of the input', () => {
    const command = ['app', 'x'];
    const config = resolveConfig({ rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false }, command, {}, false);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.command)).toBe(true);
    command.push('y');
    expect(config.command).toEqual(['app', 'x']);
    expect(() => {
      (config as { stopTimeoutMs: number }).stopTimeoutMs = 1;
    }).toThrow(TypeError);
  });

  it('passes -w through', () => {
    expect(resolve({ warnOnReap: true }).warnOnReap).toBe(true);
  });
});

describe('each option from the command line, the environment, or both (the command line wins)', () => {
  it('--stop-signal / GRACIE_STOP_SIGNAL', () => {
    expect(rewriteOf(resolve({ stopSignal: 'QUIT' }))).toEqual([[15, 3]]);
    expect(rewriteOf(resolve({}, { GRACIE_STOP_SIGNAL: 'SIGQUIT' }))).toEqual([[15, 3]]);
    expect(rewriteOf(resolve({ stopSignal: 'HUP' }, { GRACIE_STOP_SIGNAL: 'QUIT' }))).toEqual([[15, 1]]);
    expect(rewriteOf(resolve({ stopSignal: '3' }))).toEqual([[15, 3]]);
  });

  it('--rewrite / GRACIE_REWRITE', () => {
    expect(rewriteOf(resolve({ rewrite: ['USR1:none', 'HUP:QUIT'] }))).toEqual([
      [1, 3],
      [10, 0],
    ]);
    expect(rewriteOf(resolve({}, { GRACIE_REWRITE: 'USR1:none,HUP:QUIT' }))).toEqual([
      [1, 3],
      [10, 0],
    ]);
    // the command line's list replaces the environment's
    expect(rewriteOf(resolve({ rewrite: ['USR2:TERM'] }, { GRACIE_REWRITE: 'USR1:none' }))).toEqual([[12, 15]]);
  });

  it('--stop-timeout / GRACIE_STOP_TIMEOUT', () => {
    expect(resolve({ stopTimeout: '3s' }).stopTimeoutMs).toBe(3_000);
    expect(resolve({}, { GRACIE_STOP_TIMEOUT: '5s' }).stopTimeoutMs).toBe(5_000);
    expect(resolve({}, { GRACIE_STOP_TIMEOUT: '25' }).stopTimeoutMs).toBe(25_000);
    expect(resolve({ stopTimeout: '3s' }, { GRACIE_STOP_TIMEOUT: '5s' }).stopTimeoutMs).toBe(3_000);
    expect(resolve({ stopTimeout: '0' }).stopTimeoutMs).toBe(0);
    expect(resolve({}, { GRACIE_STOP_TIMEOUT: '0' }).stopTimeoutMs).toBe(0);
  });

  it('--stop-delay / GRACIE_STOP_DELAY', () => {
    expect(resolve({ stopDelay: '500ms' }).stopDelayMs).toBe(500);
    expect(resolve({}, { GRACIE_STOP_DELAY: '2s' }).stopDelayMs).toBe(2_000);
    expect(resolve({ stopDelay: '1s' }, { GRACIE_STOP_DELAY: '2s' }).stopDelayMs).toBe(1_000);
  });

  it('-g / GRACIE_PROCESS_GROUP', () => {
    expect(resolve({ processGroup: true }).processGroup).toBe(true);
    expect(resolve({}, { GRACIE_PROCESS_GROUP: '1' }).processGroup).toBe(true);
    expect(resolve({}, { GRACIE_PROCESS_GROUP: '0' }).processGroup).toBe(false);
    expect(resolve({ processGroup: true }, { GRACIE_PROCESS_GROUP: '0' }).processGroup).toBe(true);
  });

  it('-s, --no-subreaper / GRACIE_SUBREAPER', () => {
    expect(resolve({ subreaper: false }).subreaper).toBe(false);
    expect(resolve({ subreaper: true }).subreaper).toBe(true);
    expect(resolve({}, { GRACIE_SUBREAPER: '0' }).subreaper).toBe(false);
    expect(resolve({}, { GRACIE_SUBREAPER: '1' }).subreaper).toBe(true);
    expect(resolve({ subreaper: true }, { GRACIE_SUBREAPER: '0' }).subreaper).toBe(true);
    expect(resolve({ subreaper: false }, { GRACIE_SUBREAPER: '1' }).subreaper).toBe(false);
  });

  it('-p / GRACIE_PARENT_DEATH_SIGNAL', () => {
    expect(resolve({ parentDeathSignal: 'HUP' }).parentDeathSignal).toBe(1);
    expect(resolve({}, { GRACIE_PARENT_DEATH_SIGNAL: 'TERM' }).parentDeathSignal).toBe(15);
    expect(resolve({}, { GRACIE_PARENT_DEATH_SIGNAL: '15' }).parentDeathSignal).toBe(15);
    expect(resolve({ parentDeathSignal: 'sighup' }, { GRACIE_PARENT_DEATH_SIGNAL: 'TERM' }).parentDeathSignal).toBe(1);
    // gracie acts on -p as a received signal: one it can never receive is refused.
    expect(usageMessage(() => resolve({ parentDeathSignal: 'KILL' }))).toBe(
      "invalid --parent-death-signal 'KILL': gracie cannot act on SIGKILL (cannot be caught); use e.g. SIGTERM",
    );
  });

  it('-e / GRACIE_SUCCESS_EXIT', () => {
    expect([...resolve({ successExit: ['143', '137'] }).successExit].sort()).toEqual([137, 143]);
    expect([...resolve({}, { GRACIE_SUCCESS_EXIT: '143,137' }).successExit].sort()).toEqual([137, 143]);
    expect([...resolve({ successExit: ['1'] }, { GRACIE_SUCCESS_EXIT: '143' }).successExit]).toEqual([1]);
    expect([...resolve({ successExit: ['0', '255', '007'] }).successExit].sort((a, b) => a - b)).toEqual([0, 7, 255]);
  });

  it('-v / -q / GRACIE_LOG_LEVEL', () => {
    expect(resolve({}, { GRACIE_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(resolve({ quiet: 1 }, { GRACIE_LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(resolve({ verbose: 1 }, { GRACIE_LOG_LEVEL: 'error' }).logLevel).toBe('debug');
  });

  it('--log-format / GRACIE_LOG_FORMAT', () => {
    expect(resolve({ logFormat: 'pretty' }).logFormat).toBe('pretty');
    expect(resolve({ logFormat: 'json' }, {}, true).logFormat).toBe('json');
    expect(resolve({}, { GRACIE_LOG_FORMAT: 'pretty' }, false).logFormat).toBe('pretty');
    expect(resolve({}, { GRACIE_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(resolve({}, { GRACIE_LOG_FORMAT: 'PRETTY' }).logFormat).toBe('pretty');
    expect(resolve({ logFormat: 'json' }, { GRACIE_LOG_FORMAT: 'pretty' }, true).logFormat).toBe('json');
  });
});

describe('boolean variables', () => {
  const variables = [
    ['GRACIE_PROCESS_GROUP', 'processGroup'],
    ['GRACIE_SUBREAPER', 'subreaper'],
  ] as const;

  describe.each(variables)('%s', (variable, key) => {
    it.each(['1', 'true', 'yes', 'on', 'TRUE', 'Yes', 'ON', ' on '])('reads %j as true', (value) => {
      expect(resolve({}, { [variable]: value })[key]).toBe(true);
    });

    it.each(['0', 'false', 'no', 'off', 'FALSE', 'No', 'OFF', ' 0 '])('reads %j as false', (value) => {
      expect(resolve({}, { [variable]: value })[key]).toBe(false);
    });

    it.each(['2', '-1', 'y', 'n', 'enabled', 'disable', 'truee', 'nope', '1.0'])('rejects %j naming the variable', (value) => {
      expect(usageMessage(() => resolve({}, { [variable]: value }))).toBe(`invalid ${variable} '${value}': ${BOOLEAN_FORMS}`);
    });
  });
});

describe('comma lists', () => {
  it('GRACIE_REWRITE tolerates spaces around items', () => {
    expect(rewriteOf(resolve({}, { GRACIE_REWRITE: ' TERM:QUIT , USR1:none ' }))).toEqual([
      [10, 0],
      [15, 3],
    ]);
  });

  it('GRACIE_SUCCESS_EXIT tolerates spaces around items', () => {
    expect([...resolve({}, { GRACIE_SUCCESS_EXIT: '143, 137 ,0' }).successExit].sort((a, b) => a - b)).toEqual([0, 137, 143]);
  });

  it('a blank list is an empty list', () => {
    expect(rewriteOf(resolve({}, { GRACIE_REWRITE: '   ' }))).toEqual([]);
    expect([...resolve({}, { GRACIE_SUCCESS_EXIT: ' ' }).successExit]).toEqual([]);
  });

  it.each(['abc', '256', '-1', '1.5', '1000', '0x10', ''])('GRACIE_SUCCESS_EXIT rejects an item %j', (item) => {
    expect(usageMessage(() => resolve({}, { GRACIE_SUCCESS_EXIT: `143,${item}` }))).toBe(
      `invalid GRACIE_SUCCESS_EXIT '${item}': expected an exit code from 0 to 255`,
    );
  });

  it.each(['abc', '256', '-1', ' 143', '', '1000'])('--success-exit rejects %j', (value) => {
    expect(usageMessage(() => resolve({ successExit: ['0', value] }))).toBe(`invalid --success-exit '${value}': expected an exit code from 0 to 255`);
  });
});

describe('--rewrite values', () => {
  it.each<[string, [number, number]]>([
    ['TERM:QUIT', [15, 3]],
    ['SIGTERM:SIGQUIT', [15, 3]],
    ['term:quit', [15, 3]],
    ['15:3', [15, 3]],
    ['USR1:0', [10, 0]],
    ['USR1:none', [10, 0]],
    ['USR1:NONE', [10, 0]],
    ['TERM:0', [15, 0]],
    ['TERM:none', [15, 0]],
    ['HUP:USR2', [1, 12]],
    [' INT : TERM ', [2, 15]],
    ['TERM:KILL', [15, 9]],
  ])('reads %j', (value, entry) => {
    expect(rewriteOf(resolve({ rewrite: [value] }))).toEqual([entry]);
  });

  it.each(['TERM', 'TERM:QUIT:HUP', ':QUIT', 'TERM:', ' : ', '', 'TERM=QUIT'])('rejects the shape %j', (value) => {
    expect(usageMessage(() => resolve({ rewrite: [value] }))).toBe(`invalid --rewrite '${value}': ${REWRITE_FORMS}`);
  });

  it('rejects a bad source signal naming the option, the value and the forms', () => {
    expect(usageMessage(() => resolve({ rewrite: ['FOO:QUIT'] }))).toBe(
      `invalid --rewrite 'FOO:QUIT' source signal 'FOO': expected ${SIGNAL_FORMS}`,
    );
    expect(usageMessage(() => resolve({ rewrite: ['0:TERM'] }))).toBe(`invalid --rewrite '0:TERM' source signal '0': expected ${SIGNAL_FORMS}`);
  });

  it('rejects a bad target signal, mentioning 0/none', () => {
    expect(usageMessage(() => resolve({ rewrite: ['TERM:FOO'] }))).toBe(
      `invalid --rewrite 'TERM:FOO' target signal 'FOO': expected ${SIGNAL_FORMS}, or 0/none to drop it`,
    );
    expect(usageMessage(() => resolve({}, { GRACIE_REWRITE: 'TERM:99' }))).toBe(
      `invalid GRACIE_REWRITE 'TERM:99' target signal '99': expected ${SIGNAL_FORMS}, or 0/none to drop it`,
    );
  });

  it.each([
    ['KILL:TERM', 'SIGKILL', 'cannot be caught'],
    ['9:15', 'SIGKILL', 'cannot be caught'],
    ['STOP:TERM', 'SIGSTOP', 'cannot be caught'],
    ['CHLD:TERM', 'SIGCHLD', "reports gracie's own children; the reaper consumes it"],
    ['SEGV:TERM', 'SIGSEGV', 'synchronous fault in gracie'],
    ['PIPE:none', 'SIGPIPE', "raised by gracie's own writes to a closed pipe"],
  ])('rejects %j: its source is never forwarded', (value, name, why) => {
    expect(usageMessage(() => resolve({ rewrite: [value] }))).toBe(`invalid --rewrite '${value}': gracie never forwards ${name} (${why})`);
  });

  it('names GRACIE_REWRITE when the bad item comes from the environment', () => {
    expect(usageMessage(() => resolve({}, { GRACIE_REWRITE: 'HUP:QUIT,KILL:TERM' }))).toBe(
      `invalid GRACIE_REWRITE 'KILL:TERM': gracie never forwards SIGKILL (cannot be caught)`,
    );
    expect(usageMessage(() => resolve({}, { GRACIE_REWRITE: 'HUP:QUIT,' }))).toBe(`invalid GRACIE_REWRITE '': ${REWRITE_FORMS}`);
  });
});

describe('--stop-signal as a TERM rewrite', () => {
  it('adds to the other rewrites', () => {
    expect(rewriteOf(resolve({ stopSignal: 'QUIT', rewrite: ['USR1:none', 'INT:QUIT'] }))).toEqual([
      [2, 3],
      [10, 0],
      [15, 3],
    ]);
  });

  it('agrees with a --rewrite TERM that says the same', () => {
    expect(rewriteOf(resolve({ stopSignal: 'QUIT', rewrite: ['TERM:3'] }))).toEqual([[15, 3]]);
    expect(rewriteOf(resolve({}, { GRACIE_STOP_SIGNAL: 'QUIT', GRACIE_REWRITE: 'TERM:QUIT' }))).toEqual([[15, 3]]);
  });

  it('conflicts with a different --rewrite TERM on the command line', () => {
    expect(usageMessage(() => resolve({ stopSignal: 'QUIT', rewrite: ['TERM:USR2'] }))).toBe(
      `invalid --stop-signal 'QUIT': it conflicts with the SIGTERM rewrite to SIGUSR2 given by --rewrite`,
    );
    expect(usageMessage(() => resolve({ stopSignal: 'QUIT', rewrite: ['TERM:none'] }))).toBe(
      `invalid --stop-signal 'QUIT': it conflicts with the SIGTERM rewrite to none given by --rewrite`,
    );
  });

  it('conflicts with a different GRACIE_REWRITE TERM in the environment', () => {
    expect(usageMessage(() => resolve({}, { GRACIE_STOP_SIGNAL: 'QUIT', GRACIE_REWRITE: 'TERM:USR2' }))).toBe(
      `invalid GRACIE_STOP_SIGNAL 'QUIT': it conflicts with the SIGTERM rewrite to SIGUSR2 given by GRACIE_REWRITE`,
    );
  });

  it('--stop-signal beats GRACIE_REWRITE TERM:x', () => {
    expect(rewriteOf(resolve({ stopSignal: 'QUIT' }, { GRACIE_REWRITE: 'TERM:USR2,USR1:none' }))).toEqual([
      [10, 0],
      [15, 3],
    ]);
  });

  it('--rewrite TERM:x beats GRACIE_STOP_SIGNAL', () => {
    expect(rewriteOf(resolve({ rewrite: ['TERM:USR2'] }, { GRACIE_STOP_SIGNAL: 'QUIT' }))).toEqual([[15, 12]]);
    expect(rewriteOf(resolve({ rewrite: ['TERM:none'] }, { GRACIE_STOP_SIGNAL: 'QUIT' }))).toEqual([[15, 0]]);
  });

  it.each(['FOO', '0', '99', ''])('rejects --stop-signal %j', (value) => {
    expect(usageMessage(() => resolve({ stopSignal: value }))).toBe(`invalid --stop-signal '${value}': expected ${SIGNAL_FORMS}`);
  });

  it('rejects a bad GRACIE_STOP_SIGNAL naming the variable', () => {
    expect(usageMessage(() => resolve({}, { GRACIE_STOP_SIGNAL: 'SIGFOO' }))).toBe(`invalid GRACIE_STOP_SIGNAL 'SIGFOO': expected ${SIGNAL_FORMS}`);
  });
});

describe('durations and the stop budget', () => {
  it('rejects a bad --stop-timeout / GRACIE_STOP_TIMEOUT', () => {
    expect(usageMessage(() => resolve({ stopTimeout: '10x' }))).toBe(`invalid --stop-timeout '10x': expected ${DURATION_FORMS}`);
    expect(usageMessage(() => resolve({}, { GRACIE_STOP_TIMEOUT: 'abc' }))).toBe(`invalid GRACIE_STOP_TIMEOUT 'abc': expected ${DURATION_FORMS}`);
  });

  it('rejects a bad --stop-delay / GRACIE_STOP_DELAY', () => {
    expect(usageMessage(() => resolve({ stopDelay: '-1' }))).toBe(`invalid --stop-delay '-1': expected ${DURATION_FORMS}`);
    expect(usageMessage(() => resolve({}, { GRACIE_STOP_DELAY: '5 s' }))).toBe(`invalid GRACIE_STOP_DELAY '5 s': expected ${DURATION_FORMS}`);
  });

  it('rejects a stop delay as long as the default timeout', () => {
    expect(usageMessage(() => resolve({ stopDelay: '10s' }))).toBe(
      `invalid --stop-delay '10s': the stop delay counts inside the stop timeout (default 10s), so it must be shorter`,
    );
  });

  it('rejects a stop delay as long as, or longer than, the timeout', () => {
    expect(usageMessage(() => resolve({ stopDelay: '5s', stopTimeout: '5s' }))).toBe(
      `invalid --stop-delay '5s': the stop delay counts inside the stop timeout (--stop-timeout '5s'), so it must be shorter`,
    );
    expect(usageMessage(() => resolve({}, { GRACIE_STOP_DELAY: '20s', GRACIE_STOP_TIMEOUT: '15s' }))).toBe(
      `invalid GRACIE_STOP_DELAY '20s': the stop delay counts inside the stop timeout (GRACIE_STOP_TIMEOUT '15s'), so it must be shorter`,
    );
  });

  it('accepts a delay shorter than the timeout, and any delay when the timeout is 0', () => {
    const short = resolve({ stopDelay: '4999ms', stopTimeout: '5s' });
    expect([short.stopDelayMs, short.stopTimeoutMs]).toEqual([4_999, 5_000]);
    const never = resolve({ stopDelay: '1h', stopTimeout: '0' });
    expect([never.stopDelayMs, never.stopTimeoutMs]).toEqual([3_600_000, 0]);
    const fromEnv = resolve({}, { GRACIE_STOP_DELAY: '30s', GRACIE_STOP_TIMEOUT: '0' });
    expect([fromEnv.stopDelayMs, fromEnv.stopTimeoutMs]).toEqual([30_000, 0]);
    const longTimeout = resolve({ stopDelay: '15s', stopTimeout: '1m' });
    expect([longTimeout.stopDelayMs, longTimeout.stopTimeoutMs]).toEqual([15_000, 60_000]);
  });
});

describe('log level', () => {
  it.each([
    [1, 'debug'],
    [2, 'trace'],
    [3, 'trace'],
  ])('-v x%i is %s', (verbose, level) => {
    expect(resolve({ verbose }).logLevel).toBe(level);
  });

  it.each([
    [1, 'warn'],
    [2, 'error'],
    [3, 'silent'],
    [4, 'silent'],
  ])('-q x%i is %s', (quiet, level) => {
    expect(resolve({ quiet }).logLevel).toBe(level);
  });

  it('rejects -v with -q', () => {
    expect(usageMessage(() => resolve({ verbose: 1, quiet: 1 }))).toBe(
      'invalid options -v and -q together: choose more (-v, -vv) or less (-q, -qq) logging',
    );
  });

  it.each(['error', 'warn', 'info', 'debug', 'trace', 'silent'])('GRACIE_LOG_LEVEL %s', (level) => {
    expect(resolve({}, { GRACIE_LOG_LEVEL: level }).logLevel).toBe(level);
    expect(resolve({}, { GRACIE_LOG_LEVEL: level.toUpperCase() }).logLevel).toBe(level);
  });

  it.each(['verbose', 'fatal', '3', 'inf'])('rejects GRACIE_LOG_LEVEL %j', (value) => {
    expect(usageMessage(() => resolve({}, { GRACIE_LOG_LEVEL: value }))).toBe(
      `invalid GRACIE_LOG_LEVEL '${value}': expected one of silent, error, warn, info, debug, trace`,
    );
  });
});

describe('log format', () => {
  it('rejects a bad --log-format / GRACIE_LOG_FORMAT', () => {
    expect(usageMessage(() => resolve({ logFormat: 'xml' }))).toBe(`invalid --log-format 'xml': expected json or pretty`);
    expect(usageMessage(() => resolve({}, { GRACIE_LOG_FORMAT: 'text' }))).toBe(`invalid GRACIE_LOG_FORMAT 'text': expected json or pretty`);
  });
});

describe('parent death signal', () => {
  it('rejects a bad value naming the option or variable', () => {
    expect(resolve({ parentDeathSignal: '0' }).parentDeathSignal).toBeNull();
    expect(resolve({ parentDeathSignal: 'none' }).parentDeathSignal).toBeNull();
    expect(resolve({}, { GRACIE_PARENT_DEATH_SIGNAL: 'NONE' }).parentDeathSignal).toBeNull();
    expect(usageMessage(() => resolve({}, { GRACIE_PARENT_DEATH_SIGNAL: 'SIGFOO' }))).toBe(
      `invalid GRACIE_PARENT_DEATH_SIGNAL 'SIGFOO': expected ${SIGNAL_FORMS}`,
    );
  });
});

describe('every usage error names the option or variable and the bad value', () => {
  it.each<[string, Partial<CliValues>, Env, string, string]>([
    ['stop signal flag', { stopSignal: 'SIGNOPE' }, {}, '--stop-signal', 'SIGNOPE'],
    ['stop signal env', {}, { GRACIE_STOP_SIGNAL: 'SIGNOPE' }, 'GRACIE_STOP_SIGNAL', 'SIGNOPE'],
    ['rewrite flag', { rewrite: ['NOPE'] }, {}, '--rewrite', 'NOPE'],
    ['rewrite env', {}, { GRACIE_REWRITE: 'NOPE' }, 'GRACIE_REWRITE', 'NOPE'],
    ['timeout flag', { stopTimeout: '3x' }, {}, '--stop-timeout', '3x'],
    ['timeout env', {}, { GRACIE_STOP_TIMEOUT: '3x' }, 'GRACIE_STOP_TIMEOUT', '3x'],
    ['delay flag', { stopDelay: '3x' }, {}, '--stop-delay', '3x'],
    ['delay env', {}, { GRACIE_STOP_DELAY: '3x' }, 'GRACIE_STOP_DELAY', '3x'],
    ['group env', {}, { GRACIE_PROCESS_GROUP: 'maybe' }, 'GRACIE_PROCESS_GROUP', 'maybe'],
    ['subreaper env', {}, { GRACIE_SUBREAPER: 'maybe' }, 'GRACIE_SUBREAPER', 'maybe'],
    ['pdeath flag', { parentDeathSignal: 'NOPE' }, {}, '--parent-death-signal', 'NOPE'],
    ['pdeath env', {}, { GRACIE_PARENT_DEATH_SIGNAL: 'NOPE' }, 'GRACIE_PARENT_DEATH_SIGNAL', 'NOPE'],
    ['success flag', { successExit: ['300'] }, {}, '--success-exit', '300'],
    ['success env', {}, { GRACIE_SUCCESS_EXIT: '300' }, 'GRACIE_SUCCESS_EXIT', '300'],
    ['level env', {}, { GRACIE_LOG_LEVEL: 'loud' }, 'GRACIE_LOG_LEVEL', 'loud'],
    ['format flag', { logFormat: 'xml' }, {}, '--log-format', 'xml'],
    ['format env', {}, { GRACIE_LOG_FORMAT: 'xml' }, 'GRACIE_LOG_FORMAT', 'xml'],
  ])('%s', (_, cli, env, name, value) => {
    const message = usageMessage(() => resolve(cli, env));
    expect(message).toContain(name);
    expect(message).toContain(`'${value}'`);
    expect(message).not.toContain('\n');
  });
});

describe('a signal rewritten twice', () => {
  it('is a usage error, on the command line and in the environment', () => {
    expect(usageMessage(() => resolve({ rewrite: ['TERM:QUIT', '15:HUP'] }))).toBe(
      "invalid --rewrite '15:HUP': SIGTERM is rewritten twice; give one rewrite per signal",
    );
    expect(usageMessage(() => resolve({}, { GRACIE_REWRITE: 'USR1:none,usr1:USR2' }))).toBe(
      "invalid GRACIE_REWRITE 'usr1:USR2': SIGUSR1 is rewritten twice; give one rewrite per signal",
    );
  });
});

describe('a value holding control characters (fuzzing, #6)', () => {
  it.each<[string, Partial<CliValues>, Env, string]>([
    ['a signal on the command line', { stopSignal: 'QU\nIT' }, {}, `invalid --stop-signal 'QU\\nIT': expected ${SIGNAL_FORMS}`],
    ['a signal in the environment', {}, { GRACIE_STOP_SIGNAL: 'x\r\u001b[31m' }, `invalid GRACIE_STOP_SIGNAL 'x\\r\\x1b[31m': expected ${SIGNAL_FORMS}`],
    ['a duration', {}, { GRACIE_STOP_TIMEOUT: '1\n0x' }, `invalid GRACIE_STOP_TIMEOUT '1\\n0x': expected ${DURATION_FORMS}`],
    ['a boolean', {}, { GRACIE_PROCESS_GROUP: 'y\tes\u0085' }, `invalid GRACIE_PROCESS_GROUP 'y\\tes\\x85': ${BOOLEAN_FORMS}`],
    ['a rewrite', { rewrite: ['TERM:\u2028'] }, {}, `invalid --rewrite 'TERM:\\u2028': ${REWRITE_FORMS}`],
    ['a delay too long', { stopDelay: '20s\n' }, {}, "invalid --stop-delay '20s\\n': the stop delay counts inside the stop timeout (default 10s), so it must be shorter"],
  ])('%s: shown escaped, so the message stays one line', (_, cli, env, message) => {
    expect(usageMessage(() => resolve(cli, env))).toBe(message);
  });

  it('still accepts a valid value with blanks around it, a newline included', () => {
    const config = resolve({ stopSignal: 'QUIT\n' }, { GRACIE_STOP_TIMEOUT: '\t5s\n' });
    expect(rewriteOf(config)).toEqual([[15, 3]]);
    expect(config.stopTimeoutMs).toBe(5_000);
  });
});

describe('the command', () => {
  it('an empty program name is a usage error, not a 127 once spawned', () => {
    const none: CliValues = { rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false };
    expect(usageError(() => resolveConfig(none, ['', 'arg'], {}, false)).message).toBe(
      "invalid command '': the program to run must be a non-empty word",
    );
  });
});
