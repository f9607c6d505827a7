// Pure: command-line values + environment -> one frozen Config. Every value is validated here.
import { parseDuration } from './duration';
import { UsageError } from './errors';
import { parseSignal, parseSignalOrNone, SIGTERM, signalName, whyNotForwarded } from './signals';

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

/** What the command line said, before any validation. Absent means "not given". */
export interface CliValues {
  stopSignal?: string;
  rewrite: string[];
  stopTimeout?: string;
  stopDelay?: string;
  processGroup?: boolean;
  subreaper?: boolean;
  parentDeathSignal?: string;
  successExit: string[];
  verbose: number;
  quiet: number;
  logFormat?: string;
  warnOnReap: boolean;
}

export interface Config {
  readonly command: readonly string[];
  /** incoming signal -> signal to forward; 0 drops it. Signals not listed are forwarded unchanged. */
  readonly rewrite: ReadonlyMap<number, number>;
  /** budget from the first stop request to SIGKILL; 0 = never escalate */
  readonly stopTimeoutMs: number;
  readonly stopDelayMs: number;
  readonly processGroup: boolean;
  readonly subreaper: boolean;
  readonly parentDeathSignal: number | null;
  readonly successExit: ReadonlySet<number>;
  readonly warnOnReap: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** false (GRACIE_FFI=0) forces the fallback without libc: no reaping, subreaper, -p or terminal hand-off */
  readonly ffi: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Builds the Config: the command line wins over the environment, which wins over the defaults. */
export function resolveConfig(cli: CliValues, command: readonly string[], env: Env, stderrIsTTY: boolean): Config {
  try {
    return buildConfig(cli, command, env, stderrIsTTY);
  } catch (error) {
    // Every message quotes the value as given (here, in duration.ts and in signals.ts), and argv and the
    // environment may hold any character: a newline or a terminal escape in it must not break the one line.
    if (error instanceof UsageError) throw new UsageError(printable(error.message));
    throw error;
  }
}

/**
 * `text` with its control characters escaped as in a JavaScript string literal (\n, \t, \x1b, \u2028), so that a
 * usage error stays one line on stderr and a terminal shows it as written.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

function buildConfig(cli: CliValues, command: readonly string[], env: Env, stderrIsTTY: boolean): Config {
  // An empty program name can never run (execvp fails with ENOENT): a usage error, not a 127 after the fact.
  if (command[0] === '') throw new UsageError("invalid command '': the program to run must be a non-empty word");
  const timeoutSource = pick(cli.stopTimeout, '--stop-timeout', env, 'GRACIE_STOP_TIMEOUT');
  const delaySource = pick(cli.stopDelay, '--stop-delay', env, 'GRACIE_STOP_DELAY');
  const stopTimeoutMs = timeoutSource ? parseDuration(timeoutSource.value, timeoutSource.what) : DEFAULT_STOP_TIMEOUT_MS;
  const stopDelayMs = delaySource ? parseDuration(delaySource.value, delaySource.what) : 0;
  if (stopTimeoutMs !== 0 && stopDelayMs >= stopTimeoutMs) {
    throw new UsageError(
      `invalid ${delaySource?.what} '${delaySource?.value}': the stop delay counts inside the stop timeout ` +
        `(${timeoutSource ? `${timeoutSource.what} '${timeoutSource.value}'` : 'default 10s'}), so it must be shorter`,
    );
  }
  const pdeath = pick(cli.parentDeathSignal, '--parent-death-signal', env, 'GRACIE_PARENT_DEATH_SIGNAL');
  const config: Config = {
    command: Object.freeze([...command]),
    rewrite: resolveRewrite(cli, env),
    stopTimeoutMs,
    stopDelayMs,
    processGroup: cli.processGroup ?? parseBoolean(env, 'GRACIE_PROCESS_GROUP') ?? false,
    subreaper: cli.subreaper ?? parseBoolean(env, 'GRACIE_SUBREAPER') ?? true,
    parentDeathSignal: resolveParentDeathSignal(pdeath),
    successExit: resolveSuccessExit(cli, env),
    warnOnReap: cli.warnOnReap,
    logLevel: resolveLogLevel(cli, env),
    logFormat: resolveLogFormat(cli, env, stderrIsTTY),
    ffi: parseBoolean(env, 'GRACIE_FFI') ?? true,
  };
  return Object.freeze(config);
}

interface Sourced {
  value: string;
  /** "--stop-timeout" or "GRACIE_STOP_TIMEOUT": named in error messages */
  what: string;
}

/** The command-line value if given, else a non-empty environment value, else undefined. */
function pick(cliValue: string | undefined, flag: string, env: Env, variable: string): Sourced | undefined {
  if (cliValue !== undefined) return { value: cliValue, what: flag };
  const fromEnv = env[variable];
  // An empty variable counts as unset: `docker run -e GRACIE_STOP_SIGNAL=` and an empty Kubernetes value.
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, what: variable };
  return undefined;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * GRACIE_FFI, read before anything else runs (src/start-libc.ts): false only for a false value. A bad value
 * loads libc all the same; resolveConfig reports it as the usage error it is, before any child starts.
 */
export function libcWanted(env: Env): boolean {
  try {
    return parseBoolean(env, 'GRACIE_FFI') ?? true;
  } catch {
    return true;
  }
}

