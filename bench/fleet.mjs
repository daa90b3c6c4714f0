// Fleet figures: a real redis-server in a network namespace of its own and
// bantop daemons in theirs, linked by veth pairs (every change stays inside
// namespaces made here). Propagation latency: a permanent ban accepted by host
// A's control socket → host B's engine applying it (B's event stream), for
// 1,000 bans. Joining: a new host loading a 100,000-address shared list.
// Baselines in the same run: the raw XADD → blocked XREAD round trip through
// the same Redis (ioredis), and the raw SMEMBERS of the same list.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config, enforcementSkipReason, startDaemon, stop } from './enforce.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ip = (args) => execFileSync('ip', args, { stdio: 'pipe' });
const now = () => performance.timeOrigin + performance.now();
const pct = (a, q) => a[Math.min(a.length - 1, Math.floor(q * a.length))];

export function fleetSkipReason() {
  return enforcementSkipReason() ?? (spawnSync('sh', ['-c', 'command -v redis-server']).status === 0 ? null : 'redis-server is not installed');
}

const RAW = `
const { Redis } = require(process.argv[1]);
const url = process.argv[2], n = Number(process.argv[3]);
(async () => {
  const w = new Redis(url), r = new Redis(url);
  let last = (await w.xrevrange('raw', '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const read = r.xread('BLOCK', 5000, 'STREAMS', 'raw', last);
    await w.xadd('raw', '*', 'i', String(i));
    const got = await read;
    last = got[0][1][0][0];
    out.push(performance.now() - t);
  }
  const t = performance.now();
  const members = await w.smembers('bantop:permanent');
  console.log(JSON.stringify({ lat: out, smembersMs: performance.now() - t, members: members.length }));
  w.disconnect(); r.disconnect();
})();`;

