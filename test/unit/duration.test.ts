import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/duration';
import { usageError } from './usage-error';

const EXPECTED = 'expected a duration such as 500ms, 10s, 2m, 1h or a number of seconds';


describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['5', 5_000],
    ['10', 10_000],
    ['0', 0],
    ['0s', 0],
    ['0ms', 0],
    ['0m', 0],
    ['1.5s', 1_500],
    ['1.5', 1_500],
    ['.5', 500],
    ['.5s', 500],
    ['0.5m', 30_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['1ms', 1],
    ['25s', 25_000],
    [' 10s ', 10_000],
    ['\t2m\n', 120_000],
    ['007', 7_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text, '--stop-timeout')).toBe(ms);
  });

  it('a bare number means seconds, not milliseconds', () => {
    expect(parseDuration('5', '--stop-timeout')).toBe(parseDuration('5s', '--stop-timeout'));
    expect(parseDuration('5', '--stop-timeout')).not.toBe(5);
  });

  it('caps at the longest timer Node can arm, 2^31-1 ms', () => {
    expect(MAX_DURATION_MS).toBe(2_147_483_647);
    expect(parseDuration('2147483647ms', '--stop-timeout')).toBe(2_147_483_647);
    expect(parseDuration('2147483s', '--stop-timeout')).toBe(2_147_483_000);
    expect(parseDuration('2147483', '--stop-timeout')).toBe(2_147_483_000);
    expect(parseDuration('596h', '--stop-timeout')).toBe(2_145_600_000);
  });

  it.each(['2147483648ms', '2147484s', '2147484', '597h', '35792m', '99999999999999999999'])('rejects %j as too long', (text) => {
    expect(usageError(() => parseDuration(text, '--stop-timeout')).message).toBe(
      `invalid --stop-timeout '${text}': must be at most 24d (2147483647ms)`,
    );
  });

  it.each(['10x', '-1', '-1s', '', ' ', 's', 'ms', '1e3', '10 s', '10sec', '1.', '1..5', '1,5s', '0x10', 'Infinity', 'NaN', '+1', '1m30s', '10d', 'ten'])(
    'rejects %j with the exact message naming the option',
    (text) => {
      expect(usageError(() => parseDuration(text, '--stop-timeout')).message).toBe(`invalid --stop-timeout '${text}': ${EXPECTED}`);
    },
  );

  it.each([`0.${'0'.repeat(400)}1`, `0.${'0'.repeat(330)}1s`, `.${'0'.repeat(400)}5h`])(
    'rejects a tiny non-zero %j that underflows a double, rather than reading 0 = never (fuzzing, #6)',
    (text) => {
      expect(usageError(() => parseDuration(text, '--stop-timeout')).message).toBe(`invalid --stop-timeout '${text}': must be 0 or at least 1ms`);
    },
  );

  it('still reads zeros with many decimals as 0', () => {
    expect(parseDuration(`0.${'0'.repeat(400)}`, '--stop-timeout')).toBe(0);
    expect(parseDuration(`000.000ms`, '--stop-timeout')).toBe(0);
  });

  it('names whatever option or variable it is told about', () => {
    expect(usageError(() => parseDuration('10x', 'GRACIE_STOP_DELAY')).message).toBe(`invalid GRACIE_STOP_DELAY '10x': ${EXPECTED}`);
  });
});

describe('formatDuration', () => {
  it.each([
    [10_000, '10s'],
    [1_500, '1500ms'],
    [0, '0s'],
    [120_000, '2m'],
    [60_000, '1m'],
    [90_000, '90s'],
    [1, '1ms'],
  ])('formats %i as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('tiny durations', () => {
  it.each(['0.4ms', '0.0004s'])('%s is rejected rather than silently becoming 0 ("never")', (text) => {
    expect(usageError(() => parseDuration(text, '--stop-timeout')).message).toBe(`invalid --stop-timeout '${text}': must be 0 or at least 1ms`);
  });
  it('0.5ms rounds up to 1ms', () => {
    expect(parseDuration('0.5ms', '--stop-timeout')).toBe(1);
  });
});
