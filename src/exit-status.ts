// The one place that maps how the child ended to gracie's own exit.

/** How the main child ended, as waitpid reports it. */
export type ChildEnd = { readonly code: number; readonly signal: null } | { readonly code: null; readonly signal: number };

/** gracie either exits with a code, or ends itself with the child's signal so a calling shell sees it. */
export type ExitDecision =
  | { readonly kind: 'code'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: number; readonly code: number };

/**
 * Exit code for the child's end. As tini does: exited n -> n; killed by signal N -> 128+N (what sh and bash
 * report); the result is taken mod 256; then codes listed with -e become 0. Not PID 1, a child killed by a
 * signal makes gracie end itself with that signal (a calling shell then sees "Terminated" or the job's real
 * cause), unless -e listed 128+N; `code` is the fallback if the signal does not end gracie.
 */
export function decideExit(end: ChildEnd, successExit: ReadonlySet<number>, isPid1: boolean): ExitDecision {
  const raw = (end.signal === null ? end.code : 128 + end.signal) & 0xff;
  if (successExit.has(raw)) return { kind: 'code', code: 0 };
  if (end.signal !== null && !isPid1) return { kind: 'signal', signal: end.signal, code: raw };
  return { kind: 'code', code: raw };
}

/** Exit codes of the shells for a command that could not be started. */
export const NOT_FOUND = 127;
export const NOT_EXECUTABLE = 126;
export const INTERNAL_FAILURE = 1;

/** Maps an exec/spawn errno name to the shell's exit code: 127 not found, 126 not executable, else 1. */
export function spawnErrorExitCode(errno: string | undefined): number {
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return NOT_FOUND;
    case 'EACCES':
    case 'EPERM':
    case 'ENOEXEC':
    case 'EISDIR':
    case 'ELOOP':
    case 'ETXTBSY':
      return NOT_EXECUTABLE;
    default:
      return INTERNAL_FAILURE;
  }
}
