// Before the container suite: the engine and base images (engine-setup.sh), then every `# example: <name>` stage
// of Dockerfile.example built exactly as written, with the repository as the build context, tagged
// localhost/gracie-example:<name>. A stage that does not build fails the suite with the builder's last lines.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDockerfile } from '../e2e/dockerfile';
import { exampleImage, HOST_SEA, PLAIN_NGINX_IMAGE } from './images';

const ROOT = resolve(__dirname, '../..');

/** Runs a command; resolves with its combined output, or fails with its last `tail` lines. */
function run(argv: readonly string[], what: string, tail = 40): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', (error) => reject(new Error(`${what}: cannot run ${argv[0]}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolveRun(output);
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}); its last lines:\n${output.split('\n').slice(-tail).join('\n')}`));
    });
  });
}

const seconds = (since: bigint): string => `${(Number(process.hrtime.bigint() - since) / 1e9).toFixed(1)} s`;

export default async function setup(): Promise<void> {
  let started = process.hrtime.bigint();
  await run(['bash', join(__dirname, 'engine-setup.sh')], 'test/container/engine-setup.sh');
  console.log(`container suite: engine and base images ready in ${seconds(started)}`);
  const examples = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile.example'), 'utf8')).filter((stage) => stage.example !== undefined);
  if (examples.length === 0) throw new Error('Dockerfile.example has no `# example: <name>` stage');
  for (const stage of examples) {
    started = process.hrtime.bigint();
    // --pull=never: the FROM images are the local ones engine-setup.sh made. --network host: RUN steps reach
    // Debian's archive and the npm registry the way the host does.
    const argv = ['podman', 'build', '--pull=never', '--network', 'host', '-f', 'Dockerfile.example', '--target', stage.name, '-t', exampleImage(stage.name), '.'];
    await run(argv, `building the example '${stage.name}' (${argv.join(' ')})`);
    console.log(`container suite: built ${exampleImage(stage.name)} in ${seconds(started)}`);
  }
  started = process.hrtime.bigint();
  await run(['podman', 'build', '--pull=never', '--network', 'host', '-f', join(__dirname, 'nginx-plain.Containerfile'), '-t', PLAIN_NGINX_IMAGE, __dirname], `building ${PLAIN_NGINX_IMAGE}`);
  // The single executable as a user builds it, for `podman run --init-path`.
  await run(['npm', 'run', 'build:sea', '--', process.arch], `npm run build:sea -- ${process.arch}`);
  console.log(`container suite: built ${PLAIN_NGINX_IMAGE} and ${HOST_SEA} in ${seconds(started)}`);
}
