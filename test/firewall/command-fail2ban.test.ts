import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Change } from '../../src/firewall/types.js';
import { commandBackend } from '../../src/firewall/select.js';
import type { Runner } from '../../src/proc/run.js';
import { fail2banActions, fail2banActionsSkip, type ActionRun, type ActionStep } from '../support/fail2ban-actions.js';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { skipNote } from '../support/skip-note.js';

const skip = fail2banSkipReason ?? fail2banActionsSkip;

/** Debian's action.d files that are included by others, not actions of their own. */
const INCLUDES = new Set(['firewallcmd-common', 'helpers-common', 'mail-whois-common', 'sendmail-common', 'iptables-common']);

const NOW = 1_700_000_100;
type Ticket = Omit<Extract<ActionStep, { ip: string }>, 'op'>;
const ban = (ip: string, o: Partial<Ticket> = {}): Ticket => ({
  ip, time: 1_700_000_000.25, failures: 3, bantime: 600, bancount: 1, matches: [] as string[], ...o,
});
/** A jail's life: start, IPv4 and IPv6 bans (one with log lines the shell must not read, one restored), an unban, the stop. */
const STEPS: ActionStep[] = [
  { op: 'start' },
  { op: 'ban', ...ban('192.0.2.1', { matches: ['Failed password for root from 192.0.2.1; touch /tmp/x $(id) `id`', 'second line "quoted"'], data: { user: "root'; id", fid: 'x' } }) },
  { op: 'ban', ...ban('2001:db8::1', { time: 1_700_000_001, failures: 7, bantime: 86400, bancount: 3, matches: ['plain line'] }) },
  { op: 'ban', ...ban('198.51.100.7', { restored: true, bantime: -1 }) },
  { op: 'unban', ...ban('192.0.2.1') },
  { op: 'teardown' },
];

function changeOf(s: Extract<ActionStep, { ip: string }>): Change {
  return {
    op: s.op === 'ban' ? 'add' : 'del', target: 'sshd', ip: s.ip,
    info: { jail: 'sshd', failures: s.failures, time: s.time * 1000, bantime: s.bantime, bancount: s.bancount, matches: s.matches, restored: s.restored ?? false, fields: s.data ?? {} },
  };
}

describe.skipIf(skip !== null)(`every Debian action.d command action runs the commands fail2ban's server runs${skipNote(skip)}`, () => {
  let dir: string;
  let names: string[];
  let theirs: ActionRun;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-f2bact-'));
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    // Every per-ban tag, a capture the shell would read, and a conditional option, which no Debian action has all of.
    writeFileSync(join(dir, 'action.d', 'zz-every-tag.conf'), `[Definition]
actionstart = echo "start <name> <tool> <family> [<ip>]<sp><bantime>"
actionban = echo "<tool> ban <ip> <family> <ip-rev> <fid> <failures> <time> <bantime> <bancount> <restored>"<br>echo "<F-USER> <F-ID> [<F-NONE>] <matches> <ipmatches> <nosuch>"
actionunban = echo "<tool> unban <ip> <family>"
actionstop = echo "stop <tool>"
[Init]
tool = iptables
[Init?family=inet6]
tool = ip6tables
`);
    names = readdirSync(join(dir, 'action.d')).filter((f) => f.endsWith('.conf')).map((f) => f.slice(0, -5)).filter((n) => !INCLUDES.has(n)).sort();
    writeFileSync(join(dir, 'jail.d', 'zz-actions.local'), `[sshd]\nenabled = true\nbackend = polling\nlogpath = ${dir}/x.log\naction = ${names.join('\n         ')}\n`);
    theirs = fail2banActions(dir, 'sshd', NOW, STEPS);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fail2ban runs each of them (the comparison below is not empty)', () => {
    expect(theirs.failed).toEqual({});
    expect(Object.keys(theirs.actions).sort()).toEqual(names);
    expect(names.length).toBeGreaterThan(40);
  });

  it('bantop runs the same commands, with the same parameters, at each step', async () => {
    const cfg = loadConfig(dir);
    const jail = cfg.jails.find((j) => j.name === 'sshd')!;
    const differ: string[] = [];
    for (const ref of jail.actions) {
      const ran: string[][] = [];
      const runner: Runner = {
        run: async (cmd, args) => {
          expect([cmd, args[0]]).toEqual(['/bin/sh', '-c']);
          ran.push(args.slice(1));
          return { ok: true, exitCode: 0, stdout: '', stderr: '' };
        },
      } as Runner;
      const b = commandBackend(cfg, jail, ref, runner, { clock: () => NOW * 1000, host: theirs.host });
      const ours: string[][][] = [];
      for (const s of STEPS) {
        ran.length = 0;
        const r = s.op === 'start' ? await b.setup([]) : s.op === 'teardown' ? await b.teardown() : await b.apply([changeOf(s)]);
        expect(r.ok, `${ref.name} ${s.op}: ${r.stderr}`).toBe(true);
        ours.push([...ran]);
      }
      const want = theirs.actions[ref.name];
      try {
        expect(ours).toEqual(want);
      } catch {
        differ.push(ref.name);
        // The first difference, for the report.
        for (let i = 0; i < STEPS.length; i++) {
          expect(ours[i], `${ref.name}, step ${i} (${STEPS[i]!.op})`).toEqual(want![i]);
        }
      }
    }
    expect(differ).toEqual([]);
  });
});
