// The single executable tells the descriptors it inherited from Node's own by kind (src/sea.ts): a table of what
// /proc/self/fd showed at start-up, as seen on Node 24.22.3 (Node's own) plus what a caller might pass.
import { describe, expect, it } from 'vitest';
import { inheritedAmong } from '../../src/sea';

/** Node 24's own descriptors at the first line of a single executable's script (seen with readlink /proc/self/fd). */
const NODE_OWN: Array<[number, string]> = [
  [0, '/dev/pts/0'],
  [1, '/dev/pts/0'],
  [2, '/dev/pts/0'],
  [5, 'anon_inode:[eventpoll]'],
  [6, 'anon_inode:[io_uring]'],
  [7, 'pipe:[400227]'],
  [8, 'pipe:[400227]'],
  [9, 'pipe:[400228]'],
  [11, 'pipe:[400228]'],
  [12, 'anon_inode:[eventfd]'],
  [13, 'anon_inode:[eventpoll]'],
  [14, 'anon_inode:[io_uring]'],
  [15, 'pipe:[400230]'],
  [17, 'pipe:[400230]'],
];

describe('inheritedAmong', () => {
  it("finds none among Node's own", () => {
    expect(inheritedAmong(new Map(NODE_OWN))).toEqual([]);
  });

  it.each([
    { what: 'a socket-activation listener', fd: 3, target: 'socket:[991]' },
    { what: 'a file', fd: 4, target: '/etc/hostname' },
    { what: 'one end of a pipe to a sidecar', fd: 10, target: 'pipe:[777]' },
    { what: '/dev/null', fd: 16, target: '/dev/null' },
  ])('finds $what at fd $fd', ({ fd, target }) => {
    expect(inheritedAmong(new Map([...NODE_OWN, [fd, target]]))).toEqual([fd]);
  });

  it('finds those above 16 too (Node marks an unbroken run past 15), and leaves stdio alone', () => {
    expect(inheritedAmong(new Map([...NODE_OWN, [20, 'socket:[1]'], [33, '/etc/hostname']]))).toEqual([20, 33]);
  });

  it('lists several, in order', () => {
    expect(inheritedAmong(new Map([[4, 'socket:[2]'], ...NODE_OWN, [3, 'socket:[1]']]))).toEqual([3, 4]);
  });
});
