// Logging: pino, synchronous, to stderr only (stdout belongs to the child).
import { writeSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
import type { LogFormat, LogLevel } from './config';
import { IS_SEA, requireEmbedded } from './sea';

type Method = (fields: object, message: string) => void;

/** gracie's logger: pino's calling convention, log.info({ pid, signal }, 'message'). */
export interface Logger {
  trace: Method;
  debug: Method;
  info: Method;
  warn: Method;
  error: Method;
  /** Whether a line at `level` would be written: for callers whose fields cost something to build. */
  isLevelEnabled(level: keyof typeof LEVEL_VALUE): boolean;
}

const LEVEL_VALUE: Readonly<Record<Exclude<LogLevel, 'silent'>, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

/** Where log lines go: one call per complete line. */
export interface LogSink {
  write(line: string): void;
}

/**
 * Writes synchronously to fd 2, so the last lines before exit are never lost. A failed write (stderr closed,
 * EPIPE, a full non-blocking pipe) drops the line: gracie's logging must never take the app down.
 */
export const stderrSink: LogSink & { guard: (write: () => void) => void } = {
  /** Wraps each write; main sets it when stderr is a terminal (see Libc.writeToTerminal). */
  guard: (write) => write(),
  write(line: string): void {
    stderrSink.guard(() => writeAll(line));
  },
};

function writeAll(line: string): void {
  const bytes = Buffer.from(line);
  let offset = 0;
  for (let attempt = 0; offset < bytes.length && attempt < 100; attempt += 1) {
    try {
      offset += writeSync(2, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}

const LEVEL_LABEL: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'name']);

/** One pino JSON line -> "12:00:01.234 INFO  gracie: message key=value". Pure, for terminals. */
export function formatPretty(jsonLine: string): string {
  const entry = JSON.parse(jsonLine) as Record<string, unknown>;
  const time = new Date(entry.time as number).toISOString().slice(11, 23);
  const label = (LEVEL_LABEL[entry.level as number] ?? String(entry.level)).padEnd(5);
  const extras = Object.entries(entry)
    .filter(([key, value]) => !OMIT.has(key) && value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${time} ${label} gracie: ${entry.msg as string}${extras.length ? `  ${extras.join(' ')}` : ''}\n`;
}

/**
 * A logger writing JSON or pretty lines to `sink` (stderr by default). Lines whose fields are all plain values
 * (every line gracie writes but an error's) are written here, in pino's shape; pino is loaded on the first line
 * that needs its serializers (an Error in `err`). Loading pino costs ~10 ms, and the summary line ("child was
 * killed by SIGKILL") is often the run's first line, written on the way out: every crash would pay it.
 */
export function createLogger(level: LogLevel, format: LogFormat, sink: LogSink = stderrSink): Logger {
  const threshold = level === 'silent' ? Infinity : LEVEL_VALUE[level];
  let pino: PinoLogger | null = null;
  const method =
    (name: keyof typeof LEVEL_VALUE): Method =>
    (fields, message) => {
      if (LEVEL_VALUE[name] < threshold) return;
      const line = flatLine(LEVEL_VALUE[name], fields, message);
      if (line !== null) {
        sink.write(format === 'pretty' ? formatPretty(line) : line);
        return;
      }
      pino ??= createPino(level, format, sink);
      pino[name](fields, message);
    };
  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    isLevelEnabled: (name) => LEVEL_VALUE[name] >= threshold,
  };
}

/**
 * The JSON line pino writes for `fields` and `message` (level, time, name, the fields in order, msg), or null
 * when a field is not a string, finite number, boolean or null (pino's serializers then decide). Undefined
 * fields are left out, as pino does. test/unit/log.test.ts compares both byte for byte.
 */
export function flatLine(level: number, fields: object, message: string): string | null {
  let line = `{"level":${level},"time":${Date.now()},"name":"gracie"`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const plain = value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
    if (!plain) return null;
    line += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return `${line},"msg":${JSON.stringify(message)}}\n`;
}

function createPino(level: LogLevel, format: LogFormat, sink: LogSink): PinoLogger {
  // A require here, not an import: esbuild then evaluates pino only when this runs.
  const pino = (IS_SEA ? requireEmbedded('pino') : require('pino')) as typeof import('pino');
  const destination = format === 'pretty' ? { write: (line: string) => sink.write(formatPretty(line)) } : sink;
  // base drops pino's default pid and hostname: the container already says both.
  return pino.pino({ level, base: { name: 'gracie' } }, destination);
}
