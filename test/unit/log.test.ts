import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogFormat, LogLevel } from '../../src/config';
import { pino } from 'pino';
import { createLogger, flatLine, formatPretty, type LogSink } from '../../src/log';

const NOW = Date.parse('2024-05-06T12:00:01.234Z');

function capture(level: LogLevel, format: LogFormat) {
  const writes: string[] = [];
  const sink: LogSink = { write: (line) => void writes.push(line) };
  return { logger: createLogger(level, format, sink), writes };
}

/** Every write must be exactly one complete NDJSON line. */
function parseLines(writes: string[]): Record<string, unknown>[] {
  return writes.map((write) => {
    expect(write.endsWith('\n')).toBe(true);
    expect(write.slice(0, -1)).not.toContain('\n');
    return JSON.parse(write) as Record<string, unknown>;
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createLogger, json', () => {
  it('isLevelEnabled says whether a line at that level would be written', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error'].map((l) => capture('info', 'json').logger.isLevelEnabled(l as 'info'))).toEqual([false, false, true, true, true]);
    expect(capture('trace', 'json').logger.isLevelEnabled('trace')).toBe(true);
    expect(capture('silent', 'json').logger.isLevelEnabled('error')).toBe(false);
  });

  it('writes one parseable line per call, named gracie, with no pid or hostname', () => {
    const { logger, writes } = capture('info', 'json');
    logger.info({ signal: 'SIGTERM', forwardAs: 'SIGQUIT' }, 'received SIGTERM, forwarded SIGQUIT');
    logger.warn({ afterMs: 10_000, target: 'group' }, 'stop timeout reached');
    expect(writes).toHaveLength(2);
    const [first, second] = parseLines(writes);
    expect(first).toEqual({
      level: 30,
      time: NOW,
      name: 'gracie',
      signal: 'SIGTERM',
      forwardAs: 'SIGQUIT',
      msg: 'received SIGTERM, forwarded SIGQUIT',
    });
    expect(second).toEqual({ level: 40, time: NOW, name: 'gracie', afterMs: 10_000, target: 'group', msg: 'stop timeout reached' });
    expect(first).not.toHaveProperty('pid');
    expect(first).not.toHaveProperty('hostname');
  });

  it('writes nothing before a call (no banner)', () => {
    const { writes } = capture('trace', 'json');
    expect(writes).toEqual([]);
  });

  it.each<[LogLevel, string[]]>([
    ['trace', ['trace', 'debug', 'info', 'warn', 'error']],
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ])('at level %s writes only %j', (level, expected) => {
    const { logger, writes } = capture(level, 'json');
    logger.trace({}, 'trace');
    logger.debug({}, 'debug');
    logger.info({}, 'info');
    logger.warn({}, 'warn');
    logger.error({}, 'error');
    expect(parseLines(writes).map((line) => line.msg)).toEqual(expected);
  });

  it('does not load pino until a line passes the level', () => {
    const { logger, writes } = capture('warn', 'json');
    logger.info({}, 'below the level');
    expect(writes).toEqual([]);
    logger.warn({}, 'now');
    expect(parseLines(writes).map((line) => line.msg)).toEqual(['now']);
  });

  it('uses pino level numbers', () => {
    const { logger, writes } = capture('trace', 'json');
    logger.trace({}, 't');
    logger.debug({}, 'd');
    logger.info({}, 'i');
    logger.warn({}, 'w');
    logger.error({}, 'e');
    expect(parseLines(writes).map((line) => line.level)).toEqual([10, 20, 30, 40, 50]);
  });
});

describe('flatLine: plain lines without pino', () => {
  /** What pino itself writes for the same call, with gracie's settings. */
  function pinoLine(level: LogLevel, fields: object, message: string): string {
    const lines: string[] = [];
    const logger = pino({ level: 'trace', base: { name: 'gracie' } }, { write: (line: string) => void lines.push(line) });
    (logger[level as 'info'] as (fields: object, message: string) => void)(fields, message);
    return lines.join('');
  }

  it.each<[LogLevel, number, object, string]>([
    ['info', 30, { code: null, signal: 'SIGKILL', shutdownMs: null }, 'child was killed by SIGKILL'],
    ['info', 30, { code: 3, signal: null, shutdownMs: 840 }, 'child exited with code 3 840ms after the stop request'],
    ['info', 30, { signal: 'SIGTERM', forwardAs: 'SIGQUIT', delayMs: 0, timeoutMs: 10_000 }, 'received SIGTERM, forwarded SIGQUIT'],
    ['warn', 40, { afterMs: 10_000, target: 'group' }, 'stop timeout reached: sent SIGKILL to the child\'s process group'],
    ['debug', 20, {}, 'nothing'],
    ['trace', 10, { skipped: undefined, yes: true, no: false, negative: -2.5 }, 'booleans and numbers'],
    ['error', 50, { command: 'a "quoted" \\ back\nslash\ttab\u0001\u007f é 😀', 'odd key"': 1 }, 'escapes: " \\ \n'],
  ])('writes what pino writes, byte for byte (%s %j)', (level, value, fields, message) => {
    expect(flatLine(value, fields, message)).toBe(pinoLine(level, fields, message));
  });

  it.each([[{ err: new Error('boom') }], [{ command: ['sh', '-c'] }], [{ n: Number.NaN }], [{ n: 10n }], [{ nested: { a: 1 } }]])(
    'leaves case %# (not plain values) to pino',
    (fields) => {
      expect(flatLine(30, fields, 'm')).toBeNull();
    },
  );

  it('createLogger writes an Error through pino, with its serializer', () => {
    const { logger, writes } = capture('info', 'json');
    logger.error({ err: new Error('boom') }, 'internal failure');
    const [line] = parseLines(writes);
    expect(line).toMatchObject({ level: 50, name: 'gracie', msg: 'internal failure', err: { type: 'Error', message: 'boom' } });
  });
});

describe('createLogger, pretty', () => {
  it('writes one readable line per call', () => {
    const { logger, writes } = capture('info', 'pretty');
    logger.info({ signal: 'SIGTERM', forwardAs: 'SIGQUIT' }, 'received SIGTERM, forwarded SIGQUIT');
    logger.debug({}, 'hidden');
    expect(writes).toEqual(['12:00:01.234 INFO  gracie: received SIGTERM, forwarded SIGQUIT  signal=SIGTERM forwardAs=SIGQUIT\n']);
  });
});

describe('formatPretty', () => {
  it('formats time, padded level, name, message and extra fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: 0,
      name: 'gracie',
      msg: 'stop timeout reached',
      afterMs: 10_000,
      target: 'group',
      gone: null,
      obj: { a: 1 },
      list: [1, 'x'],
      flag: false,
    });
    expect(formatPretty(line)).toBe('00:00:00.000 WARN  gracie: stop timeout reached  afterMs=10000 target=group obj={"a":1} list=[1,"x"] flag=false\n');
  });

  it('leaves out the extras part when there are none', () => {
    expect(formatPretty(JSON.stringify({ level: 30, time: NOW, name: 'gracie', msg: 'hello' }))).toBe('12:00:01.234 INFO  gracie: hello\n');
  });

  it.each([
    [10, 'TRACE'],
    [20, 'DEBUG'],
    [30, 'INFO '],
    [40, 'WARN '],
    [50, 'ERROR'],
    [60, 'FATAL'],
    [35, '35   '],
  ])('labels level %i as %j', (level, label) => {
    expect(formatPretty(JSON.stringify({ level, time: 0, name: 'gracie', msg: 'm' }))).toBe(`00:00:00.000 ${label} gracie: m\n`);
  });
});
