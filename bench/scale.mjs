// Firewall scale: the time to restore N permanent bans at start with each
// backend (nft set batch, ipset restore, iptables chain), against the raw tool
// loading the same N entries, and one ban and one unban at the largest N. Also
// the daemon's peak RSS holding N permanent bans. Every firewall change
// happens inside a network namespace made here and deleted after.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config, enforcementSkipReason, startDaemon, stop } from './enforce.mjs';

const ROOT = join(import.meta.dirname, '..');
const now = () => performance.now();
const inNs = (ns, cmd, args, input) => spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 30, timeout: 900_000 });
const addr = (i) => `10.${100 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;

/** One request on the control socket; resolves with the reply and the round trip in ms. */
export function request(sock, req) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const c = createConnection(sock);
    let buf = '';
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { c.destroy(); resolve({ reply: JSON.parse(buf), ms: now() - t0 }); }
    });
    c.on('error', reject);
  });
}

/** The peak RSS of a running process, MB. */
export const peakRssMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : null;
};

function kernelCount(ns, backend) {
  if (backend === 'nftables') {
    const j = JSON.parse(inNs(ns, 'nft', ['-j', 'list', 'set', 'inet', 'bantop', 'perm_4']).stdout);
    return j.nftables.find((x) => x.set)?.set.elem?.length ?? 0;
  }
  if (backend === 'ipset') return Number(/Number of entries: (\d+)/.exec(inNs(ns, 'ipset', ['list', '-t', 'bt4-perm']).stdout)?.[1] ?? 0);
  // The permanent chain and, past 1,024 addresses, its shard chains (bantop-perm.00 … .ff).
  return inNs(ns, 'iptables', ['-S']).stdout.split('\n').filter((l) => /^-A bantop-perm(\.[0-9a-f]{2})? -s \S+ -j DROP$/.test(l)).length;
}

/** The raw tool loading the same N entries in one batch: the floor for this backend. */
function rawLoad(ns, backend, n) {
  inNs(ns, 'nft', ['flush', 'ruleset']);
  spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'destroy'], { stdio: 'ignore' });
  let input = '';
  let cmd;
  let args;
  if (backend === 'nftables') {
    input = 'add table inet base\nadd set inet base s { type ipv4_addr; }\n';
    for (let i = 0; i < n; i += 5000) input += `add element inet base s { ${Array.from({ length: Math.min(5000, n - i) }, (_, k) => addr(i + k)).join(', ')} }\n`;
    [cmd, args] = ['nft', ['-f', '-']];
  } else if (backend === 'ipset') {
    const lines = ['create base hash:net family inet maxelem 4194304'];
    for (let i = 0; i < n; i++) lines.push(`add base ${addr(i)}`);
    input = lines.join('\n') + '\n';
    [cmd, args] = ['ipset', ['restore']];
  } else {
    const lines = ['*filter', ':base - [0:0]'];
    for (let i = 0; i < n; i++) lines.push(`-A base -s ${addr(i)}/32 -j DROP`);
    input = lines.join('\n') + '\nCOMMIT\n';
    [cmd, args] = ['iptables-restore', ['-w', '--noflush']];
  }
  const t = now();
  const r = inNs(ns, cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.slice(0, 300)}`);
  return now() - t;
}

async function seedStore(dir, n) {
  const { SqliteStore } = await import(join(ROOT, 'dist', 'store', 'sqlite-store.js'));
  const store = new SqliteStore(join(dir, 'db.sqlite3'));
  const t = Date.now();
  for (let i = 0; i < n; i += 100_000) {
    store.addBans(Array.from({ length: Math.min(100_000, n - i) }, (_, k) => ({ ban: { ip: addr(i + k), jail: 'sshd', bannedAt: t, expiresAt: null, failures: 5, source: 'import', banCount: 0 }, bantime: -1 })));
  }
  store.close();
}

