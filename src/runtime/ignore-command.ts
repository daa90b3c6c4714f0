import { familyOf, fillTicketTags } from '../firewall/action-tags.js';
import { run } from '../proc/run.js';
import { localHostNames } from '../util/host-addresses.js';

/**
 * A jail's ignorecommand, run for one failure as fail2ban runs it: `<ip>`,
 * `<F-USER>` and the other ticket tags filled in (a value the shell would read
 * as a positional parameter), exit 0 "ignore", 1 "count it"; any other status
 * or a timeout is an error, and the failure counts.
 */
export async function runIgnoreCommand(command: string, ip: string, failure: { line: string; fields: Record<string, string>; now: number },
  note?: (msg: string) => void): Promise<boolean> {
  // A flood of new addresses must not fork a shell for each at once: at most a few run, the rest wait their turn
  // (fail2ban runs one at a time, in its filter thread).
  await turn();
  try {
    return await runOne(command, ip, failure, note);
  } finally {
    const next = waiting.shift();
    if (next !== undefined) next();
    else running--;
  }
}

/** Commands that may run at once. */
const MAX_RUNNING = 4;
let running = 0;
const waiting: Array<() => void> = [];

function turn(): Promise<void> {
  if (running < MAX_RUNNING) {
    running++;
    return Promise.resolve();
  }
  // The finishing command hands its place on: `running` stays as it is.
  return new Promise((res) => waiting.push(res));
}

async function runOne(command: string, ip: string, failure: { line: string; fields: Record<string, string>; now: number }, note?: (msg: string) => void): Promise<boolean> {
  const c = fillTicketTags(command, { ip, failures: 1, time: failure.now, bantime: 0, bancount: 0, matches: [failure.line], restored: false, data: failure.fields },
    { family: familyOf(ip), now: failure.now, bantime: 0, host: localHostNames() });
  const r = await run('/bin/sh', ['-c', c.script, ...c.args], { timeoutMs: 60_000 });
  if (r.exitCode === 0 && r.ok) return true;
  if (r.exitCode !== 1) note?.(`ignorecommand for ${ip} failed (${r.stderr.trim() || `exit ${r.exitCode}`}); the failure counts`);
  return false;
}
