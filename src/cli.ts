// The command line: flag spellings, help text and commander's quirks. Values are validated in config.ts.
import type { Command, CommanderError } from 'commander';
import { printable, type CliValues } from './config';
import { UsageError } from './errors';
import { IS_SEA, requireEmbedded } from './sea';

declare const GRACIE_VERSION: string;
/** Injected by the esbuild build; "dev" when run from source (unit tests). */
export const VERSION = typeof GRACIE_VERSION === 'string' ? GRACIE_VERSION : 'dev';

export type CliResult =
  | { kind: 'run'; values: CliValues; command: string[] }
  /** help or version was printed */
  | { kind: 'done' };

const EXAMPLES = `
Examples:
  gracie -- node server.js                    forward signals, reap zombies, exit with the app's status
  gracie --stop-signal SIGQUIT -- nginx -g 'daemon off;'
                                              nginx drains on SIGQUIT: a SIGTERM from the runtime becomes SIGQUIT
  gracie -g -t 25s -- sh -c 'npm start'       signal the whole process group; SIGKILL what is left after 25s
  gracie --stop-delay 5s -- ./server          keep serving 5s after SIGTERM while the load balancer drains
  gracie -s -g -e 143 -- java -jar app.jar    tini's flags keep working

Environment (the command line wins):
  GRACIE_STOP_SIGNAL  GRACIE_REWRITE (comma list)  GRACIE_STOP_TIMEOUT  GRACIE_STOP_DELAY
  GRACIE_PROCESS_GROUP  GRACIE_SUBREAPER  GRACIE_PARENT_DEATH_SIGNAL  GRACIE_SUCCESS_EXIT (comma list)
  GRACIE_LOG_LEVEL (silent, error, warn, info, debug, trace)  GRACIE_LOG_FORMAT (json, pretty)
  Booleans take 1/true/yes/on or 0/false/no/off. Signals: SIGQUIT, QUIT, quit or 3;
  real-time ones as SIGRTMIN+3, RTMIN+3, SIGRTMAX-2 or a number.
  Durations: 500ms, 10s, 2m, 1h or a number of seconds.

Exit status: the command's; 0 for codes listed with -e; 128+N if it died of signal N (as PID 1; otherwise
gracie ends itself with that signal); 2 usage error; 126 not executable; 127 not found; 1 internal failure.
`;

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const count = (_: string, previous: number): number => previous + 1;

/** commander, required on first use: the common `gracie -- cmd` never loads it (see parseCommandLine). */
const commander = (): typeof import('commander') => (IS_SEA ? requireEmbedded('commander') : require('commander')) as typeof import('commander');

function buildProgram(write: (text: string) => void): Command {
  const program: Command = new (commander().Command)('gracie')
    .usage('[options] [--] <command> [args...]')
    .description('A PID-1 init for containers: forwards signals, stops the app gracefully, reaps zombies.')
    .argument('<command...>', 'the program to run, and its arguments')
    .option('--stop-signal <sig>', 'signal the command gets when gracie receives SIGTERM (default: SIGTERM)')
    .option('-r, --rewrite <from:to>', 'rewrite a signal before forwarding; to = 0 or none drops it (repeatable)', collect)
    .option('-t, --stop-timeout <dur>', 'from the first stop request until SIGKILL; 0 = never (default: 10s)')
    .option('--stop-delay <dur>', 'wait this long before forwarding the first stop request (default: 0)')
    .option('-g, --process-group', "forward signals to the command's whole process group")
    .option('-s, --subreaper', 'register as child subreaper when not PID 1 (the default)')
    .option('--no-subreaper', 'do not register as child subreaper')
    .option('-p, --parent-death-signal <sig>', 'signal gracie treats as received when its parent dies')
    .option('-e, --success-exit <code>', 'exit code reported as 0 (repeatable)', collect)
    .option('-w, --warn-on-reap', 'log each reaped zombie at warn')
    .option('-v, --verbose', 'more logging (repeatable: debug, trace)', count, 0)
    .option('-q, --quiet', 'less logging (repeatable: warn, error, silent)', count, 0)
    .option('--log-format <format>', 'json or pretty (default: pretty on a terminal, json otherwise)')
    .version(VERSION, '-V, --version')
    // -h is an ordinary option, read in its turn like -V. commander's own help flag is searched for in every word
    // after an unknown option, the command's included: `gracie --bogus -- app --help` printed help and exited 0.
    .helpOption(false)
    .option('-h, --help', 'show this help')
    .on('option:help', () => {
      program.outputHelp();
      throw new (commander().CommanderError)(0, 'commander.helpDisplayed', '(outputHelp)');
    })
    .addHelpText('after', EXAMPLES)
    // Options stop at the command: `gracie nginx -g 'daemon off;'` passes -g to nginx.
    .passThroughOptions()
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: () => {}, outputError: () => {} });
  return program;
}

