// The Node floor: the least a Node.js init can do. Spawn the command with inherited stdio,
// forward signals to it, exit with its code (or 128 + signal). No reaping, no logging, no options
// beyond an optional leading `--` (and `--setsid`, below). gracie's costs are compared against this.
//
// `node node-floor.mjs --setsid -- command...` (node-floor-setsid in the benchmarks) spawns the child
// with `detached: true`, in a session of its own (as dumb-init and libuv's detached spawn do); without
// it the child stays in the floor's session and process group. Only a leading `--setsid` before
// the `--` counts, so the child's own argv never clashes with it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const argv = process.argv.slice(2);
const setsid = argv[0] === '--setsid';
if (setsid) argv.shift();
if (argv[0] === '--') argv.shift();
if (argv.length === 0) {
  process.stderr.write('usage: node node-floor.mjs [--setsid] [--] command [args...]\n');
  process.exit(2);
}

// Every signal a container runtime or a terminal may send. SIGUSR1 must get a listener before
// anything else, or Node opens its inspector on it. SIGKILL/SIGSTOP cannot be caught; SIGCHLD,
// SIGPIPE and the fault signals are not forwarded.
const FORWARD = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH',
  'SIGALRM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGVTALRM', 'SIGPROF', 'SIGXCPU',
  'SIGXFSZ', 'SIGPWR', 'SIGURG'];

let child = null;
for (const sig of FORWARD) {
  process.on(sig, () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      try { child.kill(sig); } catch { /* the child is gone: its exit event follows */ }
    }
  });
}

child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', detached: setsid });
child.on('error', (err) => {
  process.stderr.write(`node-floor: ${argv[0]}: ${err.message}\n`);
  process.exit(err.code === 'ENOENT' ? 127 : 126);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