function parseBoolean(env: Env, variable: string): boolean | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  const lower = raw.trim().toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new UsageError(`invalid ${variable} '${raw}': expected 1, true, yes, on or 0, false, no, off`);
}

/** Splits a comma list from the environment; the command line gives one value per flag. */
function listFrom(cliValues: string[], env: Env, variable: string, flag: string): Sourced[] {
  if (cliValues.length > 0) return cliValues.map((value) => ({ value, what: flag }));
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((value) => ({ value: value.trim(), what: variable }));
}

function resolveRewrite(cli: CliValues, env: Env): ReadonlyMap<number, number> {
  const rewrite = new Map<number, number>();
  for (const { value, what } of listFrom(cli.rewrite, env, 'GRACIE_REWRITE', '--rewrite')) {
    const parts = value.split(':');
    if (parts.length !== 2 || parts[0].trim() === '' || parts[1].trim() === '') {
      throw new UsageError(`invalid ${what} '${value}': expected <from>:<to> such as TERM:QUIT, 15:3 or USR1:none`);
    }
    const from = parseSignal(parts[0], `${what} '${value}' source signal`);
    const notForwarded = whyNotForwarded(from);
    if (notForwarded) {
      throw new UsageError(`invalid ${what} '${value}': gracie never forwards ${signalName(from)} (${notForwarded})`);
    }
    if (rewrite.has(from)) {
      throw new UsageError(`invalid ${what} '${value}': ${signalName(from)} is rewritten twice; give one rewrite per signal`);
    }
    rewrite.set(from, parseSignalOrNone(parts[1], `${what} '${value}' target signal`));
  }
  const stop = pick(cli.stopSignal, '--stop-signal', env, 'GRACIE_STOP_SIGNAL');
  if (stop) {
    const stopSignal = parseSignal(stop.value, stop.what);
    const viaRewrite = rewrite.get(SIGTERM);
    const rewriteFromCli = cli.rewrite.length > 0;
    const stopFromCli = stop.what.startsWith('--');
    // --stop-signal is shorthand for --rewrite TERM:<sig>. When both say something different, the command
    // line wins over the environment; two statements at the same level are a contradiction.
    if (viaRewrite === undefined || viaRewrite === stopSignal || (stopFromCli && !rewriteFromCli)) {
      rewrite.set(SIGTERM, stopSignal);
    } else if (stopFromCli === rewriteFromCli) {
      throw new UsageError(
        `invalid ${stop.what} '${stop.value}': it conflicts with the SIGTERM rewrite to ` +
          `${viaRewrite === 0 ? 'none' : signalName(viaRewrite)} given by ${rewriteFromCli ? '--rewrite' : 'GRACIE_REWRITE'}`,
      );
    }
  }
  return rewrite;
}

/** -p: a signal gracie can receive (it goes through the rewrite map like any other), or none. */
function resolveParentDeathSignal(source: Sourced | undefined): number | null {
  if (!source || /^\s*(none|0)\s*$/i.test(source.value)) return null;
  const signal = parseSignal(source.value, source.what);
  const notForwarded = whyNotForwarded(signal);
  if (notForwarded) {
    throw new UsageError(`invalid ${source.what} '${source.value}': gracie cannot act on ${signalName(signal)} (${notForwarded}); use e.g. SIGTERM`);
  }
  return signal;
}

function resolveSuccessExit(cli: CliValues, env: Env): ReadonlySet<number> {
  const codes = new Set<number>();
  for (const { value, what } of listFrom(cli.successExit, env, 'GRACIE_SUCCESS_EXIT', '--success-exit')) {
    if (!/^\d{1,3}$/.test(value) || Number(value) > 255) {
      throw new UsageError(`invalid ${what} '${value}': expected an exit code from 0 to 255`);
    }
    codes.add(Number(value));
  }
  return codes;
}

function resolveLogLevel(cli: CliValues, env: Env): LogLevel {
  if (cli.verbose > 0 && cli.quiet > 0) {
    throw new UsageError('invalid options -v and -q together: choose more (-v, -vv) or less (-q, -qq) logging');
  }
  const base = LOG_LEVELS.indexOf('info');
  if (cli.verbose > 0) return LOG_LEVELS[Math.min(base + cli.verbose, LOG_LEVELS.length - 1)];
  if (cli.quiet > 0) return LOG_LEVELS[Math.max(base - cli.quiet, 0)];
  const raw = env.GRACIE_LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  const level = LOG_LEVELS.find((name) => name === raw.trim().toLowerCase());
  if (level) return level;
  throw new UsageError(`invalid GRACIE_LOG_LEVEL '${raw}': expected one of ${LOG_LEVELS.join(', ')}`);
}

function resolveLogFormat(cli: CliValues, env: Env, stderrIsTTY: boolean): LogFormat {
  const source = pick(cli.logFormat, '--log-format', env, 'GRACIE_LOG_FORMAT');
  if (!source) return stderrIsTTY ? 'pretty' : 'json';
  const format = source.value.trim().toLowerCase();
  if (format === 'json' || format === 'pretty') return format;
  throw new UsageError(`invalid ${source.what} '${source.value}': expected json or pretty`);
}