export async function fleetBench({ bans = 1000, listSize = 100_000 } = {}) {
  const md = ['## Fleet (Redis, daemons in network namespaces)', ''];
  const skip = fleetSkipReason();
  if (skip) return [...md, `Skipped: ${skip}.`, ''];
  const tag = `${process.pid % 10000}`;
  const R = `btfr${tag}`;
  const hosts = ['a', 'b', 'c'].map((h) => `btf${h}${tag}`);
  const root = mkdtempSync(join(tmpdir(), 'bantop-bench-fleet-'));
  const procs = [];
  try {
    ip(['netns', 'add', R]);
    ip(['-n', R, 'link', 'set', 'lo', 'up']);
    hosts.forEach((h, i) => {
      ip(['netns', 'add', h]);
      ip(['-n', h, 'link', 'set', 'lo', 'up']);
      ip(['link', 'add', `vfr${tag}${i}`, 'type', 'veth', 'peer', 'name', `vfh${tag}${i}`]);
      ip(['link', 'set', `vfr${tag}${i}`, 'netns', R]);
      ip(['link', 'set', `vfh${tag}${i}`, 'netns', h]);
      ip(['-n', R, 'addr', 'add', `10.200.${90 + i}.1/24`, 'dev', `vfr${tag}${i}`]);
      ip(['-n', h, 'addr', 'add', `10.200.${90 + i}.2/24`, 'dev', `vfh${tag}${i}`]);
      ip(['-n', R, 'link', 'set', `vfr${tag}${i}`, 'up']);
      ip(['-n', h, 'link', 'set', `vfh${tag}${i}`, 'up']);
    });
    const redis = spawn('ip', ['netns', 'exec', R, 'redis-server', '--port', '6379', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    procs.push(redis);
    const rcli = (...a) => spawnSync('ip', ['netns', 'exec', R, 'redis-cli', ...a], { encoding: 'utf8', maxBuffer: 1 << 28 });
    while (rcli('ping').stdout?.trim() !== 'PONG') await new Promise((r) => setTimeout(r, 20));

    const { request, subscribe } = await import(join(ROOT, 'dist', 'daemon', 'client.js'));
    const daemon = async (i) => {
      const dir = join(root, hosts[i]);
      const cfg = config(dir, '[DEFAULT]\nescalation = off\n');
      appendFileSync(join(cfg, 'bantop.conf'), `\n[fleet]\nredis = redis://10.200.${90 + i}.1:6379/0\nname = host-${'abc'[i]}\n`);
      const d = await startDaemon(hosts[i], cfg, join(dir, 's.sock'));
      procs.push(d.p);
      return { ...d, sock: join(dir, 's.sock') };
    };
    const a = await daemon(0);
    const b = await daemon(1);

    // Propagation: B's event stream timestamps each shared ban as B applies it.
    const applied = new Map();
    const sub = subscribe(b.sock, (e) => { if (e.type === 'ban' && e.jail === 'fleet') applied.set(e.ip, now()); }, () => {});
    await new Promise((r) => setTimeout(r, 300));
    const sent = new Map();
    for (let i = 0; i < bans; i++) {
      const addr = `198.18.${(i + 1) >> 8}.${(i + 1) & 255}`;
      // Timed from the request: A shares the ban as its engine makes it, before its own nft commit answers.
      sent.set(addr, now());
      await request(a.sock, { cmd: 'ban', ip: addr, seconds: -1 });
      await new Promise((r) => setTimeout(r, 2));
    }
    const deadline = Date.now() + 30_000;
    while (applied.size < bans && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sub.close();
    const lat = [...sent].filter(([k]) => applied.has(k)).map(([k, t]) => applied.get(k) - t).sort((x, y) => x - y);

    process.stderr.write(`fleet bench: ${applied.size} of ${bans} propagated; loading the shared list\n`);
    // Joining: a 100,000-address shared list written straight into Redis, then a new host C starts.
    let proto = '';
    for (let i = 0; i < listSize; i++) {
      const addr = `10.${100 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
      proto += `SADD bantop:permanent ${addr}\n`;
    }
    spawnSync('ip', ['netns', 'exec', R, 'redis-cli', '--pipe'], { input: proto.replace(/\n/g, '\r\n'), stdio: ['pipe', 'ignore', 'ignore'] });
    const raw = JSON.parse(spawnSync('ip', ['netns', 'exec', hosts[0], process.execPath, '-e', RAW, join(ROOT, 'node_modules', 'ioredis'), 'redis://10.200.90.1:6379/0', String(bans)],
      { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
    const rawLat = raw.lat.sort((x, y) => x - y);
    const t0 = now();
    const c = await daemon(2);
    const want = listSize + bans;
    let loaded = 0;
    while (Date.now() < deadline + 120_000) {
      loaded = (await request(c.sock, { cmd: 'status' })).totals.bans;
      if (loaded >= want) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const joinMs = now() - t0;

    process.stderr.write(`fleet: propagation median ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms (raw ${pct(rawLat, 0.5).toFixed(2)} ms); join ${loaded} in ${joinMs.toFixed(0)} ms (SMEMBERS ${raw.smembersMs.toFixed(0)} ms)\n`);
    md.push(`${bans.toLocaleString('en-US')} permanent bans made one after another on host A (control socket); each is timed from the request to A until host B's engine applies it (B's event stream); ${lat.length} of ${bans} arrived.`, '');
    md.push('| figure | bantop | baseline: raw XADD → blocked XREAD through the same Redis |', '|---|---:|---:|');
    md.push(`| propagation, median | ${pct(lat, 0.5).toFixed(1)} ms | ${pct(rawLat, 0.5).toFixed(2)} ms |`);
    md.push(`| propagation, p99 | ${pct(lat, 0.99).toFixed(1)} ms | ${pct(rawLat, 0.99).toFixed(2)} ms |`);
    md.push(`| propagation, worst | ${lat.at(-1).toFixed(1)} ms | ${rawLat.at(-1).toFixed(2)} ms |`, '');
    md.push(`A new host joining a fleet whose shared permanent list holds ${want.toLocaleString('en-US')} addresses: from spawning the daemon to all of them banned in its engine (its store commits them in the same transaction, nftables takes them in batches): **${(joinMs / 1000).toFixed(1)} s** (${loaded.toLocaleString('en-US')} loaded). Baseline: fetching the list with one raw SMEMBERS takes ${raw.smembersMs.toFixed(0)} ms.`, '');
    await stop(c.p);
    await stop(b.p);
    await stop(a.p);
    return md;
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    for (const ns of [R, ...hosts]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write((await fleetBench()).join('\n') + '\n');
}
