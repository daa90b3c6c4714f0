import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { BanView, ServiceEvent } from '../../src/daemon/service.js';
import { App } from '../../src/tui/app.js';
import type { Status, TuiSource } from '../../src/tui/source.js';

/** A stand-in engine API for the component alone (the real one is tested end to end in tui-e2e). */
function fakeSource(bans: BanView[]): TuiSource & { calls: string[]; emit: (e: ServiceEvent) => void } {
  const listeners = new Set<(e: ServiceEvent) => void>();
  const calls: string[] = [];
  const status = {
    host: 'test', pid: 1, startedAt: 0, uptime: 61, configDir: '/x', firewall: 'dry-run', backends: ['dry-run'],
    totals: { bans: bans.length, permanentBans: 0, failuresLastMinute: 7, whitelist: 0 },
    operators: [{ ip: '198.51.100.7', label: 'x' }], banlog: '', blocklist: '', reports: {}, firewallErrors: 0, lastFirewallError: null, warnings: [],
    jails: [{ name: 'sshd', passive: false, maxretry: 5, findtime: 600, failuresInWindow: 3, trackedAddresses: 1, currentBans: bans.length, permanentBans: 0, totalBans: bans.length,
      offences: new Array(60).fill(1), filter: { lines: 10, matched: 5, ignored: 1, missed: 4, truncated: 0, binary: 0, invalidAddress: 0 } }],
  } as unknown as Status;
  return {
    mode: 'embedded', where: 'test', calls,
    status: async () => status,
    list: async () => bans,
    history: async () => [],
    whitelist: async () => [],
    ban: async (ip, seconds) => { calls.push(`ban ${ip} ${seconds}`); return { ...bans[0]!, ip, permanent: seconds === -1, expiresAt: null }; },
    unban: async (ip, jail) => { calls.push(`unban ${ip} ${jail ?? '*'}`); return { ip, jails: ['sshd'] }; },
    whitelistAdd: async (ip) => { calls.push(`whitelist ${ip}`); return { entry: ip, unbanned: [] }; },
    subscribe: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
    emit: (e) => { for (const l of listeners) l(e); },
    close: async () => {},
  };
}

const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

describe('App (ink-testing-library)', () => {
  it('renders 100,000 bans as one screenful, and the selection moves with j', async () => {
    const bans: BanView[] = [];
    for (let i = 0; i < 100_000; i++) bans.push({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, jail: 'sshd', bannedAt: i, expiresAt: null, permanent: true, failures: 1, banCount: 0, source: 'import' });
    const src = fakeSource(bans);
    const r = render(<App source={src} frameMs={10} />);
    await tick(300);
    const frame = r.lastFrame()!;
    expect(frame).toContain('BANS all jails · 100000 · by since');
    expect(frame.split('\n').length).toBeLessThan(30);
    expect(frame).toMatch(/▸10\.1\.134\.159/); // the newest ban, selected
    r.stdin.write('j');
    await tick();
    expect(r.lastFrame()).toMatch(/▸10\.1\.134\.158/);
    r.unmount();
  });

  it('P asks first and permabans only after y; --readonly refuses every action', async () => {
    const src = fakeSource([{ ip: '203.0.113.9', jail: 'sshd', bannedAt: 1, expiresAt: null, permanent: false, failures: 5, banCount: 1, source: 'filter' }]);
    const r = render(<App source={src} frameMs={10} />);
    await tick(100);
    r.stdin.write('P');
    await tick();
    expect(r.lastFrame()).toContain('[y/N] Permaban 203.0.113.9 (permanent list, all ports)?');
    expect(src.calls).toEqual([]);
    r.stdin.write('y');
    await tick();
    expect(src.calls).toEqual(['ban 203.0.113.9 -1']);
    expect(r.lastFrame()).toContain('banned 203.0.113.9 permanently');
    r.stdin.write('u');
    await tick();
    r.stdin.write('e');
    await tick();
    expect(src.calls.at(-1)).toBe('unban 203.0.113.9 *');
    r.unmount();

    const ro = fakeSource([{ ip: '203.0.113.9', jail: 'sshd', bannedAt: 1, expiresAt: null, permanent: false, failures: 5, banCount: 1, source: 'filter' }]);
    const r2 = render(<App source={ro} readonly frameMs={10} />);
    await tick(100);
    for (const k of ['P', 'u', 'w', 'b']) {
      r2.stdin.write(k);
      await tick(30);
    }
    expect(ro.calls).toEqual([]);
    expect(r2.lastFrame()).toContain('read-only: actions are disabled');
    r2.unmount();
  });
});
