import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { childEnvironment, killTarget, SAVED_NODE_OPTIONS } from '../../src/child';
import type { Target } from '../../src/supervisor';

describe('childEnvironment', () => {
  it('parks NODE_OPTIONS under _GRACIE_NODE_OPTIONS', () => {
    expect(SAVED_NODE_OPTIONS).toBe('_GRACIE_NODE_OPTIONS');
  });

  it('hands NODE_OPTIONS back and removes the internal variable', () => {
    const env = { PATH: '/usr/bin', _GRACIE_NODE_OPTIONS: '--require ./agent.js --max-old-space-size=512' };
    const result = childEnvironment(env);
    expect(result).toEqual({ PATH: '/usr/bin', NODE_OPTIONS: '--require ./agent.js --max-old-space-size=512' });
    expect(Object.keys(result)).not.toContain('_GRACIE_NODE_OPTIONS');
  });

  it('restores an empty NODE_OPTIONS as empty, not as absent', () => {
    const result = childEnvironment({ HOME: '/root', _GRACIE_NODE_OPTIONS: '' });
    expect(result).toEqual({ HOME: '/root', NODE_OPTIONS: '' });
    expect('NODE_OPTIONS' in result).toBe(true);
    expect('_GRACIE_NODE_OPTIONS' in result).toBe(false);
  });

  it("replaces a NODE_OPTIONS gracie's launcher left behind with the saved one", () => {
    const result = childEnvironment({ NODE_OPTIONS: '--stale', _GRACIE_NODE_OPTIONS: '--inspect' });
    expect(result).toEqual({ NODE_OPTIONS: '--inspect' });
  });

  it('does not modify its input', () => {
    const env = { A: '1', _GRACIE_NODE_OPTIONS: '--x' };
    childEnvironment(env);
    expect(env).toEqual({ A: '1', _GRACIE_NODE_OPTIONS: '--x' });
  });

  it('is the identity when the internal variable is absent', () => {
    const env = { A: '1', NODE_OPTIONS: '--inspect' };
    expect(childEnvironment(env)).toBe(env);
    const empty = {};
    expect(childEnvironment(empty)).toBe(empty);
  });
});

describe('killTarget', () => {
  it.each<[Exclude<Target, 'outsiders'>, boolean, number]>([
    ['child', false, 1234],
    ['child', true, 1234],
    ['group', false, -1234],
    ['group', true, -1234],
    ['leftovers', false, -1234],
    ['leftovers', true, -1],
  ])('%s (isPid1 %s) -> %i for child 1234', (target, isPid1, pid) => {
    expect(killTarget(target, 1234, isPid1)).toBe(pid);
  });

  it('never returns -1 unless gracie is PID 1', () => {
    const targets: Array<Exclude<Target, 'outsiders'>> = ['child', 'group', 'leftovers'];
    // A child of gracie is never pid 1 (that pid belongs to the namespace's init), nor 0.
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.integer({ min: 2, max: 4_194_304 }), (target, childPid) => {
        expect(killTarget(target, childPid, false)).not.toBe(-1);
      }),
    );
  });
});
