import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ChildEnd } from '../../src/exit-status';
import { AFTER_KILL_GRACE_MS, DRAIN_FALLBACK_MS, Supervisor, type SupervisorConfig, type SupervisorPorts, type Target } from '../../src/supervisor';

const { SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT } = constants.signals;

/** A clock that only moves when the test says so; timers fire in due order, each at its exact due time. */
class ManualClock {
  private time = 0;
  private sequence = 0;
  private timers: { due: number; order: number; fire: () => void }[] = [];

  now = (): number => this.time;

  setTimer = (ms: number, fire: () => void): (() => void) => {
    const timer = { due: this.time + ms, order: this.sequence++, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };

  /** Moves time forward by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.due;
      next.fire();
    }
    this.time = end;
  }

  /** Due times of the timers still armed. */
  get pending(): number[] {
    return this.timers.map((t) => t.due).sort((a, b) => a - b);
  }
}

interface Sent {
  at: number;
  target: Target;
  signal: number;
}

interface Line {
  level: 'info' | 'warn' | 'debug';
  fields: object;
  message: string;
}

function setup(config: Partial<SupervisorConfig> = {}) {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const logs: Line[] = [];
  const finished: ChildEnd[] = [];
  const state = { leftovers: false, leftoversAsked: 0, suspended: 0 };
  const record =
    (level: Line['level']) =>
    (fields: object, message: string): void =>
      void logs.push({ level, fields, message });
  const ports: SupervisorPorts = {
    now: clock.now,
    setTimer: clock.setTimer,
    send: (target, signal) => void sent.push({ at: clock.now(), target, signal }),
    watchLeftovers: () => {
      state.leftoversAsked += 1;
      return state.leftovers;
    },
    finish: (end) => void finished.push(end),
    suspendSelf: () => void state.suspended++,
    log: { info: record('info'), warn: record('warn'), debug: record('debug') },
  };
  const supervisor = new Supervisor(
    { rewrite: new Map(), stopTimeoutMs: 10_000, stopDelayMs: 0, processGroup: false, ...config },
    ports,
  );
  return { clock, sent, logs, finished, state, supervisor };
}

const exited = (code: number): ChildEnd => ({ code, signal: null });
const killed = (signal: number): ChildEnd => ({ code: null, signal });

describe('forwarding', () => {
  it.each([SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT])('forwards non-stop signal %i to the child, unchanged, without arming a timer', (signal) => {
    const { supervisor, sent, clock } = setup();
    supervisor.onSignal(signal);
    expect(sent).toEqual([{ at: 0, target: 'child', signal }]);
    expect(clock.pending).toEqual([]);
  });

  it("forwards to the child's process group with processGroup", () => {
    const { supervisor, sent } = setup({ processGroup: true });
    supervisor.onSignal(SIGHUP);
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([
      { at: 0, target: 'group', signal: SIGHUP },
      { at: 0, target: 'group', signal: SIGTERM },
    ]);
  });

  it('logs a forwarded non-stop signal at debug only', () => {
    const { supervisor, logs } = setup();
    supervisor.onSignal(SIGHUP);
    expect(logs).toEqual([{ level: 'debug', fields: { signal: 'SIGHUP', forwardAs: 'SIGHUP' }, message: 'received SIGHUP, forwarded SIGHUP' }]);
  });

  it('rewrites before forwarding (TERM -> QUIT)', () => {
    const { supervisor, sent, logs } = setup({ rewrite: new Map([[SIGTERM, SIGQUIT]]) });
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGQUIT }]);
    expect(logs).toEqual([
      {
        level: 'info',
        fields: { signal: 'SIGTERM', forwardAs: 'SIGQUIT', delayMs: 0, timeoutMs: 10_000 },
        message: 'received SIGTERM, forwarded SIGQUIT',
      },
    ]);
  });

  it('rewrites a non-stop signal (USR1 -> HUP)', () => {
    const { supervisor, sent } = setup({ rewrite: new Map([[SIGUSR1, SIGHUP]]) });
    supervisor.onSignal(SIGUSR1);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGHUP }]);
  });

  it('drops a signal rewritten to 0, logging at debug', () => {
    const { supervisor, sent, logs, clock } = setup({ rewrite: new Map([[SIGUSR1, 0]]) });
    supervisor.onSignal(SIGUSR1);
    expect(sent).toEqual([]);
    expect(clock.pending).toEqual([]);
    expect(logs).toEqual([{ level: 'debug', fields: { signal: 'SIGUSR1', forwardAs: 'none' }, message: 'received SIGUSR1, dropped by the rewrite map' }]);
  });

  it('a dropped SIGTERM is not a stop request: no deadline, and a later SIGINT starts the budget', () => {
    const { supervisor, sent, clock } = setup({ rewrite: new Map([[SIGTERM, 0]]) });
    supervisor.onSignal(SIGTERM);
    expect(clock.pending).toEqual([]);
    clock.advance(60_000);
    expect(sent).toEqual([]);
    supervisor.onSignal(SIGINT);
    expect(sent).toEqual([{ at: 60_000, target: 'child', signal: SIGINT }]);
    expect(clock.pending).toEqual([70_000]);
  });

  // glibc numbering (src/signals.ts): SIGRTMIN 34, so SIGRTMIN+3 is 37 and SIGRTMAX 64.
  it('a received SIGRTMIN+3 (systemd\'s stop signal, an image\'s STOPSIGNAL) is a stop request: -r RTMIN+3:TERM', () => {
    const { supervisor, sent, clock, logs } = setup({ rewrite: new Map([[37, SIGTERM]]), stopTimeoutMs: 3_000 });
    supervisor.onSignal(37);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGTERM }]);
    expect(clock.pending).toEqual([3_000]);
    expect(logs).toEqual([
      { level: 'info', fields: { signal: 'SIGRTMIN+3', forwardAs: 'SIGTERM', delayMs: 0, timeoutMs: 3_000 }, message: 'received SIGRTMIN+3, forwarded SIGTERM' },
    ]);
    clock.advance(3_000);
    expect(sent.at(-1)).toEqual({ at: 3_000, target: 'group', signal: SIGKILL });
  });

  it('other real-time signals are forwarded at once and start nothing', () => {
    const { supervisor, sent, clock } = setup({ rewrite: new Map([[62, 34]]) });
    supervisor.onSignal(64);
    supervisor.onSignal(62);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: 64 },
      { at: 0, target: 'child', signal: 34 },
    ]);
    expect(clock.pending).toEqual([]);
  });

  it('a signal rewritten to SIGTERM is not a stop request (only what was received counts)', () => {
    const { supervisor, sent, clock } = setup({ rewrite: new Map([[SIGHUP, SIGTERM]]) });
    supervisor.onSignal(SIGHUP);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGTERM }]);
    expect(clock.pending).toEqual([]);
  });
});

