import { Box, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import type { ServiceEvent } from '../daemon/service.js';
import { Whitelist } from '../engine/whitelist.js';
import { sshOperator } from '../util/ssh-connection.js';
import { initialUi, reduce, type Effect, type UiState, type ViewInfo } from './controller.js';
import { BanTable, FailureLines, LogRing } from './data.js';
import { fromInk } from './keys.js';
import type { Status, TuiSource } from './source.js';
import { clock } from './text.js';
import { errorText, runAction } from './widgets/actions.js';
import { BansPane } from './views/bans-pane.js';
import { DetailView, detailLines, type Detail } from './views/detail-view.js';
import { Header } from './views/header.js';
import { HelpView } from './views/help-view.js';
import { JailsPane } from './views/jails-pane.js';
import { layout } from './views/layout.js';
import { LogPane } from './views/log-pane.js';
import { StatusBar } from './views/status-bar.js';

export { KEYS } from './keys.js';

const KEY_FRAME_MS = 100;

export interface AppProps {
  source: TuiSource;
  readonly?: boolean;
  /** Redraw interval, ms: events are gathered and drawn at this rate, never one frame per line. */
  frameMs?: number;
  onExit?: () => void;
}

/**
 * The engine's events land in plain objects outside React (a ring buffer, the
 * ban table, counters) and mark them dirty; a timer redraws at most once per
 * frame. Keys go through the pure reducer in controller.ts and redraw at once.
 */
export function App({ source, readonly = false, frameMs = 250, onExit }: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const data = useRef({
    bans: new BanTable(), log: new LogRing(2000), failures: new FailureLines(),
    status: null as Status | null, dirty: true, error: '', detail: null as Detail | null,
  }).current;
  const ui = useRef<{ s: UiState }>({ s: initialUi }).current;
  // A key draws at once, unless another key drew within KEY_FRAME_MS; then at the end of that interval. So a key
  // shows within 100 ms, and a held key (auto-repeat) draws at most about 10 times a second. A key's frame carries
  // the events gathered so far too, so the next timer frame is skipped unless more came in.
  const draw = useRef({ lastKey: 0, timer: undefined as NodeJS.Timeout | undefined }).current;
  const drawForKey = () => {
    if (draw.timer) return;
    const go = () => { draw.timer = undefined; draw.lastKey = Date.now(); data.dirty = false; redraw(); };
    const wait = draw.lastKey + KEY_FRAME_MS - Date.now();
    if (wait <= 0) go();
    else draw.timer = setTimeout(go, wait);
  };
  useEffect(() => () => clearTimeout(draw.timer), []);

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
          const line = data.log.mark(e.jail, e.ip, 'matched', undefined, e.match);
          data.failures.add(e.ip, `${clock(e.time)} [${e.jail}] ${e.count}/${e.maxretry} ${line?.text ?? ''}`);
          break;
        }
        case 'ignored': data.log.mark(e.jail, e.ip, 'ignored', e.reason, e.match); break;
        case 'ban':
          data.bans.set({ ip: e.ip, jail: e.jail, bannedAt: e.time, expiresAt: e.expiresAt, permanent: e.expiresAt === null, failures: e.failures, banCount: e.banCount, source: e.source, reason: e.reason, origin: e.origin });
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

  const s = ui.s;
  const jails = data.status?.jails ?? [];
  const L = layout(size.cols, size.rows, jails.length);
  const now = Date.now();
  const rows = data.bans.rows(s.jail, s.filter, s.sort);
  const banIdx = Math.min(s.banIdx, Math.max(0, rows.length - 1));
  const logEntries = data.log.entries(s.filter);
  const logBack = Math.min(s.logBack, Math.max(0, logEntries.length - L.logVisible));
  const logEnd = logEntries.length - logBack;
  const logSlice = logEntries.slice(Math.max(0, logEnd - L.logVisible), logEnd);

  const m = s.mode;
  const detail = m.kind === 'detail'
    ? detailLines(data.detail?.ip === m.ip ? data.detail : { ip: m.ip, history: null, whitelisted: null }, data.bans.jailsOf(m.ip), data.failures.of(m.ip), now)
    : [];

  const view: ViewInfo = {
    readonly,
    jails: jails.map((j) => j.name),
    banRows: rows.length,
    logLines: logEntries.length,
    page: { jails: L.jailH - 2, bans: L.banH - 2, log: L.logVisible },
    detail: { lines: detail.length, visible: L.body - 1 },
    selectedIp: (st) => (st.focus === 'log' ? logSlice[logSlice.length - 1]?.ip : rows[Math.min(st.banIdx, rows.length - 1)]?.ip),
    jailsOf: (ip) => data.bans.jailsOf(ip).map((b) => b.jail),
  };

  // The input handler reads the screen as last drawn: Ink re-subscribes it in an effect that runs after the frame is
  // written, so a key arriving in between would otherwise act on the previous screen (an empty list, say).
  const drawn = useRef({ view, banIdx, logBack });
  drawn.current = { view, banIdx, logBack };

  const run = (effects: Effect[]) => {
    for (const e of effects) {
      if (e.type === 'quit') {
        onExit?.();
        exit();
      } else if (e.type === 'engine') {
        runAction(source, e.action).then((m) => { ui.s = { ...ui.s, message: m }; }, (err: Error) => { ui.s = { ...ui.s, message: errorText(err) }; })
          .finally(() => { data.dirty = true; drawForKey(); });
      } else {
        const d: Detail = { ip: e.ip, history: null, whitelisted: null };
        data.detail = d;
        Promise.all([source.history(e.ip), source.whitelist()]).then(([h, wl]) => {
          d.history = h;
          d.whitelisted = new Whitelist(wl.map((w) => w.entry)).match(e.ip) ? 'yes' : 'no';
        }, (err: Error) => { ui.s = { ...ui.s, message: errorText(err) }; }).finally(() => { data.dirty = true; drawForKey(); });
      }
    }
  };

  useInput((input, k) => {
    const d = drawn.current;
    // The cursors as drawn (clamped to the rows there are), then every key of this read in turn.
    ui.s = { ...ui.s, banIdx: d.banIdx, logBack: d.logBack };
    for (const key of fromInk(input, k)) {
      const step = reduce(ui.s, key, d.view);
      ui.s = step.state;
      data.log.paused = ui.s.paused;
      run(step.effects);
    }
    drawForKey();
  });

  const modeLabel = source.mode === 'attached' ? `attached ${source.where}` : source.mode === 'demo' ? 'DEMO embedded (dry-run)' : 'embedded';
  const operator = data.status?.operators?.[0]?.ip ?? sshOperator(process.env, '')?.ip ?? '';
  let main: React.ReactNode;
  if (m.kind === 'help') {
    main = <HelpView width={L.width} height={L.body} />;
  } else if (m.kind === 'detail') {
    main = <DetailView ip={m.ip} lines={detail} top={m.top} width={L.width} height={L.body} />;
  } else {
    main = (
      <Box flexDirection="column" height={L.body}>
        <JailsPane jails={jails} selected={Math.min(s.jailIdx, Math.max(0, jails.length - 1))} focused={s.focus === 'jails'} inView={s.jail} width={L.width} height={L.jailH} sparkW={L.sparkW} />
        <BansPane rows={rows} selected={banIdx} focused={s.focus === 'bans'} jail={s.jail} filter={s.filter} sort={s.sort} now={now} width={L.width} height={L.banH} />
        <LogPane lines={logSlice} focused={s.focus === 'log'} filter={s.filter} paused={s.paused} back={logBack} width={L.width} height={L.logH} />
      </Box>
    );
  }

  return (
    <Box flexDirection="column" height={L.height} width={L.width}>
      <Header status={data.status} modeLabel={modeLabel} paused={s.paused} operator={operator} bansFallback={data.bans.size} width={L.width} />
      {main}
      <StatusBar ui={s} error={data.error} readonly={readonly} width={L.width} />
    </Box>
  );
}
