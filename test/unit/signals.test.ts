import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { usageError } from './usage-error';
import {
  FORWARDED,
  parseSignal,
  parseSignalOrNone,
  signalName,
  signalNumber,
  isStopRequest,
  realtimeSignals,
  setRealtimeRange,
  whyNotForwarded,
} from '../../src/signals';

const S = constants.signals;
const ACCEPTED = 'a signal name or number such as SIGQUIT, QUIT, quit or 3, or SIGRTMIN+3, RTMIN+3 or SIGRTMAX-2';


describe('parseSignal', () => {
  it.each([
    'SIGQUIT',
    'QUIT',
    'quit',
    'sigquit',
    'SigQuit',
    'Quit',
    '3',
    ' SIGQUIT ',
    '\tquit\n',
    ' 3 ',
  ])('reads %j as SIGQUIT (3)', (text) => {
    expect(parseSignal(text, '--stop-signal')).toBe(3);
  });

  // toUpperCase() folds these into SIGQUIT and STOP; only ASCII letters are signal names.
  it.each(['ſıgquıt', 'quıt', 'ﬆop'])('rejects the look-alike %j', (text) => {
    expect(() => parseSignal(text, '--stop-signal')).toThrow(/invalid --stop-signal/);
  });

  it.each(Object.entries(S))('accepts every spelling of %s', (name, num) => {
    const short = name.slice(3);
    for (const text of [name, short, name.toLowerCase(), short.toLowerCase(), String(num)]) {
      expect(parseSignal(text, '--stop-signal'), text).toBe(num);
    }
  });

  it.each([
    ['SIGTERM', 15],
    ['term', 15],
    ['15', 15],
    ['KILL', 9],
    ['9', 9],
    ['hup', 1],
    ['USR1', 10],
    ['usr2', 12],
    ['SIGWINCH', 28],
    ['SIGIOT', 6],
    ['iot', 6],
    ['SIGPOLL', 29],
    ['poll', 29],
    ['31', 31],
    ['1', 1],
  ])('reads %j as %i', (text, num) => {
    expect(parseSignal(text, '--stop-signal')).toBe(num);
  });

  it.each(['0', '99', '65', 'SIGFOO', 'FOO', '', '   ', 'SIG', 'sig', '-15', '+15', '15.0', '1e1', '0x0f', 'SIG TERM', 'TERM,', 'SIGTERM15', 'none'])(
    'rejects %j naming the option and the accepted forms',
    (text) => {
      const error = usageError(() => parseSignal(text, '--stop-signal'));
      expect(error.message).toBe(`invalid --stop-signal '${text}': expected ${ACCEPTED}`);
    },
  );

  it('names whatever option or variable it is told about', () => {
    expect(usageError(() => parseSignal('SIGFOO', 'GRACIE_PARENT_DEATH_SIGNAL')).message).toBe(
      `invalid GRACIE_PARENT_DEATH_SIGNAL 'SIGFOO': expected ${ACCEPTED}`,
    );
  });
});

describe('parseSignalOrNone', () => {
  it.each(['0', 'none', 'NONE', 'None', ' none ', ' 0 '])('reads %j as "drop" (0)', (text) => {
    expect(parseSignalOrNone(text, '--rewrite')).toBe(0);
  });

  it.each([
    ['QUIT', 3],
    ['sigquit', 3],
    ['3', 3],
    ['15', 15],
    [' TERM ', 15],
  ])('reads %j as signal %i', (text, num) => {
    expect(parseSignalOrNone(text, '--rewrite')).toBe(num);
  });

  it.each(['SIGFOO', '99', '', 'nothing', '-1'])('rejects %j, mentioning 0/none', (text) => {
    expect(usageError(() => parseSignalOrNone(text, '--rewrite')).message).toBe(
      `invalid --rewrite '${text}': expected ${ACCEPTED}, or 0/none to drop it`,
    );
  });
});

