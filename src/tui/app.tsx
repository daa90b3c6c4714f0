import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import type { BanView, ServiceEvent } from '../daemon/service.js';
import type { HistoryEntry } from '../store/sqlite-store.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { canonicalTarget, isNetwork } from '../util/ip.js';
import { Whitelist } from '../engine/whitelist.js';
import { sshOperator } from '../util/ssh-connection.js';
import type { Status, TuiSource } from './source.js';
import {
  BanTable, clock, expiresIn, FailureLines, fit, LogRing, parseCommand, since, SORT_KEYS, sparkline, targetSize,
  type BanRow, type SortKey,
} from './state.js';

type Pane = 'jails' | 'bans' | 'log';
const PANES: Pane[] = ['jails', 'bans', 'log'];

type Mode =
  | { kind: 'normal' }
  | { kind: 'input'; purpose: 'filter' | 'command' | 'ban'; text: string }
  | { kind: 'confirm'; question: string; run: () => Promise<string>; mustType?: string; typed: string }
  | { kind: 'unban'; ip: string; jails: string[] }
  | { kind: 'detail'; ip: string; history: HistoryEntry[] | null; whitelisted: string | null }
  | { kind: 'help' };

interface Ui {
  focus: Pane;
  jailIdx: number;
  banIdx: number;
  /** Lines scrolled back from the end of the tail; 0 follows it. */
  logBack: number;
  jail: string | null;
  filter: string;
  sort: SortKey;
  mode: Mode;
  message: string;
}

export interface AppProps {
  source: TuiSource;
  readonly?: boolean;
  /** Redraw interval, ms: events are gathered and drawn at this rate, never one frame per line. */
  frameMs?: number;
  onExit?: () => void;
}

/** Every key, for `?` and the README. */
export const KEYS: Array<[string, string]> = [
  ['j/k ↑/↓', 'move'], ['g/G', 'top / bottom'], ['PgUp/PgDn', 'page'], ['Tab/S-Tab', 'next / previous pane'],
  ['Enter', 'jails: show that jail\'s bans (again: all); bans, log: detail of the address'], ['Esc', 'back, clear the filter, cancel'],
  ['/', 'filter by IP, CIDR or text'], ['s', 'sort the bans (since, expires, ip, jail, failures)'],
  ['P', 'permaban the selected address'], ['u', 'unban it: in this jail or everywhere'], ['w', 'whitelist it (also unbans)'],
  ['b', 'ban an address you type, with a duration'], [':', 'command: ban IP [DUR], unban IP, permaban IP, whitelist IP, jail NAME|all, sort KEY, q'],
  ['Space', 'pause / resume the log tail (the engine goes on)'], ['?', 'this help'], ['q', 'quit'],
];

const FOOTERS: Record<string, string> = {
  normal: 'jk move Tab pane ⏎ detail / filter P perm u unban w white b ban :cmd ␣ pause ? q',
  readonly: '(read-only) jk move Tab pane ⏎ detail / filter s sort ␣ pause ? help q quit',
  input: 'type, Enter to apply, Esc to cancel',
  confirm: 'y to confirm, any other key cancels',
  confirmType: 'type the target exactly, Enter to confirm, Esc to cancel',
  unban: 'j: this jail only   e: everywhere   Esc: cancel',
  detail: 'P permaban  u unban  w whitelist  Esc back  q quit',
  help: 'Esc or ? to close',
};

