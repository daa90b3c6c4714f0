import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { redisSkipReason } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

type FleetStatus = { name: string; redis: string; connected: boolean; lastError: string | null };

const skip = redisSkipReason()
  ?? (spawnSync('sh', ['-c', 'command -v openssl']).status !== 0 ? 'openssl is not installed (apt-get install openssl)' : null);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `[fleet] redis = rediss://:PASSWORD@HOST:PORT/DB`: TLS and the password come
 * from the URL alone. A real redis-server on loopback serves TLS only, with a
 * certificate from a CA made for the test, and requires a password; the daemon
 * trusts that CA the way an operator's unit would (NODE_EXTRA_CA_CERTS).
 */
describe.skipIf(skip !== null)(`fleet: Redis over TLS with a password, from the URL${skipNote(skip)}`, () => {
  const PASSWORD = 's3cret-pw';
  let dir: string;
  let port: number;
  let redis: ChildProcess | undefined;
  const daemons: Daemon[] = [];
  const cfgs: Record<'good' | 'wrong', string> = { good: '', wrong: '' };
  const redisCli = (...args: string[]) => execFileSync('redis-cli', ['--tls', '--cacert', join(dir, 'ca.pem'), '-h', '127.0.0.1', '-p', String(port),
    '-a', PASSWORD, '--no-auth-warning', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const fleet = (which: 'good' | 'wrong') => cliJson<{ fleet: FleetStatus }>(cfgs[which], ['status']).fleet;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-redis-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bantop test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    port = await freePort();
    // TLS only (no plain port), and a password.
    redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'server.pem'),
      '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no',
      '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await waitFor(() => { try { return redisCli('PING') === 'PONG'; } catch { return false; } }, 10_000, 'redis-server with TLS', 50);

    const env = { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') };
    for (const [which, pw] of [['good', PASSWORD], ['wrong', 'not-the-password']] as const) {
      const d = join(dir, which);
      cfgs[which] = writeConfig(d, {
        firewall: 'dry-run',
        jails: '[DEFAULT]\nescalation = off\n',
        extra: `\n[fleet]\nredis = rediss://:${pw}@127.0.0.1:${port}/0\nname = tls-${which}\nshare = permanent, manual\n`,
      });
      daemons.push(await startDaemon(cfgs[which], join(d, 'bantop.sock'), { env }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) await d.stop().catch(() => {});
    redis?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shares a permaban through rediss:// with the password in the URL, and never prints the password', async () => {
    const r = cli(cfgs.good, ['permaban', '203.0.113.77']);
    expect(r.status, r.stderr).toBe(0);
    await waitFor(() => redisCli('SISMEMBER', 'bantop:permanent', '203.0.113.77') === '1', 5000, 'the ban in the shared permanent set');
    expect(redisCli('XLEN', 'bantop:events')).not.toBe('0');
    const f = fleet('good');
    expect(f).toMatchObject({ name: 'tls-good', connected: true, lastError: null });
    expect(f.redis).toBe(`rediss://:***@127.0.0.1:${port}/0`);
    const status = cli(cfgs.good, ['status']).stdout;
    expect(status).toMatch(new RegExp(`^fleet: tls-good on rediss://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0, connected`, 'm'));
    expect(status).not.toContain(PASSWORD);
  });

  it('with a wrong password the host goes on banning alone, and status says Redis refused it', async () => {
    const r = cli(cfgs.wrong, ['permaban', '203.0.113.78']);
    expect(r.status, r.stderr).toBe(0);
    expect(cliJson<Array<{ ip: string; permanent: boolean }>>(cfgs.wrong, ['list'])).toEqual([expect.objectContaining({ ip: '203.0.113.78', permanent: true })]);
    await waitFor(() => /WRONGPASS|invalid username-password/.test(fleet('wrong').lastError ?? ''), 10_000, 'the refusal in status', 200);
    expect(fleet('wrong').connected).toBe(false);
    expect(cli(cfgs.wrong, ['status']).stdout).toMatch(/^fleet: tls-wrong on rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0, DISCONNECTED \(fleet: .*(WRONGPASS|invalid username-password)/m);
    expect(redisCli('SISMEMBER', 'bantop:permanent', '203.0.113.78')).toBe('0');
  });
});
