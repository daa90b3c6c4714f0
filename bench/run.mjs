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
// The command as installed (package.json's bin): what an operator types, and what is timed against fail2ban-regex.
const CMD = join(ROOT, 'bin', 'bantop');
const BARE = join(ROOT, 'bench', 'bare-loop.mjs');
const SSHD_BARE = String.raw`Failed password for (?:invalid user )?(\S+) from (\S+)`;
const ASSETS = join(ROOT, 'assets', 'config');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const HAVE_F2B = existsSync('/usr/bin/fail2ban-regex') && existsSync('/etc/fail2ban/filter.d');
const GNU_TIME = existsSync('/usr/bin/time');
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };

mkdirSync(DATA, { recursive: true });

/** Run a command, return wall seconds, peak RSS (KB, when GNU time is there) and stdout. */
function measure(cmd, args, { input, env: e = env } = {}) {
  const full = GNU_TIME ? ['/usr/bin/time', ['-f', '%M', cmd, ...args]] : [cmd, args];
  const t = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { env: e, encoding: 'utf8', maxBuffer: 1 << 30, input });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed (${r.status}): ${r.stderr?.slice(-500)}`);
  const rssKb = GNU_TIME ? Number(r.stderr.trim().split('\n').pop()) : null;
  return { secs, rssKb, out: r.stdout };
}

/** Machines are noisy: the fast tools run three times and the median run counts. */
function median3(cmd, args) {
  const runs = [measure(cmd, args), measure(cmd, args), measure(cmd, args)];
  const sorted = [...runs].sort((a, b) => a.secs - b.secs);
  return { ...sorted[1], runs };
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
/** The counts that open `bantop regex --json`'s output, in bantopCount's order. */
const jsonCount = (out) => {
  const m = /^\{"lines":(\d+),"matched":(\d+),"ignored":(\d+),"missed":(\d+),/.exec(out);
  return m && [m[0], m[1], m[3], m[2], m[4]];
};

async function scenario(name, kind, grepPattern, bareRegex, filters) {
  const log = await ensure(kind);
  const size = statSync(log).size;
  process.stderr.write(`\n== ${name}: ${log} (${(size / 1e6).toFixed(0)} MB)\n`);
  row(name, 'wc -l', median3('wc', ['-l', log]), LINES);
  const g = median3('grep', ['-c', grepPattern, log]);
  row(name, `grep -c '${grepPattern}'`, g, LINES, `(${g.out.trim()} lines)`);
  if (bareRegex) {
    const b = median3(process.execPath, [BARE, log, bareRegex]);
    row(name, `node: readline + one regex`, b, LINES, `(${/, (\d+) matched/.exec(b.out)?.[1]} lines)`);
  }
  for (const f of filters) {
    const cfgArgs = f.config ? ['--config', f.config] : [];
    const ours = median3(CMD, [...cfgArgs, 'regex', ...(f.json ? ['--json'] : []), log, f.filter]);
    const oc = f.json ? jsonCount(ours.out) : bantopCount(ours.out);
    row(name, `bantop regex ${f.label}`, ours, LINES, `(${oc?.[3]} matched)`);
    if (f.compare && HAVE_F2B) {
      const theirs = measure('fail2ban-regex', ['--print-no-missed', '--print-no-ignored', log, f.filter]);
      const tc = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(theirs.out);
      row(name, `fail2ban-regex ${f.filter} (Debian)`, theirs, LINES, `(${tc?.[3]} matched)`);
      // fail2ban-regex runs for half a minute, bantop for one second: bantop's three runs just before it may
      // fall in a fast or a slow minute of this machine. Three more right after it, and the ratio is taken
      // against the median of all six, the minutes around the fail2ban-regex run.
      const after = [0, 1, 2].map(() => measure(CMD, [...cfgArgs, 'regex', log, f.filter]));
      const around = [...ours.runs, ...after].map((m) => m.secs).sort((a, b) => a - b);
      const mid = (around[2] + around[3]) / 2;
      checks.push({ name: `${name}: ${f.filter}`, ours: oc?.slice(1).join('/'), theirs: tc?.slice(1).join('/'), ratio: theirs.secs / mid, around, theirsSecs: theirs.secs });
    }
  }
}

/**
 * The issue's target, 1,000,000 lines/s with Debian's sshd.conf, stands
 * beside its figure for the bare loop on the same machine, 2,000,000: half
 * the bare loop's rate. This machine's speed changes from minute to minute
 * (the same run can take 1.5x as long a minute later), so the two run in
 * turns, in alternating order, and each round gives one ratio.
 */
async function sameMinutes() {
  const log = await ensure('sshd');
  const ours = [CMD, ['--config', '/etc/fail2ban', 'regex', log, 'sshd']];
  // Started as the bantop command starts Node for regex (bin/bantop): without NODE_EXTRA_CA_CERTS.
  const bareEnv = { ...env };
  delete bareEnv.NODE_EXTRA_CA_CERTS;
  const bare = [process.execPath, [BARE, log, SSHD_BARE], { env: bareEnv }];
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const order = r % 2 ? [ours, bare] : [bare, ours];
    const [a, b] = order.map(([cmd, args, opts]) => measure(cmd, args, opts).secs);
    const [o, n] = r % 2 ? [a, b] : [b, a];
    rounds.push({ ours: o, bare: n, ratio: n / o });
  }
  const by = (k) => [...rounds].sort((x, y) => x[k] - y[k]);
  const mid = (k) => by(k)[3][k];
  const rate = (s) => Math.round(LINES / s).toLocaleString('en-US');
  process.stderr.write(`same minutes: ${rounds.map((r) => `${r.ours.toFixed(2)}/${r.bare.toFixed(2)}`).join(' ')}\n`);
  return [
    '', '## Against the bare Node loop, same minutes', '',
    `The issue puts bantop's target (1,000,000 lines/s with Debian's sshd.conf) beside a bare Node loop with one regex (about 2,000,000 lines/s on its machine): half the bare loop's rate. Here both ran in turns on the sshd log, 7 rounds, the order alternating; each round gives the ratio of bantop's rate to the loop's. The loop's Node starts without NODE_EXTRA_CA_CERTS, as the bantop command starts it (next section).`, '',
    '| | median | best | worst |', '|---|---:|---:|---:|',
    `| bantop regex, Debian sshd.conf (lines/s) | ${rate(mid('ours'))} | ${rate(by('ours')[0].ours)} | ${rate(by('ours')[6].ours)} |`,
    `| bare loop: readline + one regex (lines/s) | ${rate(mid('bare'))} | ${rate(by('bare')[0].bare)} | ${rate(by('bare')[6].bare)} |`,
    `| bantop / bare loop, per round | ${mid('ratio').toFixed(2)} | ${by('ratio')[6].ratio.toFixed(2)} | ${by('ratio')[0].ratio.toFixed(2)} |`,
    '', `The target's ratio is 0.50. The bare loop does no date, prefregex, session or host work and runs one pattern, where Debian's sshd.conf has a prefregex and a failregex for each kind of sshd failure.`,
  ];
}

/**
 * Node 20 reads the file NODE_EXTRA_CA_CERTS names, and its own CA store,
 * when it starts, before any JavaScript runs (a TLS-free command pays for it
 * too). The bantop command (bin/bantop) starts Node without it for every
 * command but the daemon and the TUI; where this machine sets it, the command
 * and Node started on the entry directly, with the variable, run in turns.
 */
async function extraCaCerts() {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file || !HAVE_F2B) return [];
  const log = await ensure('sshd');
  const args = ['--config', '/etc/fail2ban', 'regex', log, 'sshd'];
  const without = { ...env };
  delete without.NODE_EXTRA_CA_CERTS;
  const runs = { cmd: [], node: [], startWith: [], startWithout: [] };
  for (let r = 0; r < 7; r++) {
    const order = r % 2 ? ['node', 'cmd'] : ['cmd', 'node'];
    for (const k of order) {
      runs[k].push(k === 'cmd' ? measure(CMD, args).secs : measure(process.execPath, [BIN, ...args]).secs);
      runs[k === 'node' ? 'startWith' : 'startWithout'].push(measure(process.execPath, ['-e', '0'], { env: k === 'node' ? env : without }).secs);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[3];
  const rate = (s) => Math.round(LINES / s).toLocaleString('en-US');
  process.stderr.write(`NODE_EXTRA_CA_CERTS: bantop ${runs.cmd.map((x) => x.toFixed(2))} node main.js ${runs.node.map((x) => x.toFixed(2))}\n`);
  return [
    '', '## This machine\'s NODE_EXTRA_CA_CERTS', '',
    `This machine sets NODE_EXTRA_CA_CERTS=${file} for every process. Node 20 reads that file and its own CA store when it starts, before any JavaScript runs, TLS or not. The \`bantop\` command (\`bin/bantop\`, a shell script) starts Node without it for every command but the daemon and the TUI, the two that can open TLS (to a rediss:// fleet server). Here \`bantop --config /etc/fail2ban regex\` on the sshd log ran 7 times as the command, and 7 times as \`node dist/cli/main.js\` with the variable, in turns, each followed by a bare \`node -e 0\` with the same environment:`, '',
    '| | the bantop command (as above) | node dist/cli/main.js, with the variable |', '|---|---:|---:|',
    `| bantop regex, median (lines/s) | ${med(runs.cmd).toFixed(2)} s (${rate(med(runs.cmd))}) | ${med(runs.node).toFixed(2)} s (${rate(med(runs.node))}) |`,
    `| node -e 0, median | ${(med(runs.startWithout) * 1000).toFixed(0)} ms | ${(med(runs.startWith) * 1000).toFixed(0)} ms |`,
  ];
}

