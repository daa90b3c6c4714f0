// Rotates a log by copytruncate as fast as it can while writing to it, as a
// separate process, so the tailer under test races a real writer.
// Usage: node copytruncate-writer.mjs LOG ROUNDS [window]
// Each line ends in `#N`; with `window`, some rounds also write a line `#WN`
// between the copy and the truncation, which copytruncate itself may lose.
// Prints how many `#N` lines it wrote.
import { appendFileSync, copyFileSync, truncateSync } from 'node:fs';

const [log, rounds, window] = process.argv.slice(2);
let n = 0;
const line = (tag) => `Dec  6 07:23:35 web1 sshd[4242]: Failed password for root from 10.9.${(n >> 8) & 255}.${n & 255} port 22 ${tag}\n`;
for (let r = 0; r < Number(rounds); r++) {
  let lines = '';
  for (let k = Math.floor(Math.random() * 4); k > 0; k--) lines += line(`#${n++}`);
  if (lines) appendFileSync(log, lines);
  if (Math.random() < 0.5) await new Promise((res) => setImmediate(res));
  if (Math.random() < 0.3) await new Promise((res) => setTimeout(res, 1));
  copyFileSync(log, `${log}.${r}`);
  if (window && Math.random() < 0.3) appendFileSync(log, line(`#W${r}`));
  truncateSync(log, 0);
}
appendFileSync(log, line(`#${n++}`));
process.stdout.write(String(n));