describe('the plain forwards the signal path sends itself', () => {
  const { SIGTSTP } = constants.signals;
  const SIGRTMIN = 34;

  it('lists each signal with nothing to decide, rewritten; never a stop, suspend or dropped one', () => {
    const rewrite = new Map([
      [SIGUSR1, SIGHUP],
      [SIGWINCH, 0],
      [SIGTERM, SIGQUIT],
    ]);
    const { supervisor } = setup({ rewrite, processGroup: true });
    const table = supervisor.plainForwards;
    expect([table[SIGUSR1], table[SIGHUP], table[SIGUSR2], table[SIGCONT], table[SIGRTMIN]]).toEqual([SIGHUP, SIGHUP, SIGUSR2, SIGCONT, SIGRTMIN]);
    expect([table[SIGWINCH], table[SIGTERM], table[SIGINT], table[SIGQUIT], table[SIGRTMIN + 3], table[SIGTSTP]]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(supervisor.plainTarget).toBe('group');
  });

  it('onSignal sends exactly what the table says, for every signal number', () => {
    for (let signal = 1; signal <= 64; signal++) {
      const { supervisor, sent } = setup({ rewrite: new Map([[SIGUSR1, SIGUSR2]]) });
      const plain = supervisor.plainForwards[signal];
      supervisor.onSignal(signal);
      if (plain !== 0) expect(sent, `signal ${signal}`).toEqual([{ at: 0, target: 'child', signal: plain }]);
    }
  });

  it('is emptied once the child is gone: what is left is not the child', () => {
    const { supervisor, state } = setup();
    state.leftovers = true;
    supervisor.onChildExit(exited(0));
    expect(supervisor.plainForwards.every((signal) => signal === 0)).toBe(true);
  });

  it('plainForwarded() writes the debug line of a forward', () => {
    const { supervisor, logs } = setup();
    supervisor.plainForwarded(SIGUSR1, SIGHUP);
    expect(logs).toEqual([{ level: 'debug', fields: { signal: 'SIGUSR1', forwardAs: 'SIGHUP' }, message: 'received SIGUSR1, forwarded SIGHUP' }]);
  });

  it('a plain forward of the stop signal to the group counts: the drain does not send it to the group again', () => {
    for (const viaPlainPath of [true, false]) {
      const { supervisor, sent, state } = setup({ processGroup: true, stopDelayMs: 5_000, rewrite: new Map([[SIGUSR1, SIGTERM]]) });
      supervisor.onSignal(SIGTERM); // the stop request: SIGTERM waits for the stop delay
      expect(sent).toEqual([]);
      if (viaPlainPath) supervisor.plainForwarded(SIGUSR1, supervisor.plainForwards[SIGUSR1]); // main.ts sent SIGTERM to the group
      state.leftovers = true;
      supervisor.onChildExit(exited(0));
      expect(sent.at(-1), `via the plain path: ${viaPlainPath}`).toMatchObject({ target: viaPlainPath ? 'outsiders' : 'leftovers', signal: SIGTERM });
    }
  });
});

describe('the stop budget', () => {
  it('the first SIGTERM is forwarded at once and arms the deadline: SIGKILL to the group exactly at stopTimeoutMs', () => {
    const { supervisor, sent, clock, logs } = setup();
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGTERM }]);
    expect(clock.pending).toEqual([10_000]);
    clock.advance(9_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGTERM },
      { at: 10_000, target: 'group', signal: SIGKILL },
    ]);
    expect(logs.at(-1)).toEqual({
      level: 'warn',
      fields: { afterMs: 10_000, target: 'group' },
      message: "stop timeout reached: sent SIGKILL to the child's process group",
    });
    clock.advance(1_000_000);
    expect(sent).toHaveLength(2);
  });

  it('logs the stop at info: received X, forwarded Y, with the budget', () => {
    const { supervisor, logs } = setup({ stopTimeoutMs: 25_000 });
    supervisor.onSignal(SIGTERM);
    expect(logs).toEqual([
      {
        level: 'info',
        fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM', delayMs: 0, timeoutMs: 25_000 },
        message: 'received SIGTERM, forwarded SIGTERM',
      },
    ]);
  });

  it('stopTimeoutMs 0 never escalates', () => {
    const { supervisor, sent, clock, logs } = setup({ stopTimeoutMs: 0 });
    supervisor.onSignal(SIGTERM);
    expect(clock.pending).toEqual([]);
    clock.advance(2 ** 31);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGTERM }]);
    expect(logs.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it.each([
    ['SIGINT', SIGINT],
    ['SIGQUIT', SIGQUIT],
  ])('%s is a stop request too', (_, signal) => {
    const { supervisor, sent, clock } = setup({ stopTimeoutMs: 5_000 });
    supervisor.onSignal(signal);
    expect(clock.pending).toEqual([5_000]);
    clock.advance(5_000);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal },
      { at: 5_000, target: 'group', signal: SIGKILL },
    ]);
  });

  it('a rewritten SIGINT is still a stop request', () => {
    const { supervisor, sent, clock } = setup({ rewrite: new Map([[SIGINT, SIGTERM]]), stopTimeoutMs: 3_000 });
    supervisor.onSignal(SIGINT);
    clock.advance(3_000);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGTERM },
      { at: 3_000, target: 'group', signal: SIGKILL },
    ]);
  });

  it('escalates to the group even without processGroup', () => {
    const { supervisor, sent, clock } = setup({ processGroup: false, stopTimeoutMs: 1_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    expect(sent.at(-1)).toEqual({ at: 1_000, target: 'group', signal: SIGKILL });
  });

  it('a second SIGTERM during the grace period is forwarded again; the deadline stays at the first request', () => {
    const { supervisor, sent, clock, logs } = setup();
    supervisor.onSignal(SIGTERM);
    clock.advance(4_000);
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGTERM },
      { at: 4_000, target: 'child', signal: SIGTERM },
    ]);
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM' },
      message: 'received SIGTERM again, forwarded SIGTERM',
    });
    expect(clock.pending).toEqual([10_000]);
    clock.advance(6_000);
    expect(sent.at(-1)).toEqual({ at: 10_000, target: 'group', signal: SIGKILL });
    expect(sent).toHaveLength(3);
  });

  it('a different stop request during the grace period is forwarded too (SIGINT after SIGTERM)', () => {
    const { supervisor, sent, clock } = setup();
    supervisor.onSignal(SIGTERM);
    clock.advance(100);
    supervisor.onSignal(SIGINT);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGTERM },
      { at: 100, target: 'child', signal: SIGINT },
    ]);
    expect(clock.pending).toEqual([10_000]);
  });

  it('other signals are still forwarded during the grace period', () => {
    const { supervisor, sent, clock } = setup({ processGroup: true });
    supervisor.onSignal(SIGTERM);
    clock.advance(10);
    supervisor.onSignal(SIGWINCH);
    expect(sent).toEqual([
      { at: 0, target: 'group', signal: SIGTERM },
      { at: 10, target: 'group', signal: SIGWINCH },
    ]);
  });

  it('a SIGTERM after the escalation is still forwarded, and nothing is armed again', () => {
    const { supervisor, sent, clock } = setup({ stopTimeoutMs: 1_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGTERM },
      { at: 1_000, target: 'group', signal: SIGKILL },
      { at: 1_000, target: 'child', signal: SIGTERM },
    ]);
    expect(clock.pending).toEqual([]);
  });
});

