// docs/operations.md promises budgets that add up: this reads its Kubernetes manifest and ECS task definition
// and checks them with gracie's own duration parser, so an edit that breaks the arithmetic fails here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration';
import { AFTER_KILL_GRACE_MS } from '../../src/supervisor';

const doc = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8');

/** The body of the first fenced block with this info string whose text matches `pattern`. */
function block(info: string, pattern: RegExp): string {
  const found = [...doc.matchAll(new RegExp(`\`\`\`${info}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]).find((body) => pattern.test(body));
  if (!found) throw new Error(`docs/operations.md has no \`\`\`${info} block matching ${pattern}`);
  return found;
}

/** nginx's drain bound from its `-g` directives, in ms. */
function nginxDrainMs(args: readonly string[]): number {
  const directives = args[args.indexOf('-g') + 1] ?? '';
  const match = /worker_shutdown_timeout (\S+);/.exec(directives);
  if (!match) throw new Error(`no worker_shutdown_timeout in ${JSON.stringify(args)}`);
  return parseDuration(match[1], 'worker_shutdown_timeout');
}

/** Room gracie needs after its own deadline: SIGKILL, up to AFTER_KILL_GRACE_MS for stuck processes, its exit. */
const ESCALATION_MARGIN_MS = AFTER_KILL_GRACE_MS + 1000;

describe('docs/operations.md budgets', () => {
  it('Kubernetes: stop delay + nginx drain < --stop-timeout, and --stop-timeout + margin < terminationGracePeriodSeconds', () => {
    const yaml = block('yaml', /kind: Deployment/);
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(yaml)?.[1]);
    const env = (name: string): string => {
      const value = new RegExp(`- name: ${name}\\s*(?:#.*)?\\n\\s*value: "([^"]*)"`).exec(yaml)?.[1];
      if (value === undefined) throw new Error(`the manifest sets no ${name}`);
      return value;
    };
    const args = JSON.parse(/args: (\[.*\])/.exec(yaml)?.[1] ?? '[]') as string[];
    const delay = parseDuration(env('GRACIE_STOP_DELAY'), 'GRACIE_STOP_DELAY');
    const timeout = parseDuration(env('GRACIE_STOP_TIMEOUT'), 'GRACIE_STOP_TIMEOUT');
    expect(env('GRACIE_STOP_SIGNAL')).toBe('SIGQUIT');
    expect(args.slice(0, 2)).toEqual(['nginx', '-g']);
    expect(delay + nginxDrainMs(args)).toBeLessThan(timeout);
    expect(timeout + ESCALATION_MARGIN_MS).toBeLessThanOrEqual(grace * 1000);
    // --stop-delay replaces the preStop sleep: both would count against the same grace period.
    expect(yaml).not.toMatch(/^\s*preStop:/m);
  });

  it('ECS: nginx drain < --stop-timeout, and --stop-timeout + margin < stopTimeout (at most 120 s on Fargate)', () => {
    const task = JSON.parse(block('json', /containerDefinitions/)) as {
      containerDefinitions: Array<{ command: string[]; stopTimeout: number; environment: Array<{ name: string; value: string }> }>;
    };
    const [container] = task.containerDefinitions;
    const env = Object.fromEntries(container.environment.map(({ name, value }) => [name, value]));
    const timeout = parseDuration(env.GRACIE_STOP_TIMEOUT, 'GRACIE_STOP_TIMEOUT');
    const delay = env.GRACIE_STOP_DELAY ? parseDuration(env.GRACIE_STOP_DELAY, 'GRACIE_STOP_DELAY') : 0;
    expect(env.GRACIE_STOP_SIGNAL).toBe('SIGQUIT');
    expect(delay + nginxDrainMs(container.command)).toBeLessThan(timeout);
    expect(timeout + ESCALATION_MARGIN_MS).toBeLessThanOrEqual(container.stopTimeout * 1000);
    expect(container.stopTimeout).toBeLessThanOrEqual(120);
  });
});
