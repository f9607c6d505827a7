// Just enough of a Dockerfile parser to run the examples of Dockerfile.example without a Docker engine: stages,
// `# example: <name>` markers, ENV, WORKDIR, ENTRYPOINT, CMD, COPY, and Docker's rules for what a stage inherits
// from the stage it is built FROM. Heredocs (`COPY <<EOF`) are refused, as buildah 1.28 (Debian's podman) and
// older kaniko refuse them: the examples must build with every common builder.

import { posix } from 'node:path';

/** ENTRYPOINT or CMD as written: exec form (JSON array) or shell form (a line for /bin/sh -c). */
export type CommandForm = { form: 'exec'; argv: string[] } | { form: 'shell'; line: string };

export interface Copy {
  /** --from=<stage>, if any */
  from: string | undefined;
  sources: string[];
  dest: string;
}

export interface Stage {
  /** the name after AS */
  name: string;
  /** the image or stage it is built FROM */
  from: string;
  /** the name in the `# example: <name>` marker right above FROM */
  example: string | undefined;
  env: Array<[string, string]>;
  workdir: string | undefined;
  entrypoint: CommandForm | undefined;
  cmd: CommandForm | undefined;
  copies: Copy[];
  runs: string[];
}

/** What a container of this stage runs, as Docker computes it. */
export interface Resolved {
  argv: string[];
  env: Record<string, string>;
  workdir: string | undefined;
  /** COPYs from the build context (no --from) of the stage and its ancestors, destinations made absolute */
  contextCopies: Array<{ sources: string[]; dest: string }>;
}

interface Line {
  text: string;
  number: number;
}

/** Logical lines: continuations joined, comments dropped (markers kept). */
function logicalLines(text: string): Line[] {
  const raw = text.split('\n');
  const lines: Line[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    const number = i + 1;
    let line = raw[i];
    if (/^\s*#/.test(line)) {
      if (/^#\s*example:/.test(line)) lines.push({ text: line.trim(), number });
      continue;
    }
    if (line.trim() === '') continue;
    while (/\\\s*$/.test(line) && i + 1 < raw.length) {
      i += 1;
      if (/^\s*#/.test(raw[i])) continue;
      line = `${line.replace(/\\\s*$/, '')} ${raw[i].trim()}`;
    }
    if (/<<-?["']?[A-Za-z_]/.test(line)) throw new Error(`line ${number}: a heredoc, which buildah 1.28 and older kaniko cannot build`);
    lines.push({ text: line.trim(), number });
  }
  return lines;
}

function commandForm(rest: string, where: string): CommandForm {
  if (!rest.startsWith('[')) return { form: 'shell', line: rest };
  const argv: unknown = JSON.parse(rest);
  if (!Array.isArray(argv) || !argv.every((word) => typeof word === 'string')) throw new Error(`${where}: exec form must be a JSON array of strings`);
  return { form: 'exec', argv };
}

function parseEnv(rest: string, where: string): Array<[string, string]> {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(rest);
  if (legacy && !rest.split(/\s/)[0].includes('=')) return [[legacy[1], legacy[2]]];
  const pairs: Array<[string, string]> = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/y;
  while (pattern.lastIndex < rest.length) {
    const match = pattern.exec(rest);
    if (!match) throw new Error(`${where}: cannot read ENV ${rest}`);
    const value = match[2];
    const unquoted = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value.startsWith("'") ? value.slice(1, -1) : value;
    if (unquoted.includes('$')) throw new Error(`${where}: variable expansion in ENV is not supported here`);
    pairs.push([match[1], unquoted]);
  }
  return pairs;
}

function parseCopy(rest: string): Copy {
  const words = rest.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop() as string;
  return { from, sources: words, dest };
}

/** Parses the stages of a Dockerfile. Instructions before the first FROM (ARG) are ignored. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pendingExample: string | undefined;
  for (const { text: line, number } of logicalLines(text)) {
    const where = `Dockerfile line ${number}`;
    const example = /^#\s*example:\s*(\S+)\s*$/.exec(line);
    if (example) {
      pendingExample = example[1];
      continue;
    }
    const [, instruction, rest] = /^(\S+)\s*(.*)$/.exec(line) as RegExpExecArray;
    const keyword = instruction.toUpperCase();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`${where}: cannot read FROM ${rest}`);
      stages.push({
        name: (from[2] ?? `stage-${stages.length}`).toLowerCase(),
        from: from[1],
        example: pendingExample,
        env: [],
        workdir: undefined,
        entrypoint: undefined,
        cmd: undefined,
        copies: [],
        runs: [],
      });
      pendingExample = undefined;
      continue;
    }
    if (pendingExample) throw new Error(`${where}: the marker '# example: ${pendingExample}' must come right before a FROM`);
    const stage = stages.at(-1);
    if (!stage) continue;
    if (keyword === 'ENV') stage.env.push(...parseEnv(rest, where));
    else if (keyword === 'WORKDIR') stage.workdir = rest.startsWith('/') ? rest : `${stage.workdir ?? ''}/${rest}`;
    else if (keyword === 'ENTRYPOINT') stage.entrypoint = commandForm(rest, where);
    else if (keyword === 'CMD') stage.cmd = commandForm(rest, where);
    else if (keyword === 'COPY' || keyword === 'ADD') stage.copies.push(parseCopy(rest));
    else if (keyword === 'RUN') stage.runs.push(rest);
  }
  return stages;
}

/** The stages from `name` up to the first one built FROM an image outside the file, base first. */
export function lineage(stages: readonly Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  for (let stage = stages.find((s) => s.name === name); stage; stage = stages.find((s) => s.name === stage?.from.toLowerCase())) {
    if (chain.includes(stage)) throw new Error(`stage ${stage.name} is built FROM itself`);
    chain.unshift(stage);
  }
  if (chain.length === 0) throw new Error(`no stage named ${name}`);
  return chain;
}

const toArgv = (command: CommandForm): string[] => (command.form === 'exec' ? command.argv : ['/bin/sh', '-c', command.line]);

/**
 * What a container of stage `name` runs, by Docker's rules: ENV accumulates, the last ENTRYPOINT and CMD win,
 * setting ENTRYPOINT clears a CMD inherited from the base, a shell-form CMD runs as `/bin/sh -c "<line>"` and is
 * appended to an exec-form ENTRYPOINT. (What the outside base image sets is not known here: every stage this is
 * used on sets its own ENTRYPOINT.)
 */
export function resolveStage(stages: readonly Stage[], name: string): Resolved {
  let entrypoint: CommandForm | undefined;
  let cmd: CommandForm | undefined;
  let workdir: string | undefined;
  const env: Record<string, string> = {};
  const contextCopies: Resolved['contextCopies'] = [];
  for (const stage of lineage(stages, name)) {
    for (const [key, value] of stage.env) env[key] = value;
    if (stage.entrypoint) {
      entrypoint = stage.entrypoint;
      cmd = undefined;
    }
    if (stage.cmd) cmd = stage.cmd;
    workdir = stage.workdir ?? workdir;
    for (const copy of stage.copies) {
      if (copy.from !== undefined) continue;
      const dest = posix.resolve(workdir ?? '/', copy.dest);
      contextCopies.push({ sources: copy.sources, dest });
    }
  }
  if (!entrypoint) throw new Error(`stage ${name} has no ENTRYPOINT`);
  if (entrypoint.form === 'shell') throw new Error(`stage ${name}: a shell-form ENTRYPOINT ignores CMD and signals; use the exec form`);
  return { argv: [...toArgv(entrypoint), ...(cmd ? toArgv(cmd) : [])], env, workdir, contextCopies };
}
