// Ban latency: from a failure line appended to a log to the attacker's packets
// being dropped by nftables, bantop against fail2ban-server on the same jail.
// (Restoring bans at start is in scale.mjs.)
// Needs root and nft; every firewall change happens inside namespaces made here.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const now = () => performance.timeOrigin + performance.now();
const ip = (args) => execFileSync('ip', args, { stdio: 'pipe' });
const inNs = (ns, cmd, args, input) => spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 30 });

export function enforcementSkipReason() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (spawnSync('sh', ['-c', 'command -v nft && command -v ip']).status !== 0) return 'nft or ip missing';
  return null;
}

export function config(dir, jails) {
  const cfg = join(dir, 'cfg');
  mkdirSync(cfg, { recursive: true });
  symlinkSync(join(ROOT, 'assets', 'config', 'filter.d'), join(cfg, 'filter.d'));
  // Every path under `dir`: a bench daemon must never write the machine's own /var/lib/bantop or /var/log files.
  writeFileSync(join(cfg, 'bantop.conf'), `[Definition]\nlogtarget = ${join(dir, 'daemon.log')}\nsocket = ${join(dir, 's.sock')}\npidfile = ${join(dir, 'p.pid')}\n` +
    `dbfile = ${join(dir, 'db.sqlite3')}\nbanlog = ${join(dir, 'bans.log')}\nblocklist = ${join(dir, 'blocklist')}\nhostsdeny = ${join(dir, 'hosts.deny')}\nfirewall = nftables\n`);
  writeFileSync(join(cfg, 'jail.conf'), jails);
  return cfg;
}