describe('the stop delay', () => {
  it('forwards exactly at stopDelayMs; the deadline still counts from the first request', () => {
    const { supervisor, sent, clock, logs } = setup({ stopDelayMs: 3_000, stopTimeoutMs: 10_000 });
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([]);
    expect(clock.pending).toEqual([3_000, 10_000]);
    expect(logs).toEqual([
      {
        level: 'info',
        fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM', delayMs: 3_000, timeoutMs: 10_000 },
        message: 'received SIGTERM, forwarding SIGTERM after the 3000ms stop delay',
      },
    ]);
    clock.advance(2_999);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual([{ at: 3_000, target: 'child', signal: SIGTERM }]);
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM', afterMs: 3_000 },
      message: 'stop delay over, forwarded SIGTERM',
    });
    clock.advance(6_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toEqual([
      { at: 3_000, target: 'child', signal: SIGTERM },
      { at: 10_000, target: 'group', signal: SIGKILL },
    ]);
  });

  it('forwards the rewritten signal after the delay, to the group with processGroup', () => {
    const { supervisor, sent, clock } = setup({ stopDelayMs: 500, processGroup: true, rewrite: new Map([[SIGTERM, SIGQUIT]]) });
    supervisor.onSignal(SIGTERM);
    clock.advance(500);
    expect(sent).toEqual([{ at: 500, target: 'group', signal: SIGQUIT }]);
  });

  it('works with stopTimeoutMs 0: forwards after the delay, never escalates', () => {
    const { supervisor, sent, clock } = setup({ stopDelayMs: 2_000, stopTimeoutMs: 0 });
    supervisor.onSignal(SIGTERM);
    expect(clock.pending).toEqual([2_000]);
    clock.advance(2 ** 31);
    expect(sent).toEqual([{ at: 2_000, target: 'child', signal: SIGTERM }]);
  });

  it('the child exiting during the delay: nothing forwarded, finish called, timers cancelled', () => {
    const { supervisor, sent, clock, finished } = setup({ stopDelayMs: 3_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onChildExit(exited(0));
    expect(finished).toEqual([exited(0)]);
    expect(clock.pending).toEqual([]);
    clock.advance(1_000_000);
    expect(sent).toEqual([]);
    expect(finished).toHaveLength(1);
  });

  it('a second SIGTERM during the delay cuts it short and is forwarded once', () => {
    const { supervisor, sent, clock, logs } = setup({ stopDelayMs: 3_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onSignal(SIGTERM);
    expect(sent).toEqual([{ at: 1_000, target: 'child', signal: SIGTERM }]);
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM' },
      message: 'received SIGTERM again, cut the stop delay short and forwarded SIGTERM',
    });
    expect(clock.pending).toEqual([10_000]);
    clock.advance(2_000);
    expect(sent).toHaveLength(1);
    clock.advance(7_000);
    expect(sent).toEqual([
      { at: 1_000, target: 'child', signal: SIGTERM },
      { at: 10_000, target: 'group', signal: SIGKILL },
    ]);
  });

  it('a non-stop signal during the delay is forwarded without cutting the delay short', () => {
    const { supervisor, sent, clock } = setup({ stopDelayMs: 3_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onSignal(SIGHUP);
    expect(sent).toEqual([{ at: 1_000, target: 'child', signal: SIGHUP }]);
    clock.advance(2_000);
    expect(sent).toEqual([
      { at: 1_000, target: 'child', signal: SIGHUP },
      { at: 3_000, target: 'child', signal: SIGTERM },
    ]);
  });
});

describe('the end', () => {
  it('finishes exactly once, with the child end, and cancels the deadline', () => {
    const { supervisor, finished, clock, sent } = setup();
    supervisor.onSignal(SIGTERM);
    clock.advance(2_000);
    supervisor.onChildExit(killed(SIGTERM));
    supervisor.onChildExit(exited(1));
    supervisor.onLeftoversGone();
    expect(finished).toEqual([killed(SIGTERM)]);
    expect(clock.pending).toEqual([]);
    clock.advance(1_000_000);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGTERM }]);
  });

  it('finishes at once when the child exits on its own', () => {
    const { supervisor, finished, sent, clock } = setup();
    supervisor.onChildExit(exited(3));
    expect(finished).toEqual([exited(3)]);
    expect(sent).toEqual([]);
    expect(clock.pending).toEqual([]);
  });

  it('ignores signals after the finish', () => {
    const { supervisor, sent, logs, clock, finished } = setup();
    supervisor.onChildExit(exited(0));
    const linesBefore = logs.length;
    for (const signal of [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1]) supervisor.onSignal(signal);
    clock.advance(1_000_000);
    expect(sent).toEqual([]);
    expect(clock.pending).toEqual([]);
    expect(logs).toHaveLength(linesBefore);
    expect(finished).toHaveLength(1);
  });

  it('ignores onLeftoversGone while not draining', () => {
    const { supervisor, finished } = setup();
    supervisor.onLeftoversGone();
    supervisor.onSignal(SIGTERM);
    supervisor.onLeftoversGone();
    expect(finished).toEqual([]);
  });
});