export function App({ source, readonly = false, frameMs = 250, onExit }: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const data = useRef({
    bans: new BanTable(), log: new LogRing(2000), failures: new FailureLines(),
    status: null as Status | null, dirty: true, error: '' as string, startedAt: Date.now(),
  }).current;
  const ui = useRef<Ui>({ focus: 'bans', jailIdx: 0, banIdx: 0, logBack: 0, jail: null, filter: '', sort: 'since', mode: { kind: 'normal' }, message: '' }).current;

  const quit = () => {
    onExit?.();
    exit();
  };

  useEffect(() => {
    const onResize = () => setSize({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout]);

  useEffect(() => {
    let alive = true;
    const onEvent = (e: ServiceEvent) => {
      data.dirty = true;
      switch (e.type) {
        case 'line': data.log.push({ time: e.time, jail: e.jail, text: e.line, kind: 'missed' }); break;
        case 'failure': {
          const line = data.log.mark(e.jail, e.ip, 'matched');
          data.failures.add(e.ip, `${clock(e.time)} [${e.jail}] ${e.count}/${e.maxretry} ${line?.text ?? ''}`);
          break;
        }
        case 'ignored': data.log.mark(e.jail, e.ip, 'ignored', e.reason); break;
        case 'ban':
          data.bans.set({ ip: e.ip, jail: e.jail, bannedAt: e.time, expiresAt: e.expiresAt, permanent: e.expiresAt === null, failures: e.failures, banCount: e.banCount, source: e.source, reason: e.reason });
          break;
        case 'unban': data.bans.delete(e.jail, e.ip); break;
      }
    };
    const unsubscribe = source.subscribe(onEvent, (err) => {
      if (!alive) return;
      data.error = `lost the daemon${err ? `: ${err.message}` : ''}; press q`;
      data.dirty = true;
    });
    source.list().then((l) => { data.bans.load(l); data.dirty = true; }, (e: Error) => { data.error = e.message; });
    const poll = async () => {
      try {
        data.status = await source.status();
        data.dirty = true;
      } catch (e) {
        data.error = (e as Error).message;
      }
    };
    void poll();
    const statusTimer = setInterval(() => void poll(), 1000);
    const frame = setInterval(() => {
      if (data.dirty) {
        data.dirty = false;
        redraw();
      }
    }, frameMs);
    return () => {
      alive = false;
      unsubscribe();
      clearInterval(statusTimer);
      clearInterval(frame);
    };
  }, [source]);

  // --- layout: at most rows - 1 lines, so Ink never clears the screen ---------------------------
  const width = Math.max(40, size.cols);
  const height = Math.max(10, size.rows - 1);
  const st = data.status;
  const jails = st?.jails ?? [];
  const body = height - 4; // header 2, status 1, footer 1
  const jailH = Math.min(jails.length + 2, Math.max(3, Math.floor(body / 3)));
  const banH = Math.max(3, Math.floor((body - jailH) / 2) + 1);
  const logH = Math.max(2, body - jailH - banH);
  const now = Date.now();
  const rows = data.bans.rows(ui.jail, ui.filter, ui.sort);
  ui.banIdx = Math.min(ui.banIdx, Math.max(0, rows.length - 1));
  ui.jailIdx = Math.min(ui.jailIdx, Math.max(0, jails.length - 1));
  const selectedRow: BanRow | undefined = rows[ui.banIdx];
  const logEntries = data.log.entries(ui.filter);
  const logVisible = logH - 1;
  ui.logBack = Math.min(ui.logBack, Math.max(0, logEntries.length - logVisible));
  const logEnd = logEntries.length - ui.logBack;
  const logSlice = logEntries.slice(Math.max(0, logEnd - logVisible), logEnd);
  const selectedLog = logSlice[logSlice.length - 1];

  const selectedIp = (): string | undefined => (ui.focus === 'log' ? selectedLog?.ip : selectedRow?.ip);

  // --- actions: every one goes through the engine API and reports in the status line ------------
  const act = (p: Promise<string>) => {
    ui.message = '…';
    p.then((m) => { ui.message = m; }, (e: Error & { hint?: string }) => { ui.message = `error: ${e.message}${e.hint ? ` (${e.hint})` : ''}`; })
      .finally(() => { data.dirty = true; redraw(); });
  };
  const guard = (): boolean => {
    if (readonly) ui.message = 'read-only: actions are disabled (--readonly)';
    return !readonly;
  };
  const confirm = (question: string, target: string, run: () => Promise<string>) => {
    // A network, or anything over 256 addresses, is confirmed by typing it.
    const big = isNetwork(target) || targetSize(target) > 256;
    ui.mode = { kind: 'confirm', question, run, typed: '', ...(big ? { mustType: target } : {}) };
  };
  const permaban = (ip: string) => confirm(`Permaban ${ip} (permanent list, all ports)?`, ip,
    () => source.ban(ip, -1).then((b) => `banned ${b.ip} permanently`));
  const whitelist = (ip: string) => confirm(`Whitelist ${ip} and unban it everywhere?`, ip,
    () => source.whitelistAdd(ip).then((r) => `whitelisted ${r.entry}${r.unbanned.length ? `; unbanned in ${r.unbanned.map((u) => u.jail).join(', ')}` : ''}`));
  const unbanDialog = (ip: string) => {
    const held = data.bans.jailsOf(ip).map((b) => b.jail);
    ui.mode = { kind: 'unban', ip, jails: held };
  };
  const ban = (ipText: string, dur: string | undefined) => {
    const ip = canonicalTarget(ipText);
    if (!ip) { ui.message = `error: "${ipText}" is not an IP address or CIDR`; return; }
    let seconds: number | undefined;
    try {
      seconds = dur ? parseDuration(dur) : undefined;
    } catch (e) {
      ui.message = `error: ${(e as Error).message}`;
      return;
    }
    const what = seconds === undefined ? 'for the manual jail\'s bantime (1h)' : seconds < 0 ? 'permanently' : `for ${formatDuration(seconds)}`;
    confirm(`Ban ${ip} on all ports ${what}?`, ip, () => source.ban(ip, seconds).then((b) => `banned ${b.ip} in ${b.jail} ${b.permanent ? 'permanently' : `for ${formatDuration(Math.round((b.expiresAt! - b.bannedAt) / 1000))}`}`));
  };
  const openDetail = (ip: string) => {
    const m: Mode = { kind: 'detail', ip, history: null, whitelisted: null };
    ui.mode = m;
    Promise.all([source.history(ip), source.whitelist()]).then(([h, wl]) => {
      m.history = h;
      m.whitelisted = new Whitelist(wl.map((e) => e.entry)).match(ip) ? 'yes' : 'no';
      data.dirty = true;
      redraw();
    }, (e: Error) => { ui.message = `error: ${e.message}`; });
  };
  const runCommand = (text: string) => {
    const c = parseCommand(text);
    if (typeof c === 'string') { ui.message = c; return; }
    const [a, b] = c.args;
    switch (c.name) {
      case 'quit': quit(); return;
      case 'help': ui.mode = { kind: 'help' }; return;
      case 'jail':
        if (!a || a === 'all') ui.jail = null;
        else if (jails.some((j) => j.name === a)) ui.jail = a;
        else ui.message = `error: unknown jail "${a}" (jails: ${jails.map((j) => j.name).join(', ')})`;
        return;
      case 'sort':
        if (SORT_KEYS.includes(a as SortKey)) ui.sort = a as SortKey;
        else ui.message = `error: sort by ${SORT_KEYS.join(', ')}`;
        return;
      default:
        if (!a) { ui.message = `error: :${c.name} needs an address`; return; }
        if (!guard()) return;
        if (c.name === 'ban') ban(a, b);
        else if (c.name === 'permaban') permaban(canonicalTarget(a) ?? a);
        else if (c.name === 'whitelist') whitelist(canonicalTarget(a) ?? a);
        else act(source.unban(canonicalTarget(a) ?? a).then((r) => (r.jails.length ? `unbanned ${r.ip} everywhere (${r.jails.join(', ')})` : `${r.ip} was not banned`)));
    }
  };

  // A terminal may deliver several keys in one read (typing ahead, a paste, tmux): take them one by one.
  useInput((input, key) => {
    const chars = [...input];
    if (chars.length > 1 && !key.ctrl && !key.meta && !key.escape) {
      const plain = Object.fromEntries(Object.keys(key).map((k) => [k, false])) as unknown as typeof key;
      for (const ch of chars) handleKey(ch, ch === '\r' ? { ...plain, return: true } : plain);
    } else {
      handleKey(input, key);
    }
  });

  function handleKey(input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]): void {
    const m = ui.mode;
    data.dirty = true;
    if (m.kind === 'input') {
      if (key.escape) { if (m.purpose === 'filter') ui.filter = ''; ui.mode = { kind: 'normal' }; }
      else if (key.return) {
        ui.mode = { kind: 'normal' };
        if (m.purpose === 'filter') { ui.filter = m.text.trim(); ui.banIdx = 0; }
        else if (m.purpose === 'command') runCommand(m.text);
        else { const [ip, dur] = m.text.trim().split(/\s+/); if (ip) ban(ip, dur); }
      } else if (key.backspace || key.delete) m.text = m.text.slice(0, -1);
      else if (input && !key.ctrl && !key.meta) {
        m.text += input;
        if (m.purpose === 'filter') ui.filter = m.text.trim();
      }
      redraw();
      return;
    }
    if (m.kind === 'confirm') {
      if (m.mustType !== undefined) {
        if (key.escape) { ui.mode = { kind: 'normal' }; ui.message = 'cancelled'; }
        else if (key.return) {
          ui.mode = { kind: 'normal' };
          if (m.typed.trim() === m.mustType) act(m.run());
          else ui.message = `cancelled: "${m.typed.trim()}" is not ${m.mustType}`;
        } else if (key.backspace || key.delete) m.typed = m.typed.slice(0, -1);
        else if (input) m.typed += input;
      } else {
        ui.mode = { kind: 'normal' };
        if (input === 'y' || input === 'Y') act(m.run());
        else ui.message = 'cancelled';
      }
      redraw();
      return;
    }
    if (m.kind === 'unban') {
      ui.mode = { kind: 'normal' };
      const here = ui.jail ?? (m.jails.length === 1 ? m.jails[0] : undefined);
      if (input === 'e') act(source.unban(m.ip).then((r) => `unbanned ${r.ip} everywhere (${r.jails.join(', ') || 'it held no ban'}); its old log lines will never count again`));
      else if (input === 'j' && here) act(source.unban(m.ip, here).then((r) => (r.jails.length ? `unbanned ${r.ip} in ${here}` : `${r.ip} was not banned in ${here}`)));
      else if (input === 'j') ui.message = `${m.ip} is held by ${m.jails.join(', ')}: pick a jail first (Enter on the jails pane), or e for everywhere`;
      else ui.message = 'cancelled';
      redraw();
      return;
    }
    if (m.kind === 'help') {
      if (key.escape || input === '?' || input === 'q') ui.mode = { kind: 'normal' };
      redraw();
      return;
    }
    if (m.kind === 'detail') {
      if (key.escape) ui.mode = { kind: 'normal' };
      else if (input === 'q') quit();
      else if (input === 'P' && guard()) permaban(m.ip);
      else if (input === 'u' && guard()) unbanDialog(m.ip);
      else if (input === 'w' && guard()) whitelist(m.ip);
      redraw();
      return;
    }

    // normal mode
    const page = ui.focus === 'bans' ? banH - 2 : ui.focus === 'log' ? logVisible : jailH - 2;
    const move = (d: number) => {
      if (ui.focus === 'jails') ui.jailIdx = Math.max(0, Math.min(jails.length - 1, ui.jailIdx + d));
      else if (ui.focus === 'bans') ui.banIdx = Math.max(0, Math.min(rows.length - 1, ui.banIdx + d));
      else ui.logBack = Math.max(0, ui.logBack - d);
    };
    if (input === 'q') { quit(); return; }
    if (key.tab) ui.focus = PANES[(PANES.indexOf(ui.focus) + (key.shift ? 2 : 1)) % 3]!;
    else if (input === 'j' || key.downArrow) move(1);
    else if (input === 'k' || key.upArrow) move(-1);
    else if (key.pageDown) move(page);
    else if (key.pageUp) move(-page);
    else if (input === 'g') move(-1e9);
    else if (input === 'G') move(1e9);
    else if (input === '/') ui.mode = { kind: 'input', purpose: 'filter', text: ui.filter };
    else if (input === ':') ui.mode = { kind: 'input', purpose: 'command', text: '' };
    else if (input === '?') ui.mode = { kind: 'help' };
    else if (input === ' ') { data.log.paused = !data.log.paused; ui.message = data.log.paused ? 'tail paused (the engine goes on)' : 'tail resumed'; }
    else if (input === 's') { ui.sort = SORT_KEYS[(SORT_KEYS.indexOf(ui.sort) + 1) % SORT_KEYS.length]!; ui.message = `bans sorted by ${ui.sort}`; }
    else if (key.escape) { ui.filter = ''; ui.message = ''; }
    else if (key.return) {
      if (ui.focus === 'jails') { const j = jails[ui.jailIdx]?.name ?? null; ui.jail = ui.jail === j ? null : j; ui.banIdx = 0; }
      else { const ip = selectedIp(); if (ip) openDetail(ip); else ui.message = 'no address selected'; }
    } else if (input === 'b') { if (guard()) ui.mode = { kind: 'input', purpose: 'ban', text: '' }; }
    else if (input === 'P' || input === 'u' || input === 'w') {
      const ip = selectedIp();
      if (!ip) ui.message = 'select an address first (bans pane, or a matched line in the log pane)';
      else if (guard()) (input === 'P' ? permaban : input === 'u' ? unbanDialog : whitelist)(ip);
    }
    redraw();
  }

  // --- drawing -----------------------------------------------------------------------------------
  const t = st?.totals;
  const modeLabel = source.mode === 'attached' ? `attached ${source.where}` : source.mode === 'demo' ? 'DEMO embedded (dry-run)' : 'embedded';
  const operator = st?.operators?.[0]?.ip ?? sshOperator(process.env, '')?.ip ?? '';
  const head1 = `bantop ${st?.host ?? ''} │ ${modeLabel} │ ${st?.firewall ?? '…'} │ up ${formatDuration(st?.uptime ?? 0)}${data.log.paused ? ' │ PAUSED' : ''}`;
  const head2 = `fail/min ${t?.failuresLastMinute ?? 0}  bans ${t?.bans ?? data.bans.size}  permanent ${t?.permanentBans ?? 0}  │ protected: ${operator || 'none (not over SSH)'}`;

  const sel = (on: boolean, text: string) => <Text inverse={on}>{fit(`${on ? '▸' : ' '}${text}`, width)}</Text>;
  const title = (pane: Pane, text: string) => <Text bold underline={ui.focus === pane}>{fit(`${ui.focus === pane ? '■' : '□'} ${text}`, width)}</Text>;

  const sparkW = Math.max(8, width - 66);
  const jailLines = jails.slice(Math.max(0, ui.jailIdx - (jailH - 3)), Math.max(0, ui.jailIdx - (jailH - 3)) + jailH - 2).map((j) => {
    const fails = j.passive ? '   -   ' : `${String(j.failuresInWindow).padStart(3)}/${String(j.maxretry).padEnd(3)}`;
    const line = `${fit(j.name, 14)} ${fails} ${sparkline(j.offences, sparkW)} ${String(j.currentBans).padStart(5)} ${String(j.permanentBans).padStart(4)} ${String(j.totalBans).padStart(6)}  ` +
      `${j.filter.matched}/${j.filter.ignored}/${j.filter.missed}`;
    return { key: j.name, node: sel(ui.focus === 'jails' && jails[ui.jailIdx]?.name === j.name, `${line}${ui.jail === j.name ? ' ◆' : ''}`) };
  });

  const banStart = Math.max(0, Math.min(ui.banIdx - Math.floor((banH - 2) / 2), rows.length - (banH - 2)));
  const banLines = rows.slice(banStart, banStart + banH - 2).map((r, i) => {
    const line = `${fit(r.ip, 22)} ${fit(r.jails.join(','), 14)} ${fit(since(r.bannedAt, now), 10)} ${fit(expiresIn(r.expiresAt, now), 11)} ${String(r.failures).padStart(4)} ${String(r.banCount).padStart(4)} ${r.source}`;
    return { key: r.ip, node: sel(ui.focus === 'bans' && banStart + i === ui.banIdx, line) };
  });

  const logLines = logSlice.map((e, i) => {
    const mark = e.kind === 'matched' ? '●' : e.kind === 'ignored' ? '○' : ' ';
    const prefix = `${mark} ${clock(e.time)} ${fit(e.jail, 10)} `;
    const room = Math.max(1, width - prefix.length - 1);
    let raw = e.kind === 'ignored' ? `[${e.why}] ${e.text}` : e.text;
    // Keep the address in view on a narrow screen: start the line a little before it.
    const ipAt = e.ip ? raw.indexOf(e.ip) : -1;
    if (ipAt >= 0 && ipAt + e.ip!.length > room - 1) raw = `…${raw.slice(Math.max(0, ipAt - Math.floor(room / 3)))}`;
    const text = fit(raw, room);
    const selected = ui.focus === 'log' && i === logSlice.length - 1;
    const at = e.ip ? text.indexOf(e.ip) : -1;
    if (at < 0 || selected) return <Text key={i} dimColor={e.kind !== 'matched'} inverse={selected}>{fit((selected ? '▸' : ' ') + prefix + text, width)}</Text>;
    return (
      <Text key={i} dimColor={e.kind === 'ignored'}>
        {' ' + prefix + text.slice(0, at)}<Text bold color="yellow">{e.ip}</Text>{text.slice(at + e.ip!.length)}
      </Text>
    );
  });

  let main: React.ReactNode;
  if (ui.mode.kind === 'help') {
    main = (
      <Box flexDirection="column" height={body}>
        <Text bold>{fit('Keys', width)}</Text>
        {KEYS.slice(0, body - 1).map(([k, v]) => <Text key={k}>{fit(`  ${k.padEnd(12)} ${v}`, width)}</Text>)}
      </Box>
    );
  } else if (ui.mode.kind === 'detail') {
    const d = ui.mode;
    const held = data.bans.jailsOf(d.ip);
    const lines = [
      `held by: ${held.length ? held.map((b) => `${b.jail} (${expiresIn(b.expiresAt, now)}, ${b.source}${b.reason ? `: ${b.reason}` : ''})`).join(', ') : 'no jail'}`,
      `whitelisted: ${d.whitelisted ?? '…'}`,
      'history:',
      ...(d.history ?? []).slice(-Math.max(1, Math.floor(body / 2))).map((h) => `  ${new Date(h.time).toISOString().replace('T', ' ').slice(0, 19)} ${h.event} [${h.jail}]` +
        `${h.event === 'ban' ? ` ${h.bantime === -1 ? 'permanent' : formatDuration(h.bantime ?? 0)}, ${h.failures} failures, ${h.source}${h.reason ? `: ${h.reason}` : ''}` : ` (${h.reason})`}`),
      'failures seen:',
      ...data.failures.of(d.ip).map((l) => `  ${l}`),
    ];
    main = (
      <Box flexDirection="column" height={body}>
        <Text bold>{fit(`■ ${d.ip}`, width)}</Text>
        {lines.slice(0, body - 1).map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
      </Box>
    );
  } else {
    main = (
      <Box flexDirection="column" height={body}>
        <Box flexDirection="column" height={jailH}>
          {title('jails', `JAILS ${fit('', 9)}FAIL/MAX ${fit('offences, 60 min', sparkW)}  BANS PERM  TOTAL  match/ign/miss`)}
          {jailLines.map((l) => <Box key={l.key}>{l.node}</Box>)}
        </Box>
        <Box flexDirection="column" height={banH}>
          {title('bans', `BANS ${ui.jail ?? 'all jails'}${ui.filter ? ` · filter ${ui.filter}` : ''} · ${rows.length} · by ${ui.sort}`)}
          <Text dimColor>{fit(`  ${fit('IP', 22)} ${fit('JAIL(S)', 14)} ${fit('SINCE', 10)} ${fit('EXPIRES', 11)} FAIL BEF. SOURCE`, width)}</Text>
          {banLines.slice(0, banH - 2).map((l) => <Box key={l.key}>{l.node}</Box>)}
        </Box>
        <Box flexDirection="column" height={logH}>
          {title('log', `LOG ● matched ○ ignored${ui.filter ? ` · filter ${ui.filter}` : ''}${data.log.paused ? ' — PAUSED' : ui.logBack ? ` — ${ui.logBack} lines back` : ''}`)}
          {logLines}
        </Box>
      </Box>
    );
  }

  const m = ui.mode;
  const statusLine = m.kind === 'input' ? `${m.purpose === 'filter' ? '/' : m.purpose === 'command' ? ':' : 'ban IP [DURATION]: '}${m.text}█`
    : m.kind === 'confirm' ? (m.mustType !== undefined ? `${m.question} Type ${m.mustType}: ${m.typed}█` : `[y/N] ${m.question}`)
      : m.kind === 'unban' ? `Unban ${m.ip} (held by ${m.jails.join(', ') || 'no jail'}): j = ${ui.jail ?? (m.jails.length === 1 ? m.jails[0] : 'this jail')} only, e = everywhere, Esc = cancel`
        : data.error || ui.message;
  const footer = m.kind === 'confirm' ? (m.mustType !== undefined ? FOOTERS['confirmType']! : FOOTERS['confirm']!)
    : m.kind === 'normal' ? (readonly ? FOOTERS['readonly']! : FOOTERS['normal']!) : FOOTERS[m.kind]!;

  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold>{fit(head1, width)}</Text>
      <Text>{fit(head2, width)}</Text>
      {main}
      <Text bold={m.kind !== 'normal'}>{fit(statusLine, width)}</Text>
      <Text dimColor>{fit(footer, width)}</Text>
    </Box>
  );
}

export type { BanView };