describe('FORWARDED', () => {
  it.each(['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM', 'SIGTSTP', 'SIGURG', 'SIGPWR', 'SIGIO'])(
    'forwards %s',
    (name) => {
      expect(FORWARDED).toContain(name);
      expect(whyNotForwarded(S[name as keyof typeof S])).toBeUndefined();
    },
  );

  it.each(['SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGSYS', 'SIGPIPE'])(
    'never forwards %s, and says why',
    (name) => {
      expect(FORWARDED).not.toContain(name);
      const why = whyNotForwarded(S[name as keyof typeof S]);
      expect(typeof why).toBe('string');
      expect(why).not.toBe('');
      expect(why).not.toBe('unknown signal');
    },
  );

  it('lists each signal number once (aliases SIGIOT and SIGPOLL are not duplicates)', () => {
    const numbers = FORWARDED.map((name) => signalNumber(name));
    expect(new Set(numbers).size).toBe(FORWARDED.length);
    expect(new Set(FORWARDED).size).toBe(FORWARDED.length);
    expect(FORWARDED).not.toContain('SIGIOT');
    expect(FORWARDED).not.toContain('SIGPOLL');
  });

  it('is sorted by signal number', () => {
    const numbers = FORWARDED.map((name) => signalNumber(name));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it.runIf(process.platform === 'linux')('is exactly the Linux list', () => {
    expect(FORWARDED).toEqual([
      'SIGHUP',
      'SIGINT',
      'SIGQUIT',
      'SIGUSR1',
      'SIGUSR2',
      'SIGALRM',
      'SIGTERM',
      'SIGSTKFLT',
      'SIGCONT',
      'SIGTSTP',
      'SIGTTIN',
      'SIGTTOU',
      'SIGURG',
      'SIGXCPU',
      'SIGXFSZ',
      'SIGVTALRM',
      'SIGPROF',
      'SIGWINCH',
      'SIGIO',
      'SIGPWR',
    ]);
  });

  it('covers every signal in the table: each is either forwarded or has a reason', () => {
    for (const num of new Set(Object.values(S))) {
      const forwarded = FORWARDED.includes(signalName(num) as NodeJS.Signals);
      expect(forwarded, signalName(num)).toBe(whyNotForwarded(num) === undefined);
    }
  });
});

describe('whyNotForwarded', () => {
  it('gives the reason for each exclusion', () => {
    expect(whyNotForwarded(9)).toBe('cannot be caught');
    expect(whyNotForwarded(19)).toBe('cannot be caught');
    expect(whyNotForwarded(17)).toBe("reports gracie's own children; the reaper consumes it");
    expect(whyNotForwarded(11)).toBe('synchronous fault in gracie');
    expect(whyNotForwarded(6)).toBe('synchronous fault in gracie');
    expect(whyNotForwarded(13)).toBe("raised by gracie's own writes to a closed pipe");
  });

  it('is undefined for forwarded signals', () => {
    expect(whyNotForwarded(15)).toBeUndefined();
    expect(whyNotForwarded(10)).toBeUndefined();
    expect(whyNotForwarded(21)).toBeUndefined();
    expect(whyNotForwarded(22)).toBeUndefined();
    expect(whyNotForwarded(18)).toBeUndefined();
  });

  it.each([0, 99, -1, 65])('calls %i an unknown signal', (num) => {
    expect(whyNotForwarded(num)).toBe('unknown signal');
  });
});

describe('names and numbers', () => {
  it('uses the first table name for aliases', () => {
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(99)).toBe('signal 99');
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(signalNumber('SIGQUIT')).toBe(3);
  });

  it('treats SIGTERM, SIGINT, SIGQUIT and SIGRTMIN+3 (systemd\'s stop signal), and only those, as stop requests', () => {
    expect(Array.from({ length: 70 }, (_, i) => i).filter(isStopRequest)).toEqual([2, 3, 15, 37]);
  });
});

describe('real-time signals (glibc: SIGRTMIN 34, SIGRTMAX 64)', () => {
  it.each([
    ['SIGRTMIN', 34],
    ['RTMIN', 34],
    ['rtmin', 34],
    ['SIGRTMIN+1', 35],
    ['SIGRTMIN+3', 37],
    ['RTMIN+3', 37],
    [' sigrtmin+3 ', 37],
    ['SIGRTMIN+30', 64],
    ['SIGRTMAX-2', 62],
    ['RTMAX-2', 62],
    ['SIGRTMAX', 64],
    ['SIGRTMAX-30', 34],
    ['34', 34],
    ['37', 37],
    ['64', 64],
  ])('reads %j as %i', (text, num) => {
    expect(parseSignal(text, '--stop-signal')).toBe(num);
  });

  it.each(['SIGRTMIN-1', 'RTMAX+1', 'SIGRTMIN+31', 'RTMAX-31', 'RTMIN+', 'RTMIN+03', 'RTMIN3', 'SIGRT', 'RTMIN + 3'])('rejects %j', (text) => {
    expect(usageError(() => parseSignal(text, '-r')).message).toBe(`invalid -r '${text}': expected ${ACCEPTED}`);
  });

  it.each(['32', '33'])('rejects %s, the C library\'s own, and says so', (text) => {
    expect(usageError(() => parseSignal(text, '--stop-signal')).message).toBe(
      `invalid --stop-signal '${text}': expected ${ACCEPTED} (${text} is the C library's own; real-time signals are 34 (SIGRTMIN) to 64 (SIGRTMAX))`,
    );
    expect(whyNotForwarded(Number(text))).toBe('reserved by the C library for its threads');
  });

  it('names them as kill -l does, and forwards every one', () => {
    expect(realtimeSignals()).toEqual(Array.from({ length: 31 }, (_, i) => 34 + i));
    expect(realtimeSignals().map(signalName)).toEqual([
      'SIGRTMIN', ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
      ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`), 'SIGRTMAX',
    ]);
    for (const signal of realtimeSignals()) expect(whyNotForwarded(signal)).toBeUndefined();
  });

  it("follows the C library's range: musl's SIGRTMIN is 35", () => {
    setRealtimeRange({ min: 35, max: 64 });
    try {
      expect(parseSignal('SIGRTMIN+3', '-r')).toBe(38);
      expect(signalName(35)).toBe('SIGRTMIN');
      expect(whyNotForwarded(34)).toBe('reserved by the C library for its threads');
      expect(isStopRequest(38)).toBe(true);
      expect(isStopRequest(37)).toBe(false);
    } finally {
      setRealtimeRange({ min: 34, max: 64 });
    }
  });
});