describe('the summary line', () => {
  it('info, with the shutdown duration, when the child ends after a stop request', () => {
    const { supervisor, clock, logs } = setup();
    supervisor.onSignal(SIGTERM);
    clock.advance(1_234);
    supervisor.onChildExit(exited(0));
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { code: 0, signal: null, shutdownMs: 1_234 },
      message: 'child exited with code 0 1234ms after the stop request',
    });
  });

  it('rounds the shutdown duration to whole ms (the real clock is performance.now())', () => {
    const { supervisor, clock, logs } = setup();
    clock.advance(0.3);
    supervisor.onSignal(SIGTERM);
    clock.advance(1_234.4);
    supervisor.onChildExit(exited(0));
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { code: 0, signal: null, shutdownMs: 1_234 },
      message: 'child exited with code 0 1234ms after the stop request',
    });
  });

  it('info when the child was killed after the escalation', () => {
    const { supervisor, clock, logs } = setup({ stopTimeoutMs: 2_000 });
    supervisor.onSignal(SIGTERM);
    clock.advance(2_000);
    supervisor.onChildExit(killed(SIGKILL));
    expect(logs.at(-1)).toEqual({
      level: 'info',
      fields: { code: null, signal: 'SIGKILL', shutdownMs: 2_000 },
      message: 'child was killed by SIGKILL 2000ms after the stop request',
    });
  });

  it('info for a non-zero exit without a stop request', () => {
    const { supervisor, logs } = setup();
    supervisor.onChildExit(exited(3));
    expect(logs).toEqual([{ level: 'info', fields: { code: 3, signal: null, shutdownMs: null }, message: 'child exited with code 3' }]);
  });

  it('info for a death by signal without a stop request', () => {
    const { supervisor, logs } = setup();
    supervisor.onChildExit(killed(constants.signals.SIGSEGV));
    expect(logs).toEqual([{ level: 'info', fields: { code: null, signal: 'SIGSEGV', shutdownMs: null }, message: 'child was killed by SIGSEGV' }]);
  });

  it('debug only for a clean exit 0 (quiet on the happy path)', () => {
    const { supervisor, logs } = setup();
    supervisor.onChildExit(exited(0));
    expect(logs).toEqual([{ level: 'debug', fields: { code: 0, signal: null, shutdownMs: null }, message: 'child exited with code 0' }]);
  });
});