/** Now as a syslog line starts ("Nov 21 14:05:09"), local time. */
export function syslogNow() {
  const d = new Date();
  return `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
}

const answers = (sock) => new Promise((res) => {
  const c = createConnection(sock);
  c.once('connect', () => c.write('{"cmd":"ping"}\n'));
  c.once('data', () => { c.destroy(); res(true); });
  c.once('error', () => res(false));
});

export async function startDaemon(ns, cfg, sock) {
  const t0 = now();
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '--config', cfg, 'serve'], { stdio: 'ignore' });
  while (!(await answers(sock))) {
    if (p.exitCode !== null) throw new Error('daemon exited');
    await new Promise((r) => setTimeout(r, 5));
  }
  return { p, readyMs: now() - t0 };
}
export const stop = (p) => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); });

const PROBE = `
const net = require('net');
const [host, local] = process.argv.slice(1);
let lastOk = 0, ready = false;
const t = () => performance.timeOrigin + performance.now();
function attempt() {
  const start = t();
  const s = net.connect({ host, port: 2222, localAddress: local });
  s.setTimeout(100);
  s.on('connect', () => { lastOk = start; s.destroy(); if (!ready) { ready = true; console.log('ready'); } setImmediate(attempt); });
  s.on('timeout', () => { console.log('blocked ' + start + ' ' + lastOk); process.exit(0); });
  s.on('error', () => setTimeout(attempt, 1));
}
attempt();`;

/** A fail2ban config dir for the same jail, using the machine's own /etc/fail2ban filters and actions (read, never copied). */
function fail2banConfig(dir, log) {
  const cfg = join(dir, 'f2b');
  mkdirSync(cfg, { recursive: true });
  for (const d of ['filter.d', 'action.d']) symlinkSync(join('/etc/fail2ban', d), join(cfg, d));
  // Debian's own jail.conf supplies the defaults (filter, action, backend); jail.local sets this jail.
  for (const f of ['paths-common.conf', 'paths-debian.conf', 'jail.conf']) symlinkSync(join('/etc/fail2ban', f), join(cfg, f));
  writeFileSync(join(cfg, 'fail2ban.conf'), `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'f2b.log')}\nsocket = ${join(dir, 'f2b.sock')}\npidfile = ${join(dir, 'f2b.pid')}\ndbfile = ${join(dir, 'f2b.sqlite3')}\n`);
  writeFileSync(join(cfg, 'jail.local'), `[DEFAULT]\nbanaction = nftables-multiport\nbanaction_allports = nftables-allports\n` +
    `[sshd]\nenabled = true\nport = 2222\nmaxretry = 1\nbantime = 1h\nlogpath = ${log}\n`);
  return cfg;
}

export const HAVE_FAIL2BAN = existsSync('/usr/bin/fail2ban-server') && existsSync('/etc/fail2ban/filter.d/sshd.conf');

/**
 * Ban latency: a probe in the attacker's namespace connects back to back; a
 * failure line is appended; the figure is the time to the first connect that
 * goes unanswered. `noise` lines/s of unrelated sshd traffic flow meanwhile.
 */
export async function latency(rounds, { noise = 0, engine = 'bantop' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bantop-bench-'));
  const tag = `${process.pid % 10000}`;
  const host = `btbh${tag}`;
  const peer = `btbp${tag}`;
  const procs = [];
  let noiseTimer;
  try {
    ip(['netns', 'add', host]);
    ip(['netns', 'add', peer]);
    ip(['link', 'add', `vbh${tag}`, 'type', 'veth', 'peer', 'name', `vbp${tag}`]);
    ip(['link', 'set', `vbh${tag}`, 'netns', host]);
    ip(['link', 'set', `vbp${tag}`, 'netns', peer]);
    ip(['-n', host, 'addr', 'add', '10.200.77.1/16', 'dev', `vbh${tag}`]);
    const src = (i) => `10.200.${78 + (i >> 8)}.${i & 255 || 1}`;
    const sources = Array.from({ length: rounds + 1 }, (_, i) => src(i + 1));
    inNs(host, 'true', []);
    spawnSync('ip', ['-n', peer, '-batch', '-'], { input: sources.map((a) => `addr add ${a}/16 dev vbp${tag}`).join('\n') + '\n' });
    for (const [ns, dev] of [[host, `vbh${tag}`], [peer, `vbp${tag}`]]) {
      ip(['-n', ns, 'link', 'set', dev, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const listener = spawn('ip', ['netns', 'exec', host, process.execPath, '-e', "require('net').createServer(s=>s.end()).listen(2222)"], { stdio: 'ignore' });
    procs.push(listener);
    if (engine === 'bantop') {
      const cfg = config(dir, `[sshd]\nenabled = true\nport = 2222\nmaxretry = 1\nbantime = 1h\nlogpath = ${log}\n`);
      const { p } = await startDaemon(host, cfg, join(dir, 's.sock'));
      procs.push(p);
    } else {
      const cfg = fail2banConfig(dir, log);
      const p = spawn('ip', ['netns', 'exec', host, 'fail2ban-server', '-c', cfg, '-f', '-x', '-s', join(dir, 'f2b.sock'), '-p', join(dir, 'f2b.pid')], { stdio: 'ignore' });
      procs.push(p);
      for (let i = 0; i < 200 && !readFileSync(join(dir, 'f2b.log'), { encoding: 'utf8', flag: 'a+' }).includes("Jail 'sshd' started"); i++) await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    if (noise > 0) {
      // Lines that every filter reads and none bans for: the work without the decisions.
      let n = 0;
      noiseTimer = setInterval(() => {
        let s = '';
        const ts = syslogNow();
        for (let k = 0; k < noise / 100; k++, n++) s += `${ts} web1 sshd[${1000 + (n % 30000)}]: Accepted publickey for deploy from 192.0.2.${n % 250} port ${1024 + (n % 60000)} ssh2: ED25519 SHA256:x\n`;
        appendFileSync(log, s);
      }, 10);
    }
    const out = [];
    // Round 0 warms up (fail2ban creates its nft table on the first ban); it is not counted.
    for (let i = 0; i <= rounds; i++) {
      const probe = spawn('ip', ['netns', 'exec', peer, process.execPath, '-e', PROBE, '10.200.77.1', sources[i]], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      const done = new Promise((r) => probe.once('exit', r));
      await new Promise((r) => probe.stdout.on('data', (d) => { text += d; if (text.includes('ready')) r(); }));
      await new Promise((r) => setTimeout(r, 20));
      const t0 = now();
      appendFileSync(log, `${syslogNow()} web1 sshd[1]: Failed password for root from ${sources[i]} port 4000 ssh2\n`);
      const timeout = setTimeout(() => probe.kill(), 20_000);
      await done;
      clearTimeout(timeout);
      const m = /blocked (\S+) (\S+)/.exec(text);
      if (i > 0) out.push(m ? Number(m[1]) - t0 : Infinity);
    }
    if (engine === 'fail2ban' && out.some((v) => !Number.isFinite(v))) {
      process.stderr.write(`fail2ban did not ban every address; the end of its log:\n${readFileSync(join(dir, 'f2b.log'), 'utf8').split('\n').slice(-15).join('\n')}\n`);
    }
    return out.sort((a, b) => a - b);
  } finally {
    clearInterval(noiseTimer);
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    spawnSync('ip', ['netns', 'del', host]);
    spawnSync('ip', ['netns', 'del', peer]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown lines for RESULTS.md. */
const NOISE = 5000;

export async function enforcementBench({ rounds = 100 } = {}) {
  const md = ['## Ban latency (nftables, in a network namespace)', ''];
  const skip = enforcementSkipReason();
  if (skip) return [...md, `Skipped: ${skip}.`, ''];
  md.push(`From a failure line appended to the log (maxretry 1) to the first TCP connect from the attacker's namespace that goes unanswered (a probe connects back to back, so each figure is an upper bound within one connect, ~0.3 ms). ${rounds} bans per row, each from a new address; "noise" is ${NOISE.toLocaleString('en-US')} lines/s of other sshd traffic appended to the same log meanwhile. fail2ban-server runs the same jail (Debian's sshd filter, nftables-multiport, its default backend) in the same kind of namespace.`, '');
  md.push('| engine | load | median | p99 | worst | vs bantop (median) |', '|---|---|---:|---:|---:|---:|');
  const fmt = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'not banned in 20 s');
  const medians = {};
  for (const engine of HAVE_FAIL2BAN ? ['bantop', 'fail2ban'] : ['bantop']) {
    for (const noise of [0, NOISE]) {
      const lat = await latency(rounds, { noise, engine });
      const pick = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
      const label = noise ? `${noise.toLocaleString('en-US')} lines/s noise` : 'idle';
      medians[`${engine}/${noise}`] = pick(0.5);
      const ratio = engine === 'bantop' ? '' : `${(pick(0.5) / medians[`bantop/${noise}`]).toFixed(0)}x slower`;
      process.stderr.write(`latency ${engine} ${label}: median ${fmt(pick(0.5))}, p99 ${fmt(pick(0.99))}, worst ${fmt(lat[lat.length - 1])}\n`);
      md.push(`| ${engine === 'bantop' ? 'bantop' : 'fail2ban-server 1.0.2 (Debian)'} | ${label} | ${fmt(pick(0.5))} | ${fmt(pick(0.99))} | ${fmt(lat[lat.length - 1])} | ${ratio} |`);
    }
  }
  if (!HAVE_FAIL2BAN) md.push('', 'fail2ban is not installed here: no fail2ban row in this run.');
  md.push('');
  return md;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const md = await enforcementBench();
  process.stdout.write(md.join('\n') + '\n');
}
