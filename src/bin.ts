// Entry point of the bundle. start-libc comes first (it must finish before anyone listens for signals), then
// signal-inbox: its listeners must exist before anything else runs.
import { libcAtStart } from './start-libc';
import { restoreDefaultAction } from './signal-inbox';
import { main } from './main';
import type { ExitDecision } from './exit-status';

main(process.argv.slice(2), process.env).then(exitWith, () => process.exit(1));

/** Exits with a code, or ends gracie with the child's signal; the code is the fallback if it survives. */
function exitWith(decision: ExitDecision): void {
  try {
    if (decision.kind === 'signal') {
      restoreDefaultAction(decision.signal);
      process.kill(process.pid, decision.signal);
    }
  } finally {
    if (typeof libcAtStart === 'string') process.exit(decision.code);
    // Every line gracie writes went out synchronously: nothing waits for Node's orderly exit, which takes ~1 ms
    // more. 'exit' listeners (none of gracie's; a preloaded hook's) still run, as process.exit runs them.
    process.exitCode = decision.code;
    process.emit('exit', decision.code);
    libcAtStart.exitNow(decision.code);
  }
}
