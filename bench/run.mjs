// npm run bench: filter throughput of `bantop regex` against fail2ban-regex and
// the physical floor (wc -l, grep -c) on the same generated files, measured in
// the same run, then the full pipeline and flood memory (bench/pipeline.mjs),
// ban latency against fail2ban-server (bench/enforce.mjs), firewall scale per
// backend with memory (bench/scale.mjs), then the fleet (bench/fleet.mjs: propagation through
// Redis, a new host loading a 100,000-address list) and the demo TUI at 5,000 lines/s (bench/tui.mjs). Writes bench/RESULTS.md. Timings are reported, never asserted.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enforcementBench } from './enforce.mjs';
import { tuiBench } from './tui.mjs';
import { fleetBench } from './fleet.mjs';
import { pipelineBench } from './pipeline.mjs';
import { scaleBench } from './scale.mjs';
import { GENERATORS, writeLog } from './gen-logs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const ASSETS = join(ROOT, 'assets', 'config');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const HAVE_F2B = existsSync('/usr/bin/fail2ban-regex') && existsSync('/etc/fail2ban/filter.d');
const GNU_TIME = existsSync('/usr/bin/time');
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };

mkdirSync(DATA, { recursive: true });

/** Run a command, return wall seconds, peak RSS (KB, when GNU time is there) and stdout. */
function measure(cmd, args, { input } = {}) {
  const full = GNU_TIME ? ['/usr/bin/time', ['-f', '%M', cmd, ...args]] : [cmd, args];
  const t = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { env, encoding: 'utf8', maxBuffer: 1 << 30, input });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed (${r.status}): ${r.stderr?.slice(-500)}`);
  const rssKb = GNU_TIME ? Number(r.stderr.trim().split('\n').pop()) : null;
  return { secs, rssKb, out: r.stdout };
}

/** Machines are noisy: the fast tools run three times and the median run counts. */
function median3(cmd, args) {
  const runs = [measure(cmd, args), measure(cmd, args), measure(cmd, args)].sort((a, b) => a.secs - b.secs);
  return runs[1];
}

const fmtRate = (lines, secs) => `${Math.round(lines / secs).toLocaleString('en-US')} lines/s`;
const fmtMb = (kb) => (kb == null ? 'n/a' : `${Math.round(kb / 1024)} MB`);

async function ensure(kind) {
  const path = join(DATA, `${kind}-${LINES}.log`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${path} ...\n`);
    await writeLog(path, GENERATORS[kind], LINES);
  }
  return path;
}

const rows = [];
const checks = [];
function row(scenario, tool, m, lines, note = '') {
  rows.push({ scenario, tool, secs: m.secs, rate: lines / m.secs, rss: m.rssKb, note });
  process.stderr.write(`${scenario} | ${tool}: ${m.secs.toFixed(2)} s, ${fmtRate(lines, m.secs)}, ${fmtMb(m.rssKb)} ${note}\n`);
}

const bantopCount = (out) => /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(out);

async function scenario(name, kind, grepPattern, filters) {
  const log = await ensure(kind);
  const size = statSync(log).size;
  process.stderr.write(`\n== ${name}: ${log} (${(size / 1e6).toFixed(0)} MB)\n`);
  row(name, 'wc -l', median3('wc', ['-l', log]), LINES);
  const g = median3('grep', ['-c', grepPattern, log]);
  row(name, `grep -c '${grepPattern}'`, g, LINES, `(${g.out.trim()} lines)`);
  for (const f of filters) {
    const cfgArgs = f.config ? ['--config', f.config] : [];
    const ours = median3(process.execPath, [BIN, ...cfgArgs, 'regex', log, f.filter]);
    const oc = bantopCount(ours.out);
    row(name, `bantop regex ${f.label}`, ours, LINES, `(${oc?.[3]} matched)`);
    if (f.compare && HAVE_F2B) {
      const theirs = measure('fail2ban-regex', ['--print-no-missed', '--print-no-ignored', log, f.filter]);
      const tc = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(theirs.out);
      row(name, `fail2ban-regex ${f.filter} (Debian)`, theirs, LINES, `(${tc?.[3]} matched)`);
      checks.push({ name: `${name}: ${f.filter}`, ours: oc?.slice(1).join('/'), theirs: tc?.slice(1).join('/'), ratio: theirs.secs / ours.secs });
    }
  }
}