async function one(backend, n, dbCopy) {
  const dir = mkdtempSync(join(tmpdir(), 'bantop-scale-'));
  const ns = `btscale${process.pid % 10000}`;
  try {
    spawnSync('ip', ['netns', 'add', ns]);
    writeFileSync(join(dir, 'auth.log'), '');
    const cfg = config(dir, `[sshd]\nenabled = true\nport = ssh\nlogpath = ${join(dir, 'auth.log')}\n`);
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace('firewall = nftables', `firewall = ${backend}`));
    writeFileSync(join(dir, 'db.sqlite3'), readFileSync(dbCopy));
    const sock = join(dir, 's.sock');
    const { p, readyMs } = await startDaemon(ns, cfg, sock);
    const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
    const m = /restored (\d+) ban\(s\) \(\d+ expired\) in (\d+) ms/.exec(log);
    const out = { backend, n, readyMs, restoreMs: Number(m?.[2]), count: kernelCount(ns, backend), rssMb: peakRssMb(p.pid) /* `ip netns exec` execs node: the same pid */ };
    if (n === 100_000) {
      // An operator's blocklist feed: 100,000 new addresses with `bantop import FILE`, onto the 100,000 in place.
      const list = join(dir, 'feed.txt');
      writeFileSync(list, Array.from({ length: n }, (_, k) => addr(n + k)).join('\n') + '\n');
      const t = now();
      const r = spawnSync(join(ROOT, 'bin', 'bantop'), ['--config', cfg, 'import', list], { encoding: 'utf8', timeout: 900_000 });
      out.importMs = now() - t;
      out.importOut = (r.stdout + r.stderr).trim();
      out.countAfterImport = kernelCount(ns, backend);
    }
    if (n >= 1_000_000) {
      out.banMs = (await request(sock, { cmd: 'ban', ip: '10.250.0.1', jail: 'sshd', seconds: -1 })).ms;
      out.unbanMs = (await request(sock, { cmd: 'unban', ip: '10.250.0.1' })).ms;
      // Every ban lifted at once (bantop unban --all), and the kernel left with none of them.
      out.unbanAllMs = (await request(sock, { cmd: 'unban.all' })).ms;
      out.leftAfterAll = kernelCount(ns, backend);
    }
    await stop(p);
    out.rawMs = rawLoad(ns, backend, n);
    return out;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown lines for RESULTS.md. */
export async function scaleBench({ sizes = [1_000, 10_000, 100_000, 1_000_000], backends = ['nftables', 'ipset', 'iptables'] } = {}) {
  const md = ['## Firewall scale: permanent bans restored at start, per backend', ''];
  const skip = enforcementSkipReason() ?? (spawnSync('sh', ['-c', 'command -v ipset && command -v iptables-restore']).status !== 0 ? 'ipset or iptables missing' : null);
  if (skip) return [...md, `Skipped: ${skip}.`, ''];
  md.push('The daemon starts (in a network namespace) on a store holding N permanent bans. "restore" is from reading the store to every entry in the kernel; "ready" is from spawn to the control socket answering. Baseline: the backend\'s own tool loading the same N entries in one batch (`nft -f`, `ipset restore`, `iptables-restore`), measured in the same run. At 1,000,000: one ban and one unban through the control socket, with the million in place, then `unban --all` of the million (and what the kernel still holds after it). One start per cell.', '');
  md.push('| backend | bans | restore | raw tool, same entries | restore / raw | ready | in the kernel | daemon peak RSS | one ban / unban | unban --all |', '|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
  const stores = new Map();
  const imports = [];
  const seedDir = mkdtempSync(join(tmpdir(), 'bantop-scale-seed-'));
  try {
    for (const n of sizes) {
      const d = join(seedDir, String(n));
      mkdirSync(d, { recursive: true });
      await seedStore(d, n);
      stores.set(n, join(d, 'db.sqlite3'));
    }
    for (const backend of backends) {
      for (const n of sizes) {
        const r = await one(backend, n, stores.get(n));
        if (r.importMs !== undefined) {
          imports.push(r);
          process.stderr.write(`scale ${backend} import of 100000: ${(r.importMs / 1000).toFixed(2)} s, ${r.countAfterImport} in kernel: ${r.importOut}\n`);
        }
        const all = r.unbanAllMs === undefined ? '' : `${(r.unbanAllMs / 1000).toFixed(1)} s (${r.leftAfterAll} left)`;
        process.stderr.write(`scale ${backend} ${n}: restore ${r.restoreMs} ms, raw ${r.rawMs.toFixed(0)} ms, ready ${r.readyMs.toFixed(0)} ms, ${r.count} in kernel, RSS ${r.rssMb} MB${r.banMs ? `, ban ${r.banMs.toFixed(1)} ms, unban ${r.unbanMs.toFixed(1)} ms, unban --all ${all}` : ''}\n`);
        md.push(`| ${backend} | ${n.toLocaleString('en-US')} | ${r.restoreMs.toLocaleString('en-US')} ms | ${Math.round(r.rawMs).toLocaleString('en-US')} ms | ${(r.restoreMs / r.rawMs).toFixed(1)}x | ${Math.round(r.readyMs).toLocaleString('en-US')} ms | ${r.count.toLocaleString('en-US')} | ${r.rssMb} MB | ${r.banMs ? `${r.banMs.toFixed(1)} ms / ${r.unbanMs.toFixed(1)} ms` : ''} | ${all} |`);
      }
    }
  } finally {
    rmSync(seedDir, { recursive: true, force: true });
  }
  if (imports.length) {
    md.push('', 'Import: `bantop import FILE` of 100,000 new addresses (one per line) into the daemon holding 100,000, timed from starting the command to its exit; baseline: the raw tool loading 100,000 entries, above.', '',
      '| backend | import of 100,000 | raw tool, 100,000 | import / raw | in the kernel after | the command said |', '|---|---:|---:|---:|---:|---|');
    for (const r of imports) md.push(`| ${r.backend} | ${(r.importMs / 1000).toFixed(2)} s | ${Math.round(r.rawMs).toLocaleString('en-US')} ms | ${(r.importMs / r.rawMs).toFixed(1)}x | ${r.countAfterImport.toLocaleString('en-US')} | ${r.importOut.replace(/^imported \S+: /, '')} |`);
  }
  if (backends.includes('iptables')) {
    md.push('', 'iptables: past 1,024 addresses a target\'s rules are split into 256 chains by the address\'s last byte (`-s 0.0.0.7/0.0.0.255 -j bantop-perm.07`). With the nft back end the kernel lists one chain of N rules in N² time: a single `-C` in one chain of 300,000 rules took 20 s here, so one flat chain of a million could not be checked or repaired. The raw-tool baseline is still one flat chain loaded by one `iptables-restore`.');
  }
  md.push('');
  return md;
}

if (process.argv[1] === import.meta.filename) {
  const sizes = process.env.BENCH_SCALE_SIZES?.split(',').map(Number);
  const backends = process.env.BENCH_SCALE_BACKENDS?.split(',');
  process.stdout.write((await scaleBench({ ...(sizes ? { sizes } : {}), ...(backends ? { backends } : {}) })).join('\n') + '\n');
}
