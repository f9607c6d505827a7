// Durations as the contract spells them: 500ms, 10s, 2m, 1h, or a bare number of seconds.
import { UsageError } from './errors';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Longest timer Node can arm: setTimeout fires at once (with a warning) beyond 2^31-1 ms. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Parses a duration into whole milliseconds. A bare number means seconds, as in `docker stop -t 10`
 * and Kubernetes' terminationGracePeriodSeconds. `what` names the option or variable for the error.
 */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (match) {
    const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']);
    // 0 means "never" for --stop-timeout: a tiny non-zero value must not silently turn into it. Asked of the
    // digits, not of the double: 0.<400 zeros>1 underflows to exactly 0.
    const nonZero = /[1-9]/.test(match[1]);
    if (ms === 0 && nonZero) throw new UsageError(`invalid ${what} '${text}': must be 0 or at least 1ms`);
    if (ms <= MAX_DURATION_MS) return ms;
    throw new UsageError(`invalid ${what} '${text}': must be at most 24d (${MAX_DURATION_MS}ms)`);
  }
  throw new UsageError(`invalid ${what} '${text}': expected a duration such as 500ms, 10s, 2m, 1h or a number of seconds`);
}

/** Human form of a duration for help text and logs: 10000 -> "10s", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