describe('draining what the child left behind', () => {
  it('asks whether leftovers remain once the child has ended', () => {
    const { supervisor, state } = setup();
    supervisor.onSignal(SIGHUP);
    expect(state.leftoversAsked).toBe(0);
    supervisor.onChildExit(exited(0));
    expect(state.leftoversAsked).toBe(1);
  });

  it('sends the leftovers the stop signal, then SIGKILL at stopTimeoutMs after the child ended, then finishes when they are gone', () => {
    const { supervisor, sent, clock, finished, state, logs } = setup({ stopTimeoutMs: 5_000 });
    state.leftovers = true;
    clock.advance(1_000);
    supervisor.onChildExit(exited(0));
    expect(finished).toEqual([]);
    expect(sent).toEqual([{ at: 1_000, target: 'leftovers', signal: SIGTERM }]);
    expect(logs.at(-1)).toEqual({ level: 'info', fields: { signal: 'SIGTERM' }, message: 'processes are left behind: sent SIGTERM, waiting for them' });
    expect(clock.pending).toEqual([6_000]);
    clock.advance(4_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent.at(-1)).toEqual({ at: 6_000, target: 'leftovers', signal: SIGKILL });
    expect(logs.at(-1)).toEqual({ level: 'warn', fields: { afterMs: null, target: 'leftovers' }, message: 'stop timeout reached: sent SIGKILL to what is left' });
    // After SIGKILL, a last grace for processes that die late (uninterruptible sleep): never wait forever.
    expect(clock.pending).toEqual([6_000 + AFTER_KILL_GRACE_MS]);
    supervisor.onLeftoversGone();
    expect(finished).toEqual([exited(0)]);
    expect(clock.pending).toEqual([]);
    expect(logs.at(-1)).toEqual({ level: 'info', fields: { drainMs: 5_000, afterMs: null }, message: 'everything left behind has exited 5000ms after the child' });
  });

  it('uses the TERM rewrite (the stop signal) for the leftovers', () => {
    const { supervisor, sent, state } = setup({ rewrite: new Map([[SIGTERM, SIGQUIT]]) });
    state.leftovers = true;
    supervisor.onChildExit(exited(0));
    expect(sent).toEqual([{ at: 0, target: 'leftovers', signal: SIGQUIT }]);
  });

  it('sends SIGTERM to the leftovers when SIGTERM is dropped by the rewrite map', () => {
    const { supervisor, sent, state } = setup({ rewrite: new Map([[SIGTERM, 0]]) });
    state.leftovers = true;
    supervisor.onChildExit(exited(0));
    expect(sent).toEqual([{ at: 0, target: 'leftovers', signal: SIGTERM }]);
  });

  it('after a stop request: the leftovers get the forwarded stop signal; the deadline still counts from the first request', () => {
    const { supervisor, sent, clock, state } = setup({ rewrite: new Map([[SIGTERM, SIGQUIT]]), stopTimeoutMs: 10_000 });
    state.leftovers = true;
    supervisor.onSignal(SIGTERM);
    clock.advance(4_000);
    supervisor.onChildExit(killed(SIGQUIT));
    expect(sent).toEqual([
      { at: 0, target: 'child', signal: SIGQUIT },
      { at: 4_000, target: 'leftovers', signal: SIGQUIT },
    ]);
    expect(clock.pending).toEqual([10_000]);
    clock.advance(6_000);
    expect(sent.at(-1)).toEqual({ at: 10_000, target: 'leftovers', signal: SIGKILL });
  });

  it('the child exiting during the stop delay with leftovers: they get the stop signal at once, the delayed forward is cancelled', () => {
    const { supervisor, sent, clock, state } = setup({ stopDelayMs: 3_000 });
    state.leftovers = true;
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onChildExit(exited(0));
    expect(sent).toEqual([{ at: 1_000, target: 'leftovers', signal: SIGTERM }]);
    expect(clock.pending).toEqual([10_000]);
    clock.advance(9_000);
    expect(sent).toEqual([
      { at: 1_000, target: 'leftovers', signal: SIGTERM },
      { at: 10_000, target: 'leftovers', signal: SIGKILL },
    ]);
  });

  it(`with stopTimeoutMs 0, SIGKILLs the leftovers after DRAIN_FALLBACK_MS (${DRAIN_FALLBACK_MS}) instead of hanging`, () => {
    expect(DRAIN_FALLBACK_MS).toBe(10_000);
    const { supervisor, sent, clock, state } = setup({ stopTimeoutMs: 0 });
    state.leftovers = true;
    clock.advance(500);
    supervisor.onChildExit(exited(1));
    expect(clock.pending).toEqual([500 + DRAIN_FALLBACK_MS]);
    clock.advance(DRAIN_FALLBACK_MS - 1);
    expect(sent).toEqual([{ at: 500, target: 'leftovers', signal: SIGTERM }]);
    clock.advance(1);
    expect(sent.at(-1)).toEqual({ at: 500 + DRAIN_FALLBACK_MS, target: 'leftovers', signal: SIGKILL });
  });

  it('with stopTimeoutMs 0 and a stop request, still falls back to DRAIN_FALLBACK_MS from the child end', () => {
    const { supervisor, sent, clock, state } = setup({ stopTimeoutMs: 0 });
    state.leftovers = true;
    supervisor.onSignal(SIGTERM);
    clock.advance(60_000);
    supervisor.onChildExit(killed(SIGTERM));
    expect(clock.pending).toEqual([60_000 + DRAIN_FALLBACK_MS]);
    clock.advance(DRAIN_FALLBACK_MS);
    expect(sent.at(-1)).toEqual({ at: 60_000 + DRAIN_FALLBACK_MS, target: 'leftovers', signal: SIGKILL });
  });

  it('forwards signals received while draining to the leftovers', () => {
    const { supervisor, sent, state, logs } = setup({ rewrite: new Map([[SIGUSR1, 0]]) });
    state.leftovers = true;
    supervisor.onChildExit(exited(0));
    supervisor.onSignal(SIGHUP);
    supervisor.onSignal(SIGTERM);
    supervisor.onSignal(SIGUSR1);
    expect(sent).toEqual([
      { at: 0, target: 'leftovers', signal: SIGTERM },
      { at: 0, target: 'leftovers', signal: SIGHUP },
      { at: 0, target: 'leftovers', signal: SIGTERM },
    ]);
    expect(logs.at(-2)).toEqual({
      level: 'info',
      fields: { signal: 'SIGTERM', forwardAs: 'SIGTERM' },
      message: 'received SIGTERM while draining, forwarded SIGTERM to what is left',
    });
  });

  it('finishes when the leftovers are gone before the deadline, cancelling it, and only once', () => {
    const { supervisor, sent, clock, state, finished, logs } = setup();
    state.leftovers = true;
    supervisor.onSignal(SIGTERM);
    clock.advance(1_000);
    supervisor.onChildExit(exited(143));
    clock.advance(500);
    supervisor.onLeftoversGone();
    supervisor.onLeftoversGone();
    expect(finished).toEqual([exited(143)]);
    expect(logs.at(-1)).toEqual({ level: 'info', fields: { drainMs: 500, afterMs: 1_500 }, message: 'everything left behind has exited 500ms after the child' });
    expect(clock.pending).toEqual([]);
    clock.advance(1_000_000);
    expect(sent.filter((s) => s.signal === SIGKILL)).toEqual([]);
    supervisor.onSignal(SIGTERM);
    expect(sent).toHaveLength(2);
  });
});

