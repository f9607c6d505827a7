import { expect } from 'vitest';
import { UsageError } from '../../src/errors';

/** Runs `fn`, expects a UsageError (exit 2) and returns it for exact message checks. */
export function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, but nothing was thrown');
}
