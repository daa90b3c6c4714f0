import { describe, expect, it } from 'vitest';
import { initialUi, reduce, type Step, type UiState, type ViewInfo } from '../../src/tui/controller.js';
import { key, type Key } from '../../src/tui/keys.js';

const view = (o: Partial<ViewInfo> = {}): ViewInfo => ({
  readonly: false, jails: ['sshd', 'nginx'], banRows: 50, logLines: 100,
  page: { jails: 2, bans: 10, log: 8 },
  detail: { lines: 40, visible: 15 },
  selectedIp: (s) => (s.focus === 'log' ? '198.51.100.77' : `203.0.113.${s.banIdx}`),
  jailsOf: () => ['sshd'],
  ...o,
});

/** Feeds keys through the reducer; a string is typed character by character. */
function press(keys: Array<Key | string>, v = view(), from: UiState = initialUi): Step & { all: Step['effects'] } {
  let step: Step = { state: from, effects: [] };
  const all: Step['effects'] = [];
  for (const k of keys) {
    for (const one of typeof k === 'string' ? [...k].map((c) => key(c)) : [k]) {
      step = reduce(step.state, one, v);
      all.push(...step.effects);
    }
  }
  return { ...step, all };
}

const enter = key('', 'enter');
const esc = key('', 'escape');

