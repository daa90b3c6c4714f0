import { describe, expect, it } from 'vitest';
import { DryRunBackend } from '../../src/firewall/dry-run.js';
import { Enforcer, type EnforcementPlan } from '../../src/firewall/enforcer.js';
import { PERMANENT, type Target } from '../../src/firewall/types.js';

const all: Target['ports'] = { all: true };

function setup() {
  const fw = new DryRunBackend();
  const sshd: Target = { key: 'sshd', ports: { all: false, ranges: [[22, 22]] }, protocol: 'tcp' };
  const web: Target = { key: 'web', ports: { all: false, ranges: [[80, 80], [443, 443]] }, protocol: 'tcp' };
  const plan: EnforcementPlan = {
    backends: [fw],
    routes: new Map([
      ['sshd', [{ backend: fw, target: sshd, sharedPermanent: true }]],
      ['recidive', [{ backend: fw, target: { key: 'recidive', ports: all, protocol: 'all' }, sharedPermanent: true }]],
      ['web', [{ backend: fw, target: web, sharedPermanent: true }]],
    ]),
    permanentTargets: new Map([[fw, { key: PERMANENT, ports: all, protocol: 'all' }]]),
  };
  return { fw, enforcer: new Enforcer(plan) };
}

const held = (fw: DryRunBackend) => Object.fromEntries([...fw.state].filter(([, s]) => s.size).map(([k, s]) => [k, [...s].sort()]));

describe('Enforcer', () => {
  it('keeps a permanent-list element while any jail holds a permanent ban on the address', async () => {
    const { fw, enforcer } = setup();
    await enforcer.reconcile();
    enforcer.place({ jail: 'sshd', ip: '192.0.2.1', permanent: true });
    enforcer.place({ jail: 'recidive', ip: '192.0.2.1', permanent: true });
    await enforcer.settled();
    expect(held(fw)).toEqual({ [PERMANENT]: ['192.0.2.1'] });
    enforcer.remove('sshd', '192.0.2.1');
    await enforcer.settled();
    expect(held(fw)).toEqual({ [PERMANENT]: ['192.0.2.1'] });
    enforcer.remove('recidive', '192.0.2.1');
    await enforcer.settled();
    expect(held(fw)).toEqual({});
  });

  it('with three jails on one permanent element, it goes only when the last lets go, in any order, and again after re-taking', async () => {
    const { fw, enforcer } = setup();
    await enforcer.reconcile();
    const ip = '192.0.2.7';
    for (const jail of ['sshd', 'recidive', 'web']) enforcer.place({ jail, ip, permanent: true });
    await enforcer.settled();
    for (const jail of ['recidive', 'sshd']) {
      enforcer.remove(jail, ip);
      enforcer.remove(jail, ip); // a second release by the same jail must not count as another jail's
      await enforcer.settled();
      expect(held(fw)).toEqual({ [PERMANENT]: [ip] });
    }
    enforcer.remove('sshd', ip); // not a holder any more
    await enforcer.settled();
    expect(held(fw)).toEqual({ [PERMANENT]: [ip] });
    enforcer.place({ jail: 'sshd', ip, permanent: true });
    enforcer.remove('web', ip);
    await enforcer.settled();
    expect(held(fw)).toEqual({ [PERMANENT]: [ip] });
    enforcer.remove('sshd', ip);
    await enforcer.settled();
    expect(held(fw)).toEqual({});
  });

  it('moves a ban between its jail target and the permanent list when it becomes permanent', async () => {
    const { fw, enforcer } = setup();
    enforcer.place({ jail: 'sshd', ip: '192.0.2.1', permanent: false });
    await enforcer.settled();
    expect(held(fw)).toEqual({ sshd: ['192.0.2.1'] });
    enforcer.place({ jail: 'sshd', ip: '192.0.2.1', permanent: true });
    await enforcer.settled();
    expect(held(fw)).toEqual({ [PERMANENT]: ['192.0.2.1'] });
  });

  it('sends the changes of one turn as one batch, with ban-then-unban cancelled out', async () => {
    const { fw, enforcer } = setup();
    const batches: number[] = [];
    const apply = fw.apply.bind(fw);
    fw.apply = async (c) => { batches.push(c.length); return apply(c); };
    for (let i = 0; i < 1000; i++) enforcer.place({ jail: 'web', ip: `10.0.${i >> 8}.${i & 255}`, permanent: false });
    enforcer.place({ jail: 'sshd', ip: '192.0.2.9', permanent: false });
    enforcer.remove('sshd', '192.0.2.9');
    await enforcer.settled();
    expect(batches).toEqual([1000]);
    expect(fw.state.get('sshd')?.size ?? 0).toBe(0);
  });

  it('reconcile adds what is missing, removes what nobody owns, and a second run changes nothing', async () => {
    const { fw, enforcer } = setup();
    await fw.apply([{ op: 'add', target: 'sshd', ip: '198.51.100.1' }, { op: 'add', target: 'web', ip: '198.51.100.2' }]);
    enforcer.place({ jail: 'web', ip: '198.51.100.2', permanent: false }, { quiet: true });
    enforcer.place({ jail: 'sshd', ip: '198.51.100.3', permanent: false }, { quiet: true });
    expect(await enforcer.reconcile()).toMatchObject({ added: 1, removed: 1 });
    expect(held(fw)).toEqual({ sshd: ['198.51.100.3'], web: ['198.51.100.2'] });
    expect(await enforcer.reconcile()).toMatchObject({ added: 0, removed: 0 });
  });

  it('on stop lifts temporary bans and keeps permanent ones; with flush removes everything', async () => {
    const a = setup();
    a.enforcer.place({ jail: 'sshd', ip: '192.0.2.1', permanent: false });
    a.enforcer.place({ jail: 'sshd', ip: '192.0.2.2', permanent: true });
    await a.enforcer.stop(false, (_j, ip) => ip === '192.0.2.2');
    expect(held(a.fw)).toEqual({ [PERMANENT]: ['192.0.2.2'] });
    const b = setup();
    b.enforcer.place({ jail: 'sshd', ip: '192.0.2.2', permanent: true });
    await b.enforcer.stop(true, () => true);
    expect(held(b.fw)).toEqual({});
  });

  it('counts and reports a failing backend instead of throwing', async () => {
    const { fw, enforcer } = setup();
    fw.apply = async () => ({ ok: false, exitCode: 1, stderr: 'Error: No such file or directory' });
    enforcer.place({ jail: 'sshd', ip: '192.0.2.1', permanent: false });
    await enforcer.settled();
    expect(enforcer.errors).toBe(1);
    expect(enforcer.lastError).toBe('dry-run: Error: No such file or directory');
  });
});
