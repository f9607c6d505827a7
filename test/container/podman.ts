// The container suite's view of a real engine: containers of the images built from Dockerfile.example (see
// global-setup.ts), started with `podman run -d`, watched through `podman logs -f` with deadlines, inspected
// through /proc inside (the images have no `ps`), and removed after every test, whatever happened.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { waitFor } from '../e2e/wait';

export { waitFor };
export { exampleImage } from './images';

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs podman; resolves with its exit code and output, whatever the code (the caller decides what it means). */
export function podmanResult(args: readonly string[], timeoutMs = 60_000): Promise<PodmanResult> {
  return new Promise((resolve) => {
    execFile('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: error && code === -1 ? `${stderr}${error.message}` : stderr });
    });
  });
}

/** Runs podman and returns its stdout; fails with the command line and its stderr when it does not exit 0. */
export async function podman(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const result = await podmanResult(args, timeoutMs);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export interface ContainerOptions {
  /** -e NAME=value */
  env?: Record<string, string>;
  /** host port on 127.0.0.1 -> container port */
  ports?: Record<number, number>;
  /** -v host:container[:options] */
  volumes?: string[];
  /** more `podman run` flags, before the image */
  flags?: string[];
  /** the command after the image (replaces CMD) */
  command?: string[];
}

/** One process inside a container, from its /proc. */
export interface ContainerProcess {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

const containers = new Set<Container>();

afterEach(async () => {
  await Promise.all([...containers].map((container) => container.remove()));
  containers.clear();
});

/** A container started with `podman run -d`, its stdout and stderr followed from the start. */
export class Container {
  readonly name = `gracie-test-${randomBytes(4).toString('hex')}`;
  stdout = '';
  stderr = '';
  private follower: ChildProcess | undefined;

  private constructor(readonly image: string) {
    containers.add(this);
  }

  /** Starts a container of `image`; resolves once podman has started it and its logs are followed. */
  static async run(image: string, options: ContainerOptions = {}): Promise<Container> {
    const container = new Container(image);
    const flags = [
      ...Object.entries(options.env ?? {}).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
      ...Object.entries(options.ports ?? {}).flatMap(([host, inside]) => ['-p', `127.0.0.1:${host}:${inside}`]),
      ...(options.volumes ?? []).flatMap((volume) => ['-v', volume]),
      ...(options.flags ?? []),
    ];
    await podman(['run', '-d', '--name', container.name, ...flags, image, ...(options.command ?? [])]);
    container.follow();
    return container;
  }

  /** `podman logs -f`: the container's stdout and stderr, kept apart, as they are written. */
  private follow(): void {
    const follower = spawn('podman', ['logs', '-f', this.name], { stdio: ['ignore', 'pipe', 'pipe'] });
    follower.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    follower.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.follower = follower;
  }

  /** Everything the container printed so far, for failure messages. */
  describe = (): string => `--- ${this.name} (${this.image}) stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;

  /** gracie's JSON log lines so far (stderr). */
  logs(): Array<Record<string, unknown>> {
    return this.stderr
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"name":"gracie"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits for a gracie log line whose msg matches `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return waitFor(() => this.logs().find((entry) => pattern.test(String(entry.msg))), `a gracie log line matching ${pattern}`, this.describe, timeoutMs);
  }

  /** Waits until at least `count` stdout lines match `pattern`. */
  waitForStdout(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<RegExpMatchArray[]> {
    return waitFor(
      () => {
        const matches = this.stdout.split('\n').flatMap((line) => line.match(pattern) ?? []);
        return matches.length >= count ? this.stdout.split('\n').map((line) => line.match(pattern)).filter((m): m is RegExpMatchArray => m !== null) : undefined;
      },
      `${count} stdout line(s) matching ${pattern}`,
      this.describe,
      timeoutMs,
    );
  }

  /** `podman stop -t <seconds>`: the image's stop signal, then SIGKILL after the timeout. Resolves with how long it took. */
  async stop(seconds: number): Promise<number> {
    const started = process.hrtime.bigint();
    await podman(['stop', '-t', String(seconds), this.name], (seconds + 30) * 1000);
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  /** `podman kill -s <signal>`: one signal to PID 1, as an operator sends it. */
  async kill(signal: string): Promise<void> {
    await podman(['kill', '-s', signal, this.name]);
  }

  /** The state podman reports: running or not, and the exit code once it has stopped. */
  async state(): Promise<{ running: boolean; exitCode: number; status: string }> {
    const [running, exitCode, status] = (await podman(['inspect', this.name, '--format', '{{.State.Running}} {{.State.ExitCode}} {{.State.Status}}'])).trim().split(' ');
    return { running: running === 'true', exitCode: Number(exitCode), status };
  }

  /** Waits for the container to stop by itself; returns its exit code. */
  async exited(timeoutMs = 20_000): Promise<number> {
    const result = await podmanResult(['wait', this.name], timeoutMs);
    if (result.code !== 0) throw new Error(`podman wait ${this.name} exited ${result.code}: ${result.stderr}\n${this.describe()}`);
    return Number(result.stdout.trim());
  }

  /** Runs a command inside the container (`podman exec`); returns its stdout. */
  exec(command: readonly string[]): Promise<string> {
    return podman(['exec', this.name, ...command]);
  }

  /**
   * The processes of the container, from /proc inside it, without the one `podman exec` started to read them.
   * The images have no `ps`; their sh (dash) reads /proc just as well.
   */
  async processes(): Promise<ContainerProcess[]> {
    const script = [
      'for p in /proc/[0-9]*; do',
      '  [ "${p#/proc/}" = "$$" ] && continue',
      '  s=$(cat "$p/stat" 2>/dev/null) || continue',
      '  c=$(tr "\\0" " " <"$p/cmdline" 2>/dev/null)',
      '  printf "%s|%s|%s\\n" "${p#/proc/}" "${s##*) }" "$c"',
      'done',
    ].join('\n');
    const out = await this.exec(['sh', '-c', script]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid, rest, cmdline] = line.split('|');
        const [state, ppid] = rest.split(' ');
        return { pid: Number(pid), ppid: Number(ppid), state, cmdline: cmdline.trim() };
      })
      .filter((proc) => proc.ppid !== 0 || proc.pid === 1);
  }

  /** Removes the container (SIGKILL if it still runs) and stops following its logs. */
  async remove(): Promise<void> {
    await podmanResult(['rm', '-f', '-t', '0', this.name], 30_000);
    this.follower?.kill();
    containers.delete(this);
  }
}