describe('TUI controller (the keys, without Ink)', () => {
  it('moves in the focused pane with j/k, arrows, PgUp/PgDn and g/G, clamped to the rows there are', () => {
    expect(press(['jjj']).state.banIdx).toBe(3);
    expect(press(['jjjk', key('', 'down')]).state.banIdx).toBe(3);
    expect(press([key('', 'pageDown'), key('', 'pageDown')]).state.banIdx).toBe(20);
    expect(press(['G']).state.banIdx).toBe(49);
    expect(press(['Gg']).state.banIdx).toBe(0);
    expect(press(['k']).state.banIdx).toBe(0);
    expect(press(['jjj'], view({ banRows: 2 })).state.banIdx).toBe(1);
  });

  it('Tab and Shift-Tab cycle the panes; each pane keeps its own cursor; the log scrolls back from its end', () => {
    expect(press([key('', 'tab')]).state.focus).toBe('log');
    expect(press([key('', 'tab'), key('', 'tab')]).state.focus).toBe('jails');
    expect(press([key('', 'backTab')]).state.focus).toBe('jails');
    const jails = press([key('', 'backTab'), 'j']);
    expect([jails.state.jailIdx, jails.state.banIdx]).toEqual([1, 0]);
    const log = press([key('', 'tab'), 'kkk']);
    expect(log.state.logBack).toBe(3);
    expect(press([key('', 'tab'), 'kkkG']).state.logBack).toBe(0);
    expect(press([key('', 'tab'), 'g']).state.logBack).toBe(92); // 100 lines, 8 visible
  });

  it('Enter on a jail shows only its bans, Enter again shows all; :jail does the same and refuses an unknown jail', () => {
    const one = press([key('', 'backTab'), 'j', enter]);
    expect(one.state.jail).toBe('nginx');
    expect(press([key('', 'backTab'), 'j', enter, enter]).state.jail).toBeNull();
    expect(press([':jail sshd', enter]).state.jail).toBe('sshd');
    expect(press([':jail sshd', enter, ':jail all', enter]).state.jail).toBeNull();
    expect(press([':jail nope', enter]).state.message).toBe('error: unknown jail "nope" (jails: sshd, nginx)');
  });

  it('/ filters as it is typed, Enter keeps it, Esc in the prompt or afterwards clears it', () => {
    const typing = press(['jj/203.0']);
    expect(typing.state.filter).toBe('203.0');
    expect(typing.state.banIdx).toBe(0);
    expect(typing.state.mode).toEqual({ kind: 'input', purpose: 'filter', text: '203.0' });
    const kept = press(['/203.0.113.0/24', enter]);
    expect([kept.state.filter, kept.state.mode.kind]).toEqual(['203.0.113.0/24', 'normal']);
    expect(press(['/abc', key('', 'backspace'), enter]).state.filter).toBe('ab');
    expect(press(['/abc', esc]).state.filter).toBe('');
    expect(press(['/abc', enter, esc]).state.filter).toBe('');
  });

  it('Enter on a ban opens the detail of that address and asks the engine for its history; Esc goes back', () => {
    const d = press(['jj', enter]);
    expect(d.state.mode).toEqual({ kind: 'detail', ip: '203.0.113.2', top: 0 });
    expect(d.effects).toEqual([{ type: 'detail', ip: '203.0.113.2' }]);
    expect(press(['jj', enter, esc]).state.mode.kind).toBe('normal');
    expect(press([enter], view({ selectedIp: () => undefined })).state.message).toBe('no address selected');
    expect(press([key('', 'tab'), enter]).state.mode).toEqual({ kind: 'detail', ip: '198.51.100.77', top: 0 });
  });

  it('the detail scrolls with j/k, PgUp/PgDn and g/G, never past its last screenful, and keeps the address', () => {
    const top = (keys: Array<Key | string>, v = view()) => {
      const m = press([enter, ...keys], v).state.mode;
      return m.kind === 'detail' ? `${m.ip} ${m.top}` : m.kind;
    };
    expect(top(['jjj'])).toBe('203.0.113.0 3');
    expect(top(['jjjk'])).toBe('203.0.113.0 2');
    expect(top([key('', 'pageDown')])).toBe('203.0.113.0 15');
    expect(top(['G'])).toBe('203.0.113.0 25'); // 40 lines, 15 in view
    expect(top(['G', key('', 'pageDown'), 'j'])).toBe('203.0.113.0 25');
    expect(top(['G', 'g'])).toBe('203.0.113.0 0');
    expect(top(['jjj'], view({ detail: { lines: 10, visible: 15 } }))).toBe('203.0.113.0 0'); // it all fits
  });

  it('P asks before a permaban; only y runs it, and any other key cancels', () => {
    const asked = press(['P']);
    expect(asked.state.mode).toMatchObject({ kind: 'confirm', question: 'Permaban 203.0.113.0 (permanent list, all ports)?' });
    expect(asked.all).toEqual([]);
    const yes = press(['Py']);
    expect(yes.all).toEqual([{ type: 'engine', action: { type: 'ban', ip: '203.0.113.0', seconds: -1 } }]);
    expect(yes.state.message).toBe('…');
    const no = press(['Pn']);
    expect(no.all).toEqual([]);
    expect(no.state.message).toBe('cancelled');
    expect(press(['P', esc]).all).toEqual([]);
  });

  it('u asks: j unbans in the jail in view or the one jail holding it, e everywhere, anything else cancels', () => {
    expect(press(['ue']).all).toEqual([{ type: 'engine', action: { type: 'unban', ip: '203.0.113.0' } }]);
    expect(press(['uj']).all).toEqual([{ type: 'engine', action: { type: 'unban', ip: '203.0.113.0', jail: 'sshd' } }]);
    const two = view({ jailsOf: () => ['sshd', 'nginx'] });
    const ambiguous = press(['uj'], two);
    expect(ambiguous.all).toEqual([]);
    expect(ambiguous.state.message).toMatch(/held by sshd, nginx: pick a jail first/);
    expect(press([':jail nginx', enter, 'uj'], two).all).toEqual([{ type: 'engine', action: { type: 'unban', ip: '203.0.113.0', jail: 'nginx' } }]);
    expect(press(['u', esc]).state.message).toBe('cancelled');
  });

  it('w whitelists only after y', () => {
    expect(press(['w']).state.mode).toMatchObject({ kind: 'confirm', question: 'Whitelist 203.0.113.0 and unban it everywhere?' });
    expect(press(['wy']).all).toEqual([{ type: 'engine', action: { type: 'whitelist', ip: '203.0.113.0' } }]);
    expect(press(['wx']).all).toEqual([]);
  });

  it('a network or more than 256 addresses is confirmed only by typing it exactly', () => {
    const v = view({ selectedIp: () => '198.18.0.0/16' });
    const asked = press(['P'], v);
    expect(asked.state.mode).toMatchObject({ kind: 'confirm', mustType: '198.18.0.0/16' });
    expect(press(['Py'], v).all).toEqual([]); // y is just a character typed here
    expect(press(['Py', enter], v).state.message).toBe('cancelled: "y" is not 198.18.0.0/16');
    expect(press(['P198.18.0.0/16', enter], v).all).toEqual([{ type: 'engine', action: { type: 'ban', ip: '198.18.0.0/16', seconds: -1 } }]);
    expect(press(['P198.18.0.0/16', esc], v).all).toEqual([]);
  });

  it('b and :ban take an address and a duration, refuse nonsense, and confirm', () => {
    const b = press(['b203.0.113.50 2h', enter]);
    expect(b.state.mode).toMatchObject({ kind: 'confirm', question: 'Ban 203.0.113.50 on all ports for 2h?' });
    expect(press(['b203.0.113.50 2h', enter, 'y']).all).toEqual([{ type: 'engine', action: { type: 'ban', ip: '203.0.113.50', seconds: 7200 } }]);
    expect(press([':ban 203.0.113.50', enter]).state.mode).toMatchObject({ question: "Ban 203.0.113.50 on all ports for the manual jail's bantime (1h)?" });
    expect(press([':ban 203.0.113.50 -1', enter]).state.mode).toMatchObject({ question: 'Ban 203.0.113.50 on all ports permanently?' });
    expect(press(['bnot-an-ip', enter]).state.message).toBe('error: "not-an-ip" is not an IP address or CIDR');
    // A mistyped prefix is refused, not widened: 203.0.113.0/8 is all of 203/8.
    const wide = 'error: "203.0.113.0/8" has bits set past its prefix: it is the network 203.0.0.0/8 (16,777,216 addresses)';
    for (const keys of [['b203.0.113.0/8 2h', enter], [':ban 203.0.113.0/8', enter], [':permaban 203.0.113.0/8', enter], [':whitelist 203.0.113.0/8', enter]]) {
      const r = press(keys);
      expect(r.state.message, keys.join('')).toBe(wide);
      expect(r.state.mode).toMatchObject({ kind: 'normal' });
    }
    expect(press(['b203.0.0.0/8', enter]).state.mode).toMatchObject({ question: "Ban 203.0.0.0/8 on all ports for the manual jail's bantime (1h)?" });
    expect(press(['b203.0.113.50 soon', enter]).state.message).toMatch(/^error: .*soon/);
    expect(press([':unban 203.0.113.50', enter]).all).toEqual([{ type: 'engine', action: { type: 'unban', ip: '203.0.113.50' } }]);
    expect(press([':frob', enter]).state.message).toMatch(/^unknown command ":frob"/);
  });

  it(':unban all [JAIL] lifts every ban, or every ban of a jail, only when "all" is typed to confirm', () => {
    expect(press([':unban all', enter]).state.mode).toMatchObject({ kind: 'confirm', question: 'Unban every ban, the permanent list included, everywhere?', mustType: 'all' });
    expect(press([':unban all', enter, 'y']).all).toEqual([]);
    expect(press([':unban all', enter, 'all', enter]).all).toEqual([{ type: 'engine', action: { type: 'unbanAll' } }]);
    expect(press([':unban all nginx', enter, 'all', enter]).all).toEqual([{ type: 'engine', action: { type: 'unbanAll', jail: 'nginx' } }]);
    expect(press([':unban all nginx', enter]).state.mode).toMatchObject({ question: 'Unban every ban of nginx?' });
    expect(press([':unban all nginx', enter, 'al', enter]).state.message).toBe('cancelled: "al" is not all');
    expect(press([':unban all nope', enter]).state.message).toBe('error: unknown jail "nope" (jails: sshd, nginx)');
    expect(press([':unban all', enter], view({ readonly: true })).state.message).toBe('read-only: actions are disabled (--readonly)');
  });

  it('--readonly refuses every action with a message, but navigation, filter and detail still work', () => {
    const ro = view({ readonly: true });
    for (const keys of [['P'], ['u'], ['w'], ['b'], [':ban 203.0.113.50', enter], [':permaban 203.0.113.50', enter], [enter, 'P']]) {
      const r = press(keys, ro);
      expect(r.all.filter((e) => e.type === 'engine')).toEqual([]);
      expect(r.state.message).toBe('read-only: actions are disabled (--readonly)');
    }
    expect(press(['jj/203', enter], ro).state).toMatchObject({ banIdx: 0, filter: '203' });
    expect(press([enter], ro).state.mode.kind).toBe('detail');
  });

  it('? opens the help and Esc, ? or q closes it; Space pauses the tail; s cycles the sort; q quits', () => {
    expect(press(['?']).state.mode.kind).toBe('help');
    for (const close of [esc, '?', 'q']) expect(press(['?', close]).state.mode.kind).toBe('normal');
    expect(press(['?', 'q']).all).toEqual([]); // q closes the help, it does not quit
    expect(press([' ']).state).toMatchObject({ paused: true, message: 'tail paused (the engine goes on)' });
    expect(press(['  ']).state).toMatchObject({ paused: false, message: 'tail resumed' });
    expect(press(['ss']).state).toMatchObject({ sort: 'ip', message: 'bans sorted by ip' });
    expect(press([':sort failures', enter]).state.sort).toBe('failures');
    expect(press(['q']).all).toEqual([{ type: 'quit' }]);
    expect(press([':q', enter]).all).toEqual([{ type: 'quit' }]);
  });
});