describe('draining after an escalation', () => {
  it('leftovers of a child killed at the deadline get SIGKILL at once, not a second budget', () => {
    const { supervisor, sent, clock, state } = setup({ stopTimeoutMs: 10_000 });
    state.leftovers = true;
    supervisor.onSignal(SIGTERM);
    clock.advance(10_000);
    expect(sent.at(-1)).toEqual({ at: 10_000, target: 'group', signal: SIGKILL });
    clock.advance(1);
    supervisor.onChildExit(killed(SIGKILL));
    expect(sent.at(-1)).toEqual({ at: 10_001, target: 'leftovers', signal: SIGKILL });
    expect(clock.pending).toEqual([10_001 + AFTER_KILL_GRACE_MS]);
  });
});

describe('leftovers that survive SIGKILL', () => {
  it('gracie exits AFTER_KILL_GRACE_MS after the SIGKILL anyway, with the child status', () => {
    const { supervisor, clock, state, finished, logs } = setup({ stopTimeoutMs: 1_000 });
    state.leftovers = true;
    supervisor.onChildExit(exited(5));
    clock.advance(1_000);
    expect(finished).toEqual([]);
    clock.advance(AFTER_KILL_GRACE_MS - 1);
    expect(finished).toEqual([]);
    clock.advance(1);
    expect(finished).toEqual([exited(5)]);
    expect(logs.at(-1)).toEqual({ level: 'warn', fields: { graceMs: AFTER_KILL_GRACE_MS }, message: 'processes left behind survived SIGKILL; exiting anyway' });
  });

  it('orphans reaped after the escalation trigger another SIGKILL to what is left; before it, nothing', () => {
    const { supervisor, clock, state, sent } = setup({ stopTimeoutMs: 1_000 });
    state.leftovers = true;
    supervisor.onChildExit(exited(0));
    supervisor.onOrphanReaped();
    expect(sent.filter((s) => s.signal === SIGKILL)).toEqual([]);
    clock.advance(1_000);
    supervisor.onOrphanReaped();
    expect(sent.filter((s) => s.signal === SIGKILL)).toEqual([
      { at: 1_000, target: 'leftovers', signal: SIGKILL },
      { at: 1_000, target: 'leftovers', signal: SIGKILL },
    ]);
  });
});