/** Parses gracie's own arguments (argv without node and script). Throws UsageError on bad input. */
export function parseCommandLine(args: readonly string[], write: (text: string) => void): CliResult {
  const command = commandWithoutOptions(args);
  return command ? { kind: 'run', values: NO_OPTIONS, command } : parseWithCommander(args, write);
}

/** The full parser, for every command line with options (and, in unit tests, to check the fast path). */
export function parseWithCommander(args: readonly string[], write: (text: string) => void): CliResult {
  const program = buildProgram(write);
  try {
    program.parse([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof commander().CommanderError)) throw error;
    if (error.exitCode === 0) return { kind: 'done' };
    throw new UsageError(describeCommanderError(error));
  }
  const opts = program.opts();
  const values: CliValues = {
    stopSignal: opts.stopSignal,
    rewrite: opts.rewrite ?? [],
    stopTimeout: opts.stopTimeout,
    stopDelay: opts.stopDelay,
    processGroup: opts.processGroup,
    subreaper: opts.subreaper,
    parentDeathSignal: opts.parentDeathSignal,
    successExit: opts.successExit ?? [],
    verbose: opts.verbose,
    quiet: opts.quiet,
    logFormat: opts.logFormat,
    warnOnReap: opts.warnOnReap === true,
  };
  // commander reads a word like -5 or -.5 as a negative number, not an option, and so as the command. A
  // command starting with '-' must follow '--', as the usage says.
  const command = program.args;
  if (command[0]?.startsWith('-') && args[args.length - command.length - 1] !== '--') {
    throw new UsageError(`unknown option '${printable(command[0])}' (see gracie --help for the options; a command starting with '-' goes after --)`);
  }
  return { kind: 'run', values, command };
}

/** What commander returns when no option is given. */
const NO_OPTIONS: CliValues = Object.freeze({ rewrite: [], successExit: [], verbose: 0, quiet: 0, warnOnReap: false });

/**
 * The command when no option comes before it (`gracie -- cmd ...`, `gracie cmd ...`: the usual ENTRYPOINT, with
 * settings from GRACIE_* variables), else null. Start-up is paid by every container: this path skips loading
 * commander. Unit tests check that commander parses these argument lists to the same result.
 */
function commandWithoutOptions(args: readonly string[]): string[] | null {
  if (args[0] === '--') return args.length > 1 ? args.slice(1) : null;
  return args.length > 0 && !args[0].startsWith('-') ? [...args] : null;
}

/** One line naming what was wrong, in gracie's voice rather than commander's. */
function describeCommanderError(error: CommanderError): string {
  // One line: commander puts its "(Did you mean --x?)" suggestion on a line of its own, and the flag it quotes is
  // the user's word, which may hold any character (shown escaped, as resolveConfig shows values).
  const text = printable(error.message.replace(/^error: /, '').replace(/\n(?=\(Did you mean )/g, ' '));
  switch (error.code) {
    case 'commander.missingArgument':
      return 'missing command: usage is gracie [options] [--] <command> [args...] (see gracie --help)';
    case 'commander.unknownOption':
      return `${text} (see gracie --help for the options)`;
    case 'commander.optionMissingArgument':
      return `${text} (see gracie --help)`;
    default:
      return text;
  }
}
