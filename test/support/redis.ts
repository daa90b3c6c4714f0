import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from './netns.js';

export function redisSkipReason(): string | null {
  if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status !== 0) return 'redis-server is not installed (apt-get install redis-server)';
  return null;
}

/**
 * A real redis-server in a network namespace of its own, linked to each
 * bantop host's namespace by a veth pair (10.200.N.0/24 per link), so that the
 * daemons reach it the way fleet members reach a shared Redis, and this
 * machine's own network is never involved. Killed and restarted at will; its
 * append-only file keeps the data across a restart, as a production Redis does.
 */
export interface RedisLab {
  ns: string;
  /** The URL host `i` (in the order given) uses. */
  url(i: number): string;
  start(): Promise<void>;
  kill(): Promise<void>;
  cli(...args: string[]): string;
  cleanup(): void;
}

const live = new Set<RedisLab>();
process.on('exit', () => { for (const l of live) l.cleanup(); });
let counter = 0;

export async function createRedisLab(hosts: Lab[]): Promise<RedisLab> {
  const tag = `${process.pid % 10000}r${counter++}`;
  const ns = `btr${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'bantop-redis-'));
  const sh = (args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const nets: number[] = [];
  let proc: ChildProcess | undefined;
  const port = 6379;
  const lab: RedisLab = {
    ns,
    url: (i) => `redis://10.200.${nets[i]}.1:${port}/0`,
    async start() {
      proc = spawn('ip', ['netns', 'exec', ns, 'redis-server', '--port', String(port), '--bind', '0.0.0.0', '--protected-mode', 'no',
        '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no'], { stdio: 'ignore' });
      const started = Date.now();
      // Each ping with a timeout of its own: a server that accepts but never answers held spawnSync, and with it
      // the whole test file (vitest's own timeout cannot fire while this thread is blocked), for good.
      while (spawnSync('ip', ['netns', 'exec', ns, 'redis-cli', '-p', String(port), 'ping'], { encoding: 'utf8', timeout: 2_000 }).stdout?.trim() !== 'PONG') {
        if (Date.now() - started > 10_000) throw new Error('redis-server did not come up');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    cli: (...args) => execFileSync('ip', ['netns', 'exec', ns, 'redis-cli', '-p', String(port), ...args], { encoding: 'utf8', timeout: 15_000 }),
    cleanup() {
      proc?.kill('SIGKILL');
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
      live.delete(lab);
    },
  };
  live.add(lab);
  try {
    sh(['netns', 'add', ns]);
    sh(['-n', ns, 'link', 'set', 'lo', 'up']);
    const used = new Set(hosts.map((h) => Number(h.hostIp.split('.')[2])));
    hosts.forEach((h, i) => {
      let n = (process.pid * 13 + counter * 17 + i * 3 + 101) % 250 + 1;
      while (used.has(n)) n = (n % 250) + 1;
      used.add(n);
      nets.push(n);
      const a = `vr${tag}${i}`;
      const b = `vm${tag}${i}`;
      sh(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      sh(['link', 'set', a, 'netns', ns]);
      sh(['link', 'set', b, 'netns', h.host]);
      sh(['-n', ns, 'addr', 'add', `10.200.${n}.1/24`, 'dev', a]);
      sh(['-n', h.host, 'addr', 'add', `10.200.${n}.2/24`, 'dev', b]);
      sh(['-n', ns, 'link', 'set', a, 'up']);
      sh(['-n', h.host, 'link', 'set', b, 'up']);
    });
    await lab.start();
  } catch (e) {
    lab.cleanup();
    throw e;
  }
  return lab;
}
