import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { BanView, ServiceEvent } from '../../src/daemon/service.js';
import { App } from '../../src/tui/app.js';
import type { Status, TuiSource } from '../../src/tui/source.js';
import { UserError } from '../../src/util/errors.js';

/**
 * A stand-in engine API for the component alone: it keeps bans in memory and
 * sends ban/unban events like the service does. The real service and daemon
 * behind the same interface are tested end to end in tui-e2e.
 */
const failureLines = (ip: string, port: number, n: number) =>
  Array.from({ length: n }, (_, i) => `Nov 20 08:00:0${i % 10} web1 sshd[42]: Failed password for root from ${ip} port ${port + i} ssh2`);

function fakeSource(initial: BanView[], opts: { refuse?: string } = {}) {
  const bans = new Map(initial.map((b) => [`${b.jail} ${b.ip}`, b]));
  const listeners = new Set<(e: ServiceEvent) => void>();
  const calls: string[] = [];
  const emit = (e: ServiceEvent) => { for (const l of listeners) l(e); };
  const status = () => ({
    host: 'test', pid: 1, startedAt: 0, uptime: 61, configDir: '/x', firewall: 'dry-run', backends: ['dry-run'],
    totals: { bans: bans.size, permanentBans: 0, failuresLastMinute: 7, whitelist: 0 },
    operators: [{ ip: '198.51.100.7', label: 'x' }], banlog: '', blocklist: '', reports: {}, firewallErrors: 0, lastFirewallError: null, warnings: [],
    jails: ['sshd', 'nginx'].map((name) => ({
      name, passive: false, maxretry: 5, findtime: 600, failuresInWindow: 3, trackedAddresses: 1, currentBans: [...bans.values()].filter((b) => b.jail === name).length,
      permanentBans: 0, totalBans: 0, offences: new Array(60).fill(1), filter: { lines: 10, matched: 5, ignored: 1, missed: 4, truncated: 0, binary: 0, invalidAddress: 0 },
    })),
  }) as unknown as Status;
  const source: TuiSource = {
    mode: 'embedded', where: 'test',
    status: async () => status(),
    list: async () => [...bans.values()],
    history: async (ip) => [
      { time: Date.UTC(2026, 10, 20, 8, 0, 0), ip, jail: 'sshd', event: 'ban', bantime: 600, failures: 5, source: 'filter', reason: null, lines: failureLines(ip, 1000, 5) },
      { time: Date.UTC(2026, 10, 20, 8, 10, 0), ip, jail: 'sshd', event: 'unban', bantime: null, failures: null, source: null, reason: 'expired', lines: null },
      { time: Date.UTC(2026, 10, 21, 9, 0, 0), ip, jail: 'sshd', event: 'ban', bantime: 3600, failures: 20, source: 'filter', reason: null, lines: failureLines(ip, 2000, 20) },
    ],
    whitelist: async () => [{ entry: '203.0.113.0/28', addedAt: 0, comment: null }],
    ban: async (ip, seconds) => {
      calls.push(`ban ${ip} ${seconds}`);
      if (opts.refuse) throw new UserError(opts.refuse, { hint: 'use --force to override' });
      const b: BanView = { ip, jail: 'manual', bannedAt: Date.now(), expiresAt: seconds === -1 ? null : Date.now() + (seconds ?? 3600) * 1000, permanent: seconds === -1, failures: 0, banCount: 0, source: 'manual' };
      bans.set(`manual ${ip}`, b);
      emit({ type: 'ban', ip, jail: 'manual', time: b.bannedAt, expiresAt: b.expiresAt, failures: 0, banCount: 0, source: 'manual' } as unknown as ServiceEvent);
      return b;
    },
    unban: async (ip, jail) => {
      calls.push(`unban ${ip} ${jail ?? '*'}`);
      const held = [...bans.values()].filter((b) => b.ip === ip && (jail === undefined || b.jail === jail));
      for (const b of held) {
        bans.delete(`${b.jail} ${ip}`);
        emit({ type: 'unban', ip, jail: b.jail } as unknown as ServiceEvent);
      }
      return { ip, jails: held.map((b) => b.jail) };
    },
    unbanAll: async (jail) => {
      calls.push(`unban --all ${jail ?? '*'}`);
      const held = [...bans.values()].filter((b) => jail === undefined || b.jail === jail);
      for (const b of held) {
        bans.delete(`${b.jail} ${b.ip}`);
        emit({ type: 'unban', ip: b.ip, jail: b.jail } as unknown as ServiceEvent);
      }
      return { bans: held.length, addresses: new Set(held.map((b) => b.ip)).size, jails: [...new Set(held.map((b) => b.jail))].sort() };
    },
    whitelistAdd: async (ip) => {
      calls.push(`whitelist ${ip}`);
      return { entry: ip, unbanned: [] };
    },
    subscribe: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
    close: async () => {},
  };
  return { source, calls, emit };
}