describe('job control', () => {
  it.each([constants.signals.SIGTSTP, constants.signals.SIGTTIN, constants.signals.SIGTTOU])('signal %i is forwarded, then gracie suspends itself', (signal) => {
    const { supervisor, sent, state, clock } = setup();
    supervisor.onSignal(signal);
    expect(sent).toEqual([{ at: 0, target: 'child', signal }]);
    expect(state.suspended).toBe(1);
    expect(clock.pending).toEqual([]);
  });

  it('a dropped SIGTSTP suspends nothing; SIGCONT is simply forwarded', () => {
    const { supervisor, sent, state } = setup({ rewrite: new Map([[constants.signals.SIGTSTP, 0]]) });
    supervisor.onSignal(constants.signals.SIGTSTP);
    supervisor.onSignal(SIGCONT);
    expect(sent).toEqual([{ at: 0, target: 'child', signal: SIGCONT }]);
    expect(state.suspended).toBe(0);
  });
});

describe('never the same stop signal twice', () => {
  it('with -g, leftovers in the group already have the stop signal: the drain sends it only to those outside it', () => {
    const { supervisor, sent, state } = setup({ processGroup: true });
    state.leftovers = true;
    supervisor.onSignal(SIGINT);
    supervisor.onChildExit(killed(SIGINT));
    expect(sent).toEqual([
      { at: 0, target: 'group', signal: SIGINT },
      { at: 0, target: 'outsiders', signal: SIGINT },
    ]);
  });

  it('without -g, or when the child ends during the stop delay, all the leftovers get it', () => {
    const plain = setup();
    plain.state.leftovers = true;
    plain.supervisor.onSignal(SIGTERM);
    plain.supervisor.onChildExit(exited(0));
    expect(plain.sent.at(-1)).toEqual({ at: 0, target: 'leftovers', signal: SIGTERM });

    const delayed = setup({ processGroup: true, stopDelayMs: 1_000 });
    delayed.state.leftovers = true;
    delayed.supervisor.onSignal(SIGTERM);
    delayed.supervisor.onChildExit(exited(0));
    expect(delayed.sent).toEqual([{ at: 0, target: 'leftovers', signal: SIGTERM }]);
  });
});
