import { hostname } from 'node:os';
import { familyOf, fillTicketTags } from '../firewall/action-tags.js';
import { run } from '../proc/run.js';

/**
 * A jail's ignorecommand, run for one failure as fail2ban runs it: `<ip>`,
 * `<F-USER>` and the other ticket tags filled in (a value the shell would read
 * as a positional parameter), exit 0 "ignore", 1 "count it"; any other status
 * or a timeout is an error, and the failure counts.
 */
export async function runIgnoreCommand(command: string, ip: string, failure: { line: string; fields: Record<string, string>; now: number },
  note?: (msg: string) => void): Promise<boolean> {
  const short = hostname();
  const c = fillTicketTags(command, { ip, failures: 1, time: failure.now, bantime: 0, bancount: 0, matches: [failure.line], restored: false, data: failure.fields },
    { family: familyOf(ip), now: failure.now, bantime: 0, host: { fq: short, short: short.split('.')[0]! } });
  const r = await run('/bin/sh', ['-c', c.script, ...c.args], { timeoutMs: 60_000 });
  if (r.exitCode === 0 && r.ok) return true;
  if (r.exitCode !== 1) note?.(`ignorecommand for ${ip} failed (${r.stderr.trim() || `exit ${r.exitCode}`}); the failure counts`);
  return false;
}
