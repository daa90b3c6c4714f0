import { execFileSync, spawnSync } from 'node:child_process';

/**
 * fail2ban's own server code running a jail's actions, with every command it
 * would execute recorded instead of run: fail2ban reads the config
 * (Configurator, as fail2ban-client does), hands each action's options to a
 * real Jail's CommandAction, and each step (start, ban, unban, teardown) is
 * one call of that action. Only /usr/bin/python3 has Debian's fail2ban.
 */

export type ActionStep =
  | { op: 'start' }
  | { op: 'teardown' }
  | { op: 'ban' | 'unban'; ip: string; time: number; failures: number; bantime: number; bancount: number; matches: string[]; restored?: boolean;
    /** The filter's captures (`user` is `<F-USER>`). */
    data?: Record<string, string> };

export interface ActionRun {
  host: { fq: string; short: string };
  /** Action name → for each step, the commands run: each the script and its positional parameters. */
  actions: Record<string, string[][][]>;
  /** Actions fail2ban's reader or server refused, with why. */
  failed: Record<string, string>;
}

const HARNESS = String.raw`
import json, sys
from fail2ban.client.configurator import Configurator
from fail2ban.server.action import CommandAction
from fail2ban.server.actions import Actions
from fail2ban.server.ticket import BanTicket
from fail2ban.server.ipdns import DNSUtils
from fail2ban.server.jail import Jail
from fail2ban.server.mytime import MyTime
req = json.load(sys.stdin)
c = Configurator()
c.setBaseDir(req['dir'])
c.readAll()
c.getOptions(None)
c.convertToProtocol()
jail = Jail(req['jail'], backend='polling')
MyTime.setTime(req['now'])
actions, order = {}, []
for cmd in c.getConfigStream():
    if cmd[:3] == ['set', req['jail'], 'addaction']:
        jail.actions.add(cmd[3]); actions[cmd[3]] = jail.actions[cmd[3]]; order.append(cmd[3])
    elif cmd[:3] == ['multi-set', req['jail'], 'action']:
        for k, v in cmd[4]: setattr(actions[cmd[3]], k, v)
    elif cmd[:3] == ['set', req['jail'], 'action']:
        setattr(actions[cmd[3]], cmd[4], cmd[5])
log = []
def execute(realCmd, timeout=60, **kw):
    if realCmd: log.append(realCmd if isinstance(realCmd, list) else [realCmd])
    return True
CommandAction.executeCmd = staticmethod(execute)
out = {'host': {'fq': DNSUtils.getHostname(fqdn=True), 'short': DNSUtils.getHostname(fqdn=False)}, 'actions': {}, 'failed': {}}
def ticket(s):
    t = BanTicket(s['ip'], float(s['time']))
    t.setAttempt(s['failures']); t.setBanTime(s['bantime']); t.setBanCount(s['bancount'])
    t.setMatches(s['matches']); t.restored = s.get('restored', False)
    for k, v in s.get('data', {}).items(): t.setData(k, v)
    return Actions.ActionInfo(t, jail)
for name in order:
    a = actions[name]
    steps, held = [], {}
    try:
        for s in req['steps']:
            del log[:]
            op = s['op']
            if op == 'ban':
                if not (s.get('restored') and getattr(a, 'norestored', False)): a.ban(ticket(s))
                held[s['ip']] = s
            elif op == 'unban':
                a.unban(ticket(s)); held.pop(s['ip'], None)
            elif op == 'teardown':
                # Actions.__flushBan on stop: actionflush where there is one, else actionunban for each ban; then actionstop.
                if not (a.actionflush and a.flush()):
                    for s2 in held.values(): a.unban(ticket(s2))
                a.stop()
            else:
                a.start()
            steps.append(list(log))
        out['actions'][name] = steps
    except Exception as e:
        out['failed'][name] = repr(e)
print(json.dumps(out))
`;

/** Why fail2ban's action code cannot be run here; null when it can. */
export const fail2banActionsSkip = spawnSync('/usr/bin/python3', ['-c', 'import fail2ban.server.jail, fail2ban.client.configurator'], { stdio: 'ignore' }).status === 0
  ? null : "fail2ban's Python package is not installed for /usr/bin/python3: apt-get install fail2ban";

/** Run `steps` on every action of `jail` in the config at `dir`, with fail2ban's clock at `now` (epoch seconds). */
export function fail2banActions(dir: string, jail: string, now: number, steps: ActionStep[]): ActionRun {
  const text = execFileSync('/usr/bin/python3', ['-c', HARNESS], { input: JSON.stringify({ dir, jail, now, steps }), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return JSON.parse(text) as ActionRun;
}
