import { describe, expect, it } from 'vitest';
import { stopSignalHint } from '../../src/hints';

describe('stopSignalHint', () => {
  it('names the signal nginx drains on, once, in one line', () => {
    const hint = stopSignalHint(['nginx', '-g', 'daemon off;'], false);
    expect(hint).toBe(
      'nginx drains on SIGQUIT, while SIGTERM drops open connections (fast shutdown): ' +
        'set --stop-signal SIGQUIT (or GRACIE_STOP_SIGNAL=SIGQUIT) to stop it gracefully',
    );
    expect(hint).not.toMatch(/\n/);
  });

  it('says nothing when a stop signal or a SIGTERM rewrite is configured, whatever it is', () => {
    expect(stopSignalHint(['nginx', '-g', 'daemon off;'], true)).toBeNull();
    expect(stopSignalHint(['httpd', '-DFOREGROUND'], true)).toBeNull();
  });

  it.each([
    [['nginx'], 'SIGQUIT'],
    [['/usr/sbin/nginx', '-g', 'daemon off;'], 'SIGQUIT'],
    [['openresty', '-g', 'daemon off;'], 'SIGQUIT'],
    [['httpd', '-DFOREGROUND'], 'SIGWINCH'],
    [['/usr/local/bin/httpd-foreground'], 'SIGWINCH'],
    [['apache2ctl', '-D', 'FOREGROUND'], 'SIGWINCH'],
    [['apache2', '-DFOREGROUND'], 'SIGWINCH'],
    [['php-fpm'], 'SIGQUIT'],
    [['php-fpm8.2', '-F'], 'SIGQUIT'],
    [['php82-fpm', '-F'], 'SIGQUIT'],
    [['/usr/sbin/php-fpm7.4', '--nodaemonize'], 'SIGQUIT'],
    [['haproxy', '-W', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg'], 'SIGUSR1'],
    [['postgres'], 'SIGINT'],
    [['env', 'TZ=UTC', 'nginx', '-g', 'daemon off;'], 'SIGQUIT'],
    [['env', '-i', 'nginx'], 'SIGQUIT'],
  ])('%j drains on %s', (command, signal) => {
    expect(stopSignalHint(command, false)).toContain(`set --stop-signal ${signal} (or GRACIE_STOP_SIGNAL=${signal})`);
  });

  it.each([
    // What a shell-form CMD produces, with Debian's dash staying in between.
    [['/bin/sh', '-c', "nginx -g 'daemon off;'"], 'SIGQUIT'],
    [['sh', '-c', "exec nginx -g 'daemon off;'"], 'SIGQUIT'],
    [['sh', '-ec', "envsubst < /etc/nginx/tpl > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'"], 'SIGQUIT'],
    [['bash', '-c', 'php-fpm -D; exec nginx'], 'SIGQUIT'],
    [['sh', '-c', 'echo starting\nexec /usr/sbin/apache2ctl -D FOREGROUND'], 'SIGWINCH'],
    [['busybox', 'sh', '-c', 'exec haproxy -f /etc/haproxy.cfg'], 'SIGUSR1'],
    [['sh', '-c', 'PGDATA=/data exec postgres'], 'SIGINT'],
  ])('shell form %j drains on %s', (command, signal) => {
    expect(stopSignalHint(command, false)).toContain(`--stop-signal ${signal}`);
  });

  it.each([
    [[]],
    [['node', 'server.js']],
    [['gunicorn', 'app:app']],
    [['redis-server']],
    [['sh', '-c', 'node server.js']],
    [['sh', '-c', 'cat /etc/nginx/nginx.conf']],
    [['sh', 'start-nginx.sh']],
    [['sh', '-c']],
    [['nginx-debug-wrapper']],
    [['echo', 'nginx']],
  ])('no hint for %j: SIGTERM is its stop signal, or nothing known is run', (command) => {
    expect(stopSignalHint(command, false)).toBeNull();
  });
});
