import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe } from '../../src/daemon/client.js';
import { cli, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, listen, listening, netnsSkipReason, nftSet, tcpReaches, type Lab } from '../support/netns.js';
import { createRedisLab, redisSkipReason, type RedisLab } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

type Ban = { ip: string; jail: string; permanent: boolean; source: string; origin?: string };
type Fleet = { name: string; connected: boolean; lagMs: number; pending: number; published: number; applied: number };

const skip = netnsSkipReason(['nft']) ?? redisSkipReason();

/**
 * The fleet end to end: a real redis-server in its own network namespace and
 * three bantop daemons, each with its own state, nftables and namespace,
 * linked to Redis by veth pairs; each host's attacker sits in a peer namespace.
 */
describe.skipIf(skip !== null)(`fleet: ban sharing through Redis${skipNote(skip)}`, () => {
  const names = ['host-a', 'host-b', 'host-c'];
  let labs: Lab[];
  let redis: RedisLab;
  let root: string;
  const hosts: Array<{ name: string; dir: string; cfg: string; socket: string; daemon?: Daemon | undefined }> = [];
  let listener: ReturnType<typeof listen>;

  // Host B's operator is logged in over SSH from this address: no ban, shared or not, may cut that session.
  const OPERATOR_B = '198.51.100.99';
  const start = async (i: number) => {
    const h = hosts[i]!;
    const env: Record<string, string> = i === 1 ? { SSH_CONNECTION: `${OPERATOR_B} 50001 ${labs[1]!.hostIp} 22` } : {};
    h.daemon = await startDaemon(h.cfg, h.socket, { netns: labs[i]!.host, env });
  };
  const stop = async (i: number) => {
    await hosts[i]!.daemon?.stop();
    hosts[i]!.daemon = undefined;
  };
  const run = (i: number, ...args: string[]) => cli(hosts[i]!.cfg, args);
  const list = (i: number, jail?: string) => cliJson<Ban[]>(hosts[i]!.cfg, ['list', ...(jail ? ['--jail', jail] : [])]);
  const fleet = (i: number) => cliJson<{ fleet: Fleet }>(hosts[i]!.cfg, ['status']).fleet;
  const perm = (i: number) => nftSet(labs[i]!.host, 'perm_4');

  beforeAll(async () => {
    labs = names.map(() => createLab());
    redis = await createRedisLab(labs);
    root = mkdtempSync(join(tmpdir(), 'bantop-fleet-'));
    names.forEach((name, i) => {
      const dir = join(root, name);
      const log = join(dir, 'auth.log');
      const cfg = writeConfig(dir, {
        firewall: 'nftables',
        jails: `[DEFAULT]\nescalation = off\n[sshd]\nenabled = true\nlogpath = ${log}\nport = 22\n`,
        extra: `\n[fleet]\nredis = ${redis.url(i)}\nname = ${name}\nshare = permanent, escalation, manual\n`,
      });
      writeFileSync(log, '');
      hosts.push({ name, dir, cfg, socket: join(dir, 'bantop.sock') });
    });
    await start(0);
    await start(1);
    listener = listen(labs[1]!, [22]);
    await listening(listener);
  }, 60_000);

  afterAll(async () => {
    listener?.kill();
    for (let i = 0; i < hosts.length; i++) await stop(i).catch(() => {});
    redis?.cleanup();
    for (const l of labs ?? []) l.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a permanent ban on host A drops the address on host B within one second, and B names A as its origin', async () => {
    const attacker = labs[1]!.peerIp; // host B's attacker
    expect(tcpReaches(labs[1]!, 22)).toBe(true);
    // What an attached TUI on B receives: the shared ban as it arrives, naming its origin.
    const seen: Array<Record<string, unknown>> = [];
    const sub = subscribe(hosts[1]!.socket, (e) => seen.push(e), () => {});
    await new Promise((r) => setTimeout(r, 200));
    const r = run(0, 'permaban', attacker);
    expect(r.status, r.stderr).toBe(0);
    const t0 = Date.now();
    await waitFor(() => perm(1).includes(attacker), 5000, `${attacker} in host B's permanent set`);
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(tcpReaches(labs[1]!, 22)).toBe(false);
    // The test's own synchronous probes hold its event loop: wait for the event to be read, not just sent.
    await waitFor(() => seen.some((e) => e['type'] === 'ban'), 3000, 'the ban event on host B\'s subscription');
    sub.close();
    expect(seen.filter((e) => e['type'] === 'ban')).toEqual([expect.objectContaining({ ip: attacker, jail: 'fleet', source: 'fleet', origin: 'host-a' })]);
    expect(list(1, 'fleet')).toEqual([expect.objectContaining({ ip: attacker, jail: 'fleet', permanent: true, source: 'fleet', origin: 'host-a' })]);
    expect(run(1, 'list').stdout).toMatch(new RegExp(`${attacker.replace(/\./g, '\\.')}\\s+fleet\\s.*permanent.*fleet from host-a`));
    expect(redis.cli('SISMEMBER', 'bantop:permanent', attacker).trim()).toBe('1');
    expect(fleet(1)).toMatchObject({ name: 'host-b', connected: true });
    const status = run(1, 'status').stdout;
    expect(status).toMatch(/^fleet: host-b on redis:\/\/10\.200\.\d+\.1:6379\/0, connected, lag \d+ ms, sharing permanent, escalation, manual/m);
    expect(status).toMatch(/^shared bans held here: 1 from host-a$/m);
  });

  it('an unban on A lifts it on B; a whitelist on B reaches A, which then refuses to ban the address', async () => {
    const attacker = labs[1]!.peerIp;
    expect(run(0, 'unban', attacker).status).toBe(0);
    await waitFor(() => !perm(1).includes(attacker), 3000, 'the unban on host B');
    expect(tcpReaches(labs[1]!, 22)).toBe(true);
    expect(list(1, 'fleet')).toEqual([]);
    expect(redis.cli('SISMEMBER', 'bantop:permanent', attacker).trim()).toBe('0');

    const friend = '198.51.100.44';
    expect(run(0, 'permaban', friend).status).toBe(0);
    await waitFor(() => perm(1).includes(friend), 3000, 'the ban on host B');
    expect(run(1, 'whitelist', 'add', friend).status).toBe(0);
    await waitFor(() => !perm(0).includes(friend), 3000, 'host A lifting its own ban of the whitelisted address');
    expect(cliJson<Array<{ entry: string }>>(hosts[0]!.cfg, ['whitelist', 'list']).map((w) => w.entry)).toContain(friend);
    const refused = run(0, 'permaban', friend);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/whitelist/);
    expect(perm(1)).not.toContain(friend);
  });

  it('unban --all on A lifts on B every ban A shared, and takes them out of the shared list', async () => {
    const ips = ['198.51.100.61', '198.51.100.62'];
    for (const ip of ips) expect(run(0, 'permaban', ip).status).toBe(0);
    await waitFor(() => ips.every((ip) => perm(1).includes(ip)), 3000, 'the bans on host B');
    expect(run(0, 'unban', '--all').stdout).toMatch(/^unbanned 2 address\(es\), 2 ban\(s\), in manual;/);
    await waitFor(() => !ips.some((ip) => perm(1).includes(ip)), 3000, 'the unbans on host B');
    expect(list(1, 'fleet')).toEqual([]);
    for (const ip of ips) expect(redis.cli('SISMEMBER', 'bantop:permanent', ip).trim()).toBe('0');
  });

  it('a shared ban of host B\'s own operator is applied everywhere but on B', async () => {
    expect(run(0, 'permaban', OPERATOR_B).status).toBe(0);
    await waitFor(() => readFileSync(join(hosts[1]!.dir, 'daemon.log'), 'utf8').includes(`shared ban of ${OPERATOR_B} from host-a not applied here`), 3000, 'host B refusing the ban');
    expect(perm(0)).toContain(OPERATOR_B);
    expect(perm(1)).not.toContain(OPERATOR_B);
    expect(list(1, 'fleet').map((b) => b.ip)).not.toContain(OPERATOR_B);
    expect(run(0, 'unban', OPERATOR_B).status).toBe(0);
  });

  it('host B offline during 1,000 bans on A catches up exactly at restart; a new host C gets the whole list as one batch', async () => {
    await stop(1);
    const ips = Array.from({ length: 1000 }, (_, i) => `198.18.${(i + 1) >> 8}.${(i + 1) & 255}`);
    const file = join(root, 'thousand.txt');
    writeFileSync(file, ips.join('\n') + '\n');
    const imp = run(0, 'import', file);
    expect(imp.status, imp.stderr).toBe(0);
    await waitFor(() => fleet(0).pending === 0, 10_000, 'host A sending its outbox');

    await start(1);
    await waitFor(() => list(1, 'fleet').length === 1000, 15_000, 'host B catching up');
    const held = list(1, 'fleet').map((b) => b.ip).sort();
    expect(held).toEqual([...ips].sort());
    const kernel = perm(1).filter((ip) => ip.startsWith('198.18.'));
    expect(kernel.length).toBe(1000);
    expect(new Set(kernel).size).toBe(1000);
    // Exactly once: one ban in B's history for an address, also after another restart.
    await stop(1);
    await start(1);
    await new Promise((r) => setTimeout(r, 1500));
    const hist = cliJson<Array<{ event: string; jail: string }>>(hosts[1]!.cfg, ['history', ips[500]!]);
    expect(hist.filter((h) => h.event === 'ban')).toHaveLength(1);
    expect(fleet(1).applied).toBe(0);

    await start(2);
    await waitFor(() => list(2, 'fleet').length === 1000, 15_000, 'host C loading the shared list');
    expect(perm(2).filter((ip) => ip.startsWith('198.18.')).length).toBe(1000);
    expect(cliJson<Array<{ entry: string }>>(hosts[2]!.cfg, ['whitelist', 'list']).map((w) => w.entry)).toContain('198.51.100.44');
  }, 90_000);

  it('Redis killed: every host keeps enforcing and banning; when it is back, the bans made meanwhile are shared', async () => {
    await redis.kill();
    const late = '203.0.113.77';
    const r = run(0, 'permaban', late);
    expect(r.status, r.stderr).toBe(0);
    expect(perm(0)).toContain(late);
    expect(perm(1).filter((ip) => ip.startsWith('198.18.')).length).toBe(1000);
    await waitFor(() => fleet(0).connected === false, 5000, 'host A noticing Redis is gone');
    expect(fleet(0).pending).toBeGreaterThan(0);
    expect(perm(1)).not.toContain(late);

    await redis.start();
    await waitFor(() => perm(1).includes(late) && perm(2).includes(late), 15_000, 'the ban reaching B and C after Redis came back');
    expect(fleet(0).pending).toBe(0);
    expect(list(1, 'fleet').find((b) => b.ip === late)?.origin).toBe('host-a');
  }, 60_000);
});
