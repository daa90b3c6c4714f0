// node bench/pair.mjs N 'command A' 'command B'
//
// Interleaved A/B timing of two shell commands, for changes too small for the
// noise of this kind of VM (the same command can take 1.5x as long a minute
// later): N pairs, the order alternating, each pair run back to back so both
// fall in the same minute. Prints each side's median and the median and mean
// (with its standard error) of B - A over the pairs, and how many pairs B won.
// The commit messages' "N interleaved pairs" figures come from here. The build
// before a change is kept as old-dist/ (cp -r dist old-dist before rebuilding;
// it must sit inside the repository to find node_modules; .gitignore has it):
//
//   node bench/pair.mjs 40 \
//     'node old-dist/cli/main.js --config /etc/fail2ban regex bench/data/sshd-1000000.log sshd' \
//     'node dist/cli/main.js --config /etc/fail2ban regex bench/data/sshd-1000000.log sshd'
import { spawnSync } from 'node:child_process';

const [n, a, b] = process.argv.slice(2);
if (!(Number(n) > 0) || !a || !b) {
  process.stderr.write("usage: node bench/pair.mjs N 'command A' 'command B'\n");
  process.exit(2);
}

function timeOf(cmd) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: 'ignore' });
  if (r.status !== 0) {
    process.stderr.write(`failed (${r.status ?? r.signal}): ${cmd}\n`);
    process.exit(1);
  }
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const as = [];
const bs = [];
for (let i = 0; i < Number(n); i++) {
  if (i % 2 === 0) {
    as.push(timeOf(a));
    bs.push(timeOf(b));
  } else {
    bs.push(timeOf(b));
    as.push(timeOf(a));
  }
}
const diffs = bs.map((x, i) => x - as[i]);
const median = (v) => {
  const s = [...v].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (v) => v.reduce((p, q) => p + q, 0) / v.length;
const se = (v) => {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((p, q) => p + (q - m) ** 2, 0) / (v.length - 1) / v.length);
};
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`A median ${ms(median(as))}, B median ${ms(median(bs))}`);
console.log(`B - A over ${diffs.length} pairs: median ${ms(median(diffs))}, mean ${ms(mean(diffs))} +- ${ms(se(diffs))} (standard error); B faster in ${diffs.filter((d) => d < 0).length} of ${diffs.length}`);
