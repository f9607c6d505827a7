// Waiting for an observable fact with a deadline, for every suite that runs real processes.

/**
 * Polls `probe` every 10 ms until it returns a value other than undefined; fails with `describe()` on timeout. The
 * probe may be async (one that asks the container engine); it is then awaited before the next poll.
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, describe: () => string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; saw:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