const ban = (ip: string, jail = 'sshd', o: Partial<BanView> = {}): BanView =>
  ({ ip, jail, bannedAt: Date.now() - 60_000, expiresAt: Date.now() + 600_000, permanent: false, failures: 5, banCount: 1, source: 'filter', ...o });

const KEY = { enter: '\r', esc: '\u001b', tab: '\t', backTab: '\u001b[Z', down: '\u001b[B', up: '\u001b[A', pageDown: '\u001b[6~', backspace: '\u007f' };

type Rendered = ReturnType<typeof render>;
let open: Rendered[] = [];
afterEach(() => {
  for (const r of open) r.unmount();
  open = [];
});

function start(source: TuiSource, readonly = false): Rendered {
  const r = render(<App source={source} readonly={readonly} frameMs={10} />);
  open.push(r);
  return r;
}

/**
 * Resolves with the first frame that passes, checking each new frame as Ink
 * writes it (Ink holds its own reference to write, so the frames are watched,
 * not the call); rejects with the last frame after `ms`.
 */
async function frame(r: Rendered, pass: (f: string) => boolean, ms = 3000): Promise<string> {
  const deadline = Date.now() + ms;
  let seen = -1;
  for (;;) {
    const frames = r.frames;
    if (frames.length !== seen) {
      seen = frames.length;
      const f = r.lastFrame();
      if (f !== undefined && pass(f)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no frame passed within ${ms} ms; the last one:\n${r.lastFrame()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
const has = (r: Rendered, text: string | RegExp) => frame(r, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)));
/** Types each input in turn and waits for the text it should bring up. */
async function steps(r: Rendered, ...pairs: Array<[string, string | RegExp]>): Promise<void> {
  for (const [input, expected] of pairs) {
    r.stdin.write(input);
    await has(r, expected);
  }
}
const statusLine = (f: string) => f.split('\n').at(-2)!.trim();

async function ready(src: TuiSource, readonly = false): Promise<Rendered> {
  const r = start(src, readonly);
  await has(r, 'fail/min 7');
  return r;
}

describe('App (ink-testing-library)', () => {
  it('renders 100,000 bans as one screenful, and the selection moves with j', async () => {
    const bans: BanView[] = [];
    for (let i = 0; i < 100_000; i++) bans.push({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, jail: 'sshd', bannedAt: i, expiresAt: null, permanent: true, failures: 1, banCount: 0, source: 'import' });
    const r = start(fakeSource(bans).source);
    const f = await has(r, 'BANS all jails · 100000 · by since');
    expect(f.split('\n').length).toBeLessThan(24);
    await has(r, /▸10\.1\.134\.159/); // the newest ban, selected
    r.stdin.write('j');
    await has(r, /▸10\.1\.134\.158/);
  });

  it('navigation: j/k, arrows, PgDn, g/G move the selection; Tab and Shift-Tab move the focus between panes', async () => {
    const list = Array.from({ length: 40 }, (_, i) => ban(`203.0.113.${i + 1}`, 'sshd', { bannedAt: 1000 + i }));
    const r = await ready(fakeSource(list).source);
    await has(r, '▸203.0.113.40 ');
    r.stdin.write('jj');
    await has(r, '▸203.0.113.38 ');
    r.stdin.write(KEY.down);
    await has(r, '▸203.0.113.37 ');
    r.stdin.write(KEY.up);
    await has(r, '▸203.0.113.38 ');
    r.stdin.write('G');
    await has(r, '▸203.0.113.1 ');
    r.stdin.write('g');
    await has(r, '▸203.0.113.40 ');
    r.stdin.write(KEY.pageDown);
    await has(r, /▸203\.0\.113\.3\d /);
    expect(await has(r, '■ BANS')).toContain('□ JAILS');
    r.stdin.write(KEY.tab);
    expect(await has(r, '■ LOG')).toContain('□ BANS');
    r.stdin.write(KEY.tab);
    await has(r, '■ JAILS');
    await has(r, /▸sshd /);
    r.stdin.write('j');
    await has(r, /▸nginx /);
    r.stdin.write(KEY.enter); // show nginx's bans only
    await has(r, 'BANS nginx · 0');
    r.stdin.write(KEY.enter);
    await has(r, 'BANS all jails · 40');
    r.stdin.write(KEY.backTab);
    await has(r, '■ LOG');
  });

  it('filter: / narrows the bans by CIDR as it is typed, Enter keeps it, Esc clears it', async () => {
    const r = await ready(fakeSource([ban('203.0.113.9'), ban('203.0.113.77'), ban('198.51.100.4')]).source);
    await has(r, 'BANS all jails · 3');
    r.stdin.write('/');
    await has(r, '/█');
    r.stdin.write('203.0.113.0/26');
    const f = await has(r, 'filter 203.0.113.0/26 · 1');
    expect(f).toContain('203.0.113.9 ');
    expect(f).not.toContain('198.51.100.4');
    r.stdin.write(KEY.backspace);
    r.stdin.write('4');
    await has(r, 'filter 203.0.113.0/24 · 2');
    r.stdin.write(KEY.enter);
    await frame(r, (x) => x.includes('filter 203.0.113.0/24 · 2') && !statusLine(x).includes('█'));
    r.stdin.write(KEY.esc);
    await has(r, 'BANS all jails · 3 · by since');
  });

  it('Esc and a key in one read (a terminal\'s Alt+key, or both in one SSH packet): both count', async () => {
    const r = await ready(fakeSource([ban('203.0.113.9'), ban('198.51.100.4')]).source);
    await steps(r, ['/', '/█'], ['203.0.113.9', 'filter 203.0.113.9 · 1']);
    r.stdin.write(KEY.enter);
    await frame(r, (x) => x.includes('filter 203.0.113.9 · 1') && !statusLine(x).includes('█'));
    r.stdin.write(`${KEY.esc}b`);
    const f = await has(r, 'ban IP [DURATION]: █');
    expect(f).toContain('BANS all jails · 2 · by since');
  });

  it('detail: Enter shows the jails that hold the address, whether it is whitelisted, and its history; Esc goes back', async () => {
    const r = await ready(fakeSource([ban('203.0.113.9', 'sshd'), ban('203.0.113.9', 'nginx', { bannedAt: Date.now() - 120_000 })]).source);
    await has(r, 'sshd,nginx');
    r.stdin.write(KEY.enter);
    const f = await has(r, '2026-11-20 08:00:00 ban [sshd] 10m, 5 failures, filter');
    expect(f).toContain('■ 203.0.113.9');
    expect(f).toMatch(/held by: sshd \(in \d+m[\ds]*, filter\), nginx \(in \d+m/);
    expect(f).toContain('whitelisted: yes'); // 203.0.113.0/28 covers it
    expect(f).toContain('P permaban  u unban  w whitelist  Esc back');
    // Every ban with the log lines behind it, scrolled: 3 + (1 + 5) + 1 + (1 + 20) + 1 lines, 18 in view.
    expect(f).toContain('■ 203.0.113.9 · lines 1-18 of 32');
    expect(f).toContain('sshd[42]: Failed password for root from 203.0.113.9 port 1004 ssh2');
    expect(f).not.toContain('port 2019');
    r.stdin.write('G');
    const end = await has(r, 'lines 15-32 of 32');
    expect(end).toContain('port 2019 ssh2');
    expect(end).toContain('failures seen on this screen: 0');
    expect(end).not.toContain('port 1004');
    r.stdin.write('k');
    await has(r, 'lines 14-31 of 32');
    r.stdin.write('g');
    await has(r, 'lines 1-18 of 32');
    r.stdin.write(KEY.esc);
    await has(r, '■ BANS');
  });

  it('permaban: P names what happens, n cancels, y bans permanently and the new ban appears', async () => {
    const { source, calls } = fakeSource([ban('203.0.113.9')]);
    const r = await ready(source);
    r.stdin.write('P');
    await has(r, '[y/N] Permaban 203.0.113.9 (permanent list, all ports)?');
    r.stdin.write('n');
    expect(statusLine(await has(r, 'cancelled'))).toBe('cancelled');
    expect(calls).toEqual([]);
    r.stdin.write('P');
    await has(r, '[y/N] Permaban');
    r.stdin.write('y');
    await has(r, 'banned 203.0.113.9 permanently');
    expect(calls).toEqual(['ban 203.0.113.9 -1']);
    expect(await has(r, 'sshd,manual')).toMatch(/203\.0\.113\.9\s+sshd,manual\s+\S+\s+permanent/);
  });

  it('unban: u asks, Esc cancels, j unbans in the one jail that holds it, e everywhere', async () => {
    const { source, calls } = fakeSource([ban('203.0.113.9'), ban('203.0.113.10', 'sshd', { bannedAt: 0 }), ban('203.0.113.10', 'nginx', { bannedAt: 0 })]);
    const r = await ready(source);
    r.stdin.write('u');
    await has(r, 'Unban 203.0.113.9 (held by sshd): j = sshd only, e = everywhere, Esc = cancel');
    r.stdin.write(KEY.esc);
    await has(r, 'cancelled');
    r.stdin.write('uj');
    await has(r, 'unbanned 203.0.113.9 in sshd');
    await has(r, 'BANS all jails · 1');
    r.stdin.write('u');
    await has(r, 'held by sshd, nginx): j = this jail only');
    r.stdin.write('e');
    await has(r, 'unbanned 203.0.113.10 everywhere (sshd, nginx)');
    await has(r, 'BANS all jails · 0');
    expect(calls).toEqual(['unban 203.0.113.9 sshd', 'unban 203.0.113.10 *']);
  });

  it(':unban all [JAIL]: asks to type "all", then lifts that jail\'s bans, or every ban', async () => {
    const { source, calls } = fakeSource([ban('203.0.113.9'), ban('203.0.113.10', 'sshd', { bannedAt: 0 }), ban('203.0.113.10', 'nginx', { bannedAt: 0 })]);
    const r = await ready(source);
    await steps(r, [`:unban all nginx${KEY.enter}`, 'Unban every ban of nginx? Type all:'], [`all${KEY.enter}`, 'unbanned 1 address(es), 1 ban(s) in nginx'],
      ['', 'BANS all jails · 2'], [`:unban all${KEY.enter}`, 'Unban every ban, the permanent list included, everywhere? Type all:'],
      [`all${KEY.enter}`, 'unbanned 2 address(es), 2 ban(s) in sshd; their old log lines will never count again'], ['', 'BANS all jails · 0']);
    expect(calls).toEqual(['unban --all nginx', 'unban --all *']);
  });

  it('whitelist: w asks, any other key cancels, y whitelists', async () => {
    const { source, calls } = fakeSource([ban('203.0.113.9')]);
    const r = await ready(source);
    await steps(r, ['w', '[y/N] Whitelist 203.0.113.9 and unban it everywhere?'], ['x', 'cancelled'], ['wy', 'whitelisted 203.0.113.9']);
    expect(calls).toEqual(['whitelist 203.0.113.9']);
  });

  it('a network is confirmed only by typing it; b bans an address typed with a duration', async () => {
    const { source, calls } = fakeSource([]);
    const r = await ready(source);
    await steps(r,
      [':permaban 198.18.0.0/16\r', 'Permaban 198.18.0.0/16 (permanent list, all ports)? Type 198.18.0.0/16: █'],
      ['y\r', 'cancelled: "y" is not 198.18.0.0/16'],
      [':permaban 198.18.0.0/16\r198.18.0.0/16\r', 'banned 198.18.0.0/16 permanently'],
      ['b', 'ban IP [DURATION]: █'],
      ['203.0.113.50 2h\r', '[y/N] Ban 203.0.113.50 on all ports for 2h?'],
      ['y', 'banned 203.0.113.50 in manual for 2h']);
    expect(calls).toEqual(['ban 198.18.0.0/16 -1', 'ban 203.0.113.50 7200']);
  });

  it('an error from the engine shows in the status line with its hint', async () => {
    const { source } = fakeSource([ban('198.51.100.7')], { refuse: 'refusing to ban 198.51.100.7: it is your own SSH session (operator)' });
    const r = await ready(source);
    r.stdin.write('Py');
    const f = await has(r, 'error: refusing to ban 198.51.100.7');
    expect(statusLine(f)).toMatch(/^error: refusing to ban 198\.51\.100\.7: it is your own SSH session \(operator\) \(use --force/);
  });

  it('--readonly: every action is refused with a message, the footer says so, navigation still works', async () => {
    const { source, calls } = fakeSource([ban('203.0.113.9'), ban('203.0.113.10', 'sshd', { bannedAt: 0 })]);
    const r = await ready(source, true);
    await has(r, '(read-only)');
    for (const k of ['P', 'u', 'w', 'b', ':unban 203.0.113.9\r']) {
      r.stdin.write('s'); // a message of its own in between, so each refusal is seen anew
      await frame(r, (f) => statusLine(f).startsWith('bans sorted by'));
      r.stdin.write(k);
      await frame(r, (f) => statusLine(f) === 'read-only: actions are disabled (--readonly)');
    }
    expect(calls).toEqual([]);
    r.stdin.write('j');
    await has(r, '▸203.0.113.10 ');
  });

  it('help: ? lists every key, Esc closes it', async () => {
    const r = await ready(fakeSource([]).source);
    r.stdin.write('?');
    const f = await has(r, 'Keys');
    for (const k of ['j/k', 'g/G', 'PgUp/PgDn', 'Tab/S-Tab', 'Enter', 'Esc', '/', 's ', 'P ', 'u ', 'w ', 'b ', ':', 'Space', '?', 'q ']) expect(f).toContain(`  ${k}`);
    expect(f).toContain('Esc or ? to close');
    r.stdin.write(KEY.esc);
    await has(r, '■ BANS');
  });

  it('Space pauses the tail while the engine goes on: lines read meanwhile are not shown, the header says PAUSED', async () => {
    const { source, emit } = fakeSource([]);
    const r = await ready(source);
    emit({ type: 'line', jail: 'sshd', time: Date.now(), line: 'first line from sshd' } as unknown as ServiceEvent);
    await has(r, 'first line from sshd');
    r.stdin.write(' ');
    await has(r, '│ PAUSED');
    emit({ type: 'line', jail: 'sshd', time: Date.now(), line: 'second line from sshd' } as unknown as ServiceEvent);
    emit({ type: 'ban', ip: '203.0.113.99', jail: 'sshd', time: Date.now(), expiresAt: null, failures: 5, banCount: 0, source: 'filter' } as unknown as ServiceEvent);
    const f = await has(r, '203.0.113.99'); // bans still arrive
    expect(f).not.toContain('second line');
    r.stdin.write(' ');
    await has(r, 'tail resumed');
  });
});