const started = new Date();
if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
const debian = HAVE_F2B ? [
  { label: 'sshd (Debian filter.d, --config /etc/fail2ban)', filter: 'sshd', config: '/etc/fail2ban', compare: true },
] : [];
await scenario('sshd auth.log', 'sshd', 'Failed password', [
  { label: 'sshd (bantop shipped filter)', filter: 'sshd', config: ASSETS },
  ...debian,
]);
await scenario('nginx access.log', 'nginx-access', '" 404 ', [
  { label: 'nginx-botsearch (bantop shipped filter)', filter: 'nginx-botsearch', config: ASSETS },
  ...(HAVE_F2B ? [{ label: 'nginx-botsearch (Debian filter.d)', filter: 'nginx-botsearch', config: '/etc/fail2ban', compare: true }] : []),
]);

const cpu = cpus()[0]?.model ?? 'unknown';
const md = [];
md.push('# bantop benchmark results', '');
md.push(`Generated by \`npm run bench\` on ${started.toISOString()}.`, '');
md.push(`- Machine: ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`);
md.push(`- Node ${process.version}; fail2ban-regex ${HAVE_F2B ? execFileSync('fail2ban-regex', ['-V'], { encoding: 'utf8' }).trim() : 'not installed'}`);
md.push(`- Inputs: deterministic generated logs of ${LINES.toLocaleString('en-US')} lines (bench/gen-logs.mjs; sshd: ~30% failures, 50,000 addresses, ~8% IPv6)`);
md.push('- bantop, grep and wc: median of 3 runs; fail2ban-regex: one run');
md.push(`- Peak memory: ${GNU_TIME ? 'maximum RSS from GNU time' : 'not measured (GNU time missing)'}`, '');
md.push('## Filter throughput', '');
md.push('| scenario | tool | seconds | lines/s | peak RSS | |', '|---|---|---:|---:|---:|---|');
for (const r of rows) md.push(`| ${r.scenario} | ${r.tool} | ${r.secs.toFixed(2)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${fmtMb(r.rss)} | ${r.note} |`);
md.push('', '## bantop against fail2ban-regex, same file and filter', '');
if (checks.length === 0) md.push('fail2ban is not installed here, so there is no fail2ban baseline in this run.');
else {
  md.push('| filter | counts bantop (lines/ignored/matched/missed) | counts fail2ban-regex | same | bantop speed-up |', '|---|---|---|---|---:|');
  for (const c of checks) md.push(`| ${c.name} | ${c.ours} | ${c.theirs} | ${c.ours === c.theirs ? 'yes' : '**no**'} | ${c.ratio.toFixed(1)}x |`);
}
const grepRow = rows.find((r) => r.tool.startsWith('grep') && r.scenario === 'sshd auth.log');
const oursRow = rows.find((r) => r.tool.startsWith('bantop regex sshd (bantop'));
if (grepRow && oursRow) md.push('', `Against the physical floor: \`grep -c\` reads the sshd log ${(grepRow.rate / oursRow.rate).toFixed(1)}x faster than bantop filters it with its shipped sshd filter.`);
md.push('');
md.push(...(await pipelineBench()));
md.push(...(await enforcementBench()));
md.push(...(await scaleBench()));
md.push(...(await fleetBench()));
md.push(...(await tuiBench({ bin: BIN })));
writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), md.join('\n'));
process.stderr.write(`\nwrote bench/RESULTS.md\n`);
