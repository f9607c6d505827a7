// Pure: a one-line hint when the command is a server known to drain on another signal than SIGTERM and no stop
// signal is configured. A hint only: gracie's behaviour never depends on it. Sources: docs/operations.md.
import { basename } from 'node:path';

interface Server {
  /** what the hint calls it */
  name: string;
  /** matches the basename of the program */
  program: RegExp;
  /** the signal it drains on */
  drainsOn: string;
  /** what SIGTERM does to it instead */
  onTerm: string;
}

const SERVERS: readonly Server[] = [
  { name: 'nginx', program: /^(nginx|openresty)$/, drainsOn: 'SIGQUIT', onTerm: 'drops open connections (fast shutdown)' },
  {
    name: 'Apache httpd',
    program: /^(httpd|apache2|apachectl|apache2ctl|httpd-foreground|apache2-foreground)$/,
    drainsOn: 'SIGWINCH',
    onTerm: 'aborts requests in flight',
  },
  { name: 'php-fpm', program: /^php(\d+(\.\d+)?)?-fpm(\d+(\.\d+)?)?$/, drainsOn: 'SIGQUIT', onTerm: 'terminates at once' },
  { name: 'HAProxy', program: /^haproxy$/, drainsOn: 'SIGUSR1', onTerm: 'closes established connections (hard stop)' },
  {
    name: 'PostgreSQL',
    program: /^(postgres|postmaster)$/,
    drainsOn: 'SIGINT',
    onTerm: 'is a "smart" shutdown that waits for every client to disconnect (a pool never does); SIGINT is the "fast" one',
  },
];

/** Shells whose `-c` script is read for the program it runs (a shell-form CMD is `/bin/sh -c "..."`). */
const SHELLS = /^(sh|bash|dash|ash|zsh|ksh|mksh|busybox)$/;
/** Words that run the next word as the program: `exec nginx`, `env A=1 nginx`. */
const PREFIXES = new Set(['exec', 'env', 'nohup']);

/**
 * The hint to log once at start, or null. `termRewritten`: a stop signal or a rewrite for SIGTERM is configured
 * (--stop-signal, -r TERM:..., GRACIE_STOP_SIGNAL, GRACIE_REWRITE), i.e. `config.rewrite.has(SIGTERM)`.
 */
export function stopSignalHint(command: readonly string[], termRewritten: boolean): string | null {
  if (termRewritten) return null;
  const server = findServer(command);
  if (!server) return null;
  return (
    `${server.name} drains on ${server.drainsOn}, while SIGTERM ${server.onTerm}: ` +
    `set --stop-signal ${server.drainsOn} (or GRACIE_STOP_SIGNAL=${server.drainsOn}) to stop it gracefully`
  );
}

function findServer(command: readonly string[]): Server | undefined {
  const words = skipPrefixes(command);
  const program = words[0] === undefined ? '' : basename(words[0]);
  const direct = SERVERS.find((server) => server.program.test(program));
  if (direct) return direct;
  if (!SHELLS.test(program)) return undefined;
  // busybox sh -c ...
  const args = program === 'busybox' ? words.slice(2) : words.slice(1);
  const script = scriptOf(args);
  return script === undefined ? undefined : findInScript(script);
}

/** The `-c` script of a shell's arguments (`-c`, `-ec`, `-xc` ...), if any. */
function scriptOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') return undefined;
    if (/^-[a-z]*c[a-z]*$/.test(arg)) return args[i + 1];
  }
  return undefined;
}

/** The first known server among the simple commands of a script, cheaply: split on ; & | && || and newlines. */
function findInScript(script: string): Server | undefined {
  for (const part of script.split(/&&|\|\||[;&|\n]/)) {
    const words = skipPrefixes(part.trim().split(/\s+/).map((word) => word.replace(/^['"]|['"]$/g, '')));
    const program = words[0] === undefined ? '' : basename(words[0]);
    const server = SERVERS.find((candidate) => candidate.program.test(program));
    if (server) return server;
  }
  return undefined;
}

/** Drops `exec`, `env`, `nohup`, their options and VAR=value assignments in front of the program. */
function skipPrefixes(words: readonly string[]): readonly string[] {
  let i = 0;
  let afterPrefix = false;
  for (; i < words.length; i += 1) {
    const word = words[i];
    if (PREFIXES.has(basename(word))) afterPrefix = true;
    else if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && !(afterPrefix && word.startsWith('-'))) break;
  }
  return words.slice(i);
}