const started = new Date();
if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
const debian = HAVE_F2B ? [
  { label: 'sshd (Debian filter.d, --config /etc/fail2ban)', filter: 'sshd', config: '/etc/fail2ban', compare: true },
] : [];
await scenario('sshd auth.log', 'sshd', 'Failed password', SSHD_BARE, [
  { label: 'sshd (bantop shipped filter)', filter: 'sshd', config: ASSETS },
  ...debian,
  // Every match printed as JSON (329,071 of them): the matches wait in memory until the counts are known.
  { label: 'sshd --json (bantop shipped filter)', filter: 'sshd', config: ASSETS, json: true },
]);
await scenario('nginx access.log', 'nginx-access', '" 404 ', null, [
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
md.push('- bantop, grep and wc: median of 3 runs; fail2ban-regex: one run, its speed-up against the median of six bantop runs around it');
md.push(`- Peak memory: ${GNU_TIME ? 'maximum RSS from GNU time' : 'not measured (GNU time missing)'}`, '');
md.push('## Filter throughput', '');
md.push('| scenario | tool | seconds | lines/s | peak RSS | |', '|---|---|---:|---:|---:|---|');
for (const r of rows) md.push(`| ${r.scenario} | ${r.tool} | ${r.secs.toFixed(2)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${fmtMb(r.rss)} | ${r.note} |`);
md.push('', '## bantop against fail2ban-regex, same file and filter', '');
if (checks.length === 0) md.push('fail2ban is not installed here, so there is no fail2ban baseline in this run.');
else {
  md.push('| filter | counts bantop (lines/ignored/matched/missed) | counts fail2ban-regex | same | bantop speed-up |', '|---|---|---|---|---:|');
  for (const c of checks) md.push(`| ${c.name} | ${c.ours} | ${c.theirs} | ${c.ours === c.theirs ? 'yes' : '**no**'} | ${c.ratio.toFixed(1)}x |`);
  md.push('', `The speed-up is fail2ban-regex's time over the median of six bantop runs: the three of the table above, just before fail2ban-regex, and three right after it. ${checks.map((c) => `${c.name}: fail2ban-regex ${c.theirsSecs.toFixed(2)} s; bantop ${c.around.map((x) => x.toFixed(2)).join(', ')} s`).join('; ')}.`);
}
md.push(...(HAVE_F2B ? await sameMinutes() : []));
const grepRow = rows.find((r) => r.tool.startsWith('grep') && r.scenario === 'sshd auth.log');
const oursRow = rows.find((r) => r.tool.startsWith('bantop regex sshd (bantop'));
if (grepRow && oursRow) md.push('', `Against the physical floor: \`grep -c\` reads the sshd log ${(grepRow.rate / oursRow.rate).toFixed(1)}x faster than bantop filters it with its shipped sshd filter.`);
md.push(...(await extraCaCerts()));
md.push('');
md.push(...(await pipelineBench()));
md.push(...(await enforcementBench()));
md.push(...(await scaleBench()));
md.push(...(await fleetBench()));
md.push(...(await tuiBench({ bin: BIN })));
writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), md.join('\n'));
process.stderr.write(`\nwrote bench/RESULTS.md\n`);
