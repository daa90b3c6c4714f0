import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { BULK_TIMEOUT_MS, request } from '../daemon/client.js';
import type { BanView } from '../daemon/service.js';
import type { HistoryEntry } from '../store/sqlite-store.js';
import { BLOCKLIST_FORMATS, formatBlocklist, parseBlocklist, type BlocklistFormat } from '../store/blocklist-file.js';
import { DurationError, formatDuration, parseDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { canonicalTarget, maskedNetwork, maskedNetworkMessage } from '../util/ip.js';
import { sshConnection } from '../util/ssh-connection.js';
import { validate } from './args.js';

export interface ClientContext {
  socket: string;
  json: boolean;
  out: NodeJS.WritableStream;
  options: Record<string, string | boolean>;
}

const JAIL = z.string().regex(/^[\w.\-]+$/, 'not a jail name');

/**
 * `exact`: a network with bits set past its prefix is refused, not masked
 * (ban, permaban, whitelist add: a mistyped prefix would widen them).
 */
function target(text: string | undefined, usage: string, exact = false): string {
  if (text === undefined) throw new UserError(`missing IP or CIDR`, { hint: `usage: ${usage}` });
  const t = canonicalTarget(text);
  if (t === null) throw new UserError(`"${text.slice(0, 100)}" is not an IP address or CIDR`, { hint: `usage: ${usage}` });
  const masked = exact ? maskedNetwork(text) : null;
  if (masked !== null) throw new UserError(maskedNetworkMessage(text, masked), { hint: `give ${masked.network} if that network is meant, or correct the prefix` });
  return t;
}

function jailOpt(ctx: ClientContext): string | undefined {
  const j = ctx.options['jail'];
  if (j === undefined) return undefined;
  return validate(JAIL, j, '--jail');
}

function seconds(text: string): number {
  try {
    const s = parseDuration(text);
    if (s === 0) throw new DurationError('a ban of 0 seconds does nothing');
    return s;
  } catch (e) {
    if (e instanceof DurationError) throw new UserError(`--for: ${e.message}`, { hint: 'durations look like 600, 10m, 1h, 1d, 1w; use permaban for forever' });
    throw e;
  }
}


const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function print(ctx: ClientContext, result: unknown, human: () => string): void {
  ctx.out.write(ctx.json ? JSON.stringify(result) + '\n' : human());
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

type Status = {
  host: string; pid: number; uptime: number; firewall: string; backends: string[];
  totals: { bans: number; permanentBans: number; failuresLastMinute: number; whitelist: number };
  firewallErrors: number; lastFirewallError: string | null; warnings: string[];
  fleet: { name: string; redis: string; share: string[]; connected: boolean; lagMs: number; pending: number; published: number; applied: number;
    origins: Record<string, number>; lastError: string | null } | null;
  jails: Array<{ name: string; passive: boolean; maxretry: number; failuresInWindow: number; currentBans: number; permanentBans: number; totalBans: number;
    filter: { lines: number; matched: number; ignored: number; missed: number }; banned?: string[] }>;
};

export async function runClientCommand(command: string, rest: string[], ctx: ClientContext): Promise<number> {
  const ask = <T>(req: Parameters<typeof request>[1], timeoutMs?: number) => request<T>(ctx.socket, req, timeoutMs);
  switch (command) {
    case 'status': {
      const jail = rest[0] === undefined ? undefined : validate(JAIL, rest[0], 'bantop status [JAIL]');
      const s = await ask<Status>({ cmd: 'status', jail });
      print(ctx, s, () => {
        if (jail) {
          const j = s.jails[0]!;
          return `Status for the jail: ${j.name}\n` +
            `|- Filter\n|  |- Currently failed: ${j.failuresInWindow}\n|  |- Lines: ${j.filter.lines} (matched ${j.filter.matched}, ignored ${j.filter.ignored}, missed ${j.filter.missed})\n` +
            `\`- Actions\n   |- Currently banned: ${j.currentBans} (${j.permanentBans} permanent)\n   |- Total banned: ${j.totalBans}\n` +
            `   \`- Banned IP list: ${(j.banned ?? []).join(' ')}\n`;
        }
        const head = `bantop on ${s.host} (pid ${s.pid}, up ${formatDuration(s.uptime)}), firewall ${s.firewall} [${s.backends.join(', ')}]\n` +
          `bans: ${s.totals.bans} (${s.totals.permanentBans} permanent), failures in the last minute: ${s.totals.failuresLastMinute}, whitelist: ${s.totals.whitelist}\n`;
        const rows = [['JAIL', 'FAILING', 'MAXRETRY', 'BANS', 'PERM', 'TOTAL', 'MATCHED', 'IGNORED', 'MISSED']];
        for (const j of s.jails) {
          rows.push([j.name + (j.passive ? '*' : ''), String(j.failuresInWindow), j.passive ? '-' : String(j.maxretry), String(j.currentBans), String(j.permanentBans),
            String(j.totalBans), String(j.filter.matched), String(j.filter.ignored), String(j.filter.missed)]);
        }
        const f = s.fleet;
        const fleet = f ? `fleet: ${f.name} on ${f.redis}, ${f.connected ? `connected, lag ${f.lagMs} ms` : `DISCONNECTED${f.lastError ? ` (${f.lastError})` : ''}`}, ` +
          `sharing ${f.share.join(', ')}; ${f.published} published, ${f.applied} applied, ${f.pending} waiting to be sent\n` +
          `shared bans held here: ${Object.entries(f.origins).map(([o, n]) => `${n} from ${o}`).join(', ') || 'none'}\n` : '';
        const errs = s.firewallErrors ? `firewall errors: ${s.firewallErrors} (last: ${s.lastFirewallError})\n` : '';
        const warns = s.warnings.map((w) => `warning: ${w}\n`).join('');
        return head + fleet + table(rows) + '* reads no log (manual bans, or bans of a jail no longer configured)\n' + errs + warns;
      });
      return 0;
    }
    case 'list': {
      const bans = await ask<BanView[]>({ cmd: 'list', jail: jailOpt(ctx) });
      print(ctx, bans, () => {
        if (bans.length === 0) return 'no bans\n';
        const now = Date.now();
        const rows = [['IP', 'JAIL', 'SINCE', 'EXPIRES', 'FAILURES', 'BANNED BEFORE', 'SOURCE']];
        for (const b of bans) {
          rows.push([b.ip, b.jail, when(b.bannedAt), b.expiresAt === null ? 'permanent' : `in ${formatDuration(Math.max(0, Math.round((b.expiresAt - now) / 1000)))}`,
            String(b.failures), String(b.banCount), b.origin ? `${b.source} from ${b.origin}` : b.source]);
        }
        return table(rows);
      });
      return 0;
    }
    case 'history': {
      const ip = target(rest[0], 'bantop history IP|CIDR');
      const h = await ask<HistoryEntry[]>({ cmd: 'history', ip });
      print(ctx, h, () => {
        if (h.length === 0) return `no history for ${ip}\n`;
        const rows = [['TIME', 'EVENT', 'JAIL', 'BANTIME', 'FAILURES', 'SOURCE / REASON']];
        for (const e of h) {
          rows.push([when(e.time), e.event, e.jail, e.event === 'ban' ? (e.bantime === -1 ? 'permanent' : formatDuration(e.bantime ?? 0)) : '-',
            e.failures === null ? '-' : String(e.failures), [e.source, e.reason].filter(Boolean).join(': ')]);
        }
        const behind = h.filter((e) => e.lines?.length).map((e) => `  ${when(e.time)} ${e.jail}:\n${e.lines!.map((l) => `    ${l}\n`).join('')}`);
        return table(rows) + (behind.length ? `\nthe log lines behind each ban:\n${behind.join('')}` : '');
      });
      return 0;
    }
    case 'ban':
    case 'permaban': {
      const usage = command === 'ban' ? 'bantop ban IP|CIDR [--jail J] [--for DURATION] [--force]' : 'bantop permaban IP|CIDR [--jail J] [--force]';
      const ip = target(rest[0], usage, true);
      if (rest.length > 1) throw new UserError(`unexpected argument "${rest[1]}"`, { hint: `usage: ${usage}` });
      if (command === 'permaban' && ctx.options['for'] !== undefined) throw new UserError('permaban takes no --for', { hint: `usage: ${usage}` });
      const secs = command === 'permaban' ? -1 : typeof ctx.options['for'] === 'string' ? seconds(ctx.options['for']) : undefined;
      const b = await ask<BanView>({ cmd: 'ban', ip, jail: jailOpt(ctx), seconds: secs, operator: sshConnection(), force: ctx.options['force'] === true });
      print(ctx, b, () => `banned ${b.ip} in ${b.jail} ${b.permanent ? 'permanently' : `for ${formatDuration(Math.round((b.expiresAt! - b.bannedAt) / 1000))}`}\n`);
      return 0;
    }
    case 'unban': {
      const usage = 'bantop unban IP|CIDR [--jail J | --everywhere] [--whitelist], or bantop unban --all [--jail J]';
      const jail = jailOpt(ctx);
      if (ctx.options['all'] === true) {
        if (rest.length > 0) throw new UserError(`unban --all takes no address ("${rest[0]}")`, { hint: `usage: ${usage}` });
        if (ctx.options['whitelist'] || ctx.options['everywhere']) {
          throw new UserError(`unban --all takes no --${ctx.options['whitelist'] ? 'whitelist' : 'everywhere'}`, { hint: `usage: ${usage}` });
        }
        const r = await ask<{ bans: number; addresses: number; jails: string[] }>({ cmd: 'unban.all', jail }, BULK_TIMEOUT_MS);
        print(ctx, r, () => (r.bans === 0 ? `no bans${jail ? ` in ${jail}` : ''}\n` : `unbanned ${r.addresses} address(es), ${r.bans} ban(s), in ${r.jails.join(', ')}` +
          (jail ? '' : '; their earlier log lines will never count again') + '\n'));
        return 0;
      }
      const ip = target(rest[0], usage);
      if (jail !== undefined && ctx.options['everywhere']) throw new UserError('give --jail or --everywhere, not both', { hint: `usage: ${usage}` });
      if (rest.length > 1) throw new UserError(`unexpected argument "${rest[1]}"`, { hint: `usage: ${usage}` });
      const whitelist = ctx.options['whitelist'] === true;
      const r = await ask<{ ip: string; jails: string[]; whitelisted: boolean }>({ cmd: 'unban', ip, jail, whitelist });
      print(ctx, r, () => (r.jails.length ? `unbanned ${r.ip} in ${r.jails.join(', ')}` : `${r.ip} was not banned${jail ? ` in ${jail}` : ''}`) +
        (jail ? '' : '; its earlier log lines will never count again') + (r.whitelisted ? '; whitelisted' : '') + '\n');
      return 0;
    }
    case 'whitelist': {
      const usage = 'bantop whitelist add|rm IP|CIDR, or bantop whitelist list';
      const sub = rest[0];
      if (sub === 'list') {
        const l = await ask<Array<{ entry: string; addedAt: number; comment: string | null }>>({ cmd: 'whitelist.list' });
        print(ctx, l, () => (l.length ? l.map((e) => `${e.entry}${e.comment ? `  # ${e.comment}` : ''}\n`).join('') : 'the whitelist is empty\n'));
        return 0;
      }
      if (sub !== 'add' && sub !== 'rm') throw new UserError(`unknown whitelist command "${sub ?? ''}"`, { hint: `usage: ${usage}` });
      const entry = target(rest[1], usage, sub === 'add');
      if (sub === 'add') {
        const r = await ask<{ entry: string; unbanned: Array<{ ip: string; jail: string }> }>({ cmd: 'whitelist.add', entry });
        print(ctx, r, () => `whitelisted ${r.entry}${r.unbanned.length ? `; unbanned ${r.unbanned.map((u) => `${u.ip} (${u.jail})`).join(', ')}` : ''}\n`);
      } else {
        const r = await ask<{ entry: string; removed: boolean }>({ cmd: 'whitelist.rm', entry });
        print(ctx, r, () => (r.removed ? `removed ${r.entry} from the whitelist\n` : `${r.entry} was not on the whitelist\n`));
      }
      return 0;
    }
    case 'reload': {
      const r = await ask<{ jails: string[]; added: number; removed: number }>({ cmd: 'reload' });
      print(ctx, r, () => `reloaded: ${r.jails.length} jail(s); firewall brought in line with the store (${r.added} added, ${r.removed} removed)\n`);
      return 0;
    }
    case 'import': {
      const usage = 'bantop import FILE|- [--jail J] [--for DURATION]';
      const arg = rest[0];
      if (!arg) throw new UserError('missing FILE', { hint: `usage: ${usage}` });
      // `-`: standard input, as other tools read it (`curl -s URL | bantop import -`).
      const file = arg === '-' ? 'stdin' : arg;
      let text: string;
      try {
        text = readFileSync(arg === '-' ? 0 : arg, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read ${file}: ${(e as Error).message}`, { hint: `usage: ${usage}` });
      }
      const defJail = jailOpt(ctx);
      const entries = parseBlocklist(text, file).map((e) => ({ ip: e.ip, jail: e.jail ?? defJail, comment: e.comment }));
      const secs = typeof ctx.options['for'] === 'string' ? seconds(ctx.options['for']) : -1;
      const r = await ask<{ added: number; unchanged: number; skipped: Array<{ ip: string; reason: string }> }>({ cmd: 'import', entries, seconds: secs }, BULK_TIMEOUT_MS);
      print(ctx, r, () => `imported ${file}: ${r.added} added, ${r.unchanged} already banned, ${r.skipped.length} skipped\n` +
        r.skipped.map((s) => `  skipped ${s.ip}: ${s.reason}\n`).join(''));
      return 0;
    }
    case 'export': {
      const fmt = validate(z.enum(BLOCKLIST_FORMATS as [BlocklistFormat, ...BlocklistFormat[]]), ctx.options['format'] ?? 'ip,jail', '--format');
      const list = await ask<Array<{ ip: string; jail: string; comment: string }>>({ cmd: 'export' });
      const file = rest[0];
      if (ctx.json && !file) {
        ctx.out.write(JSON.stringify(list) + '\n');
        return 0;
      }
      const text = formatBlocklist(list, fmt);
      if (file) {
        writeFileSync(file, text);
        print(ctx, { file, count: list.length }, () => `exported ${list.length} ban(s) to ${file}\n`);
      } else {
        ctx.out.write(text);
      }
      return 0;
    }
    default:
      throw new UserError(`unknown command "${command}"`, { hint: 'run "bantop --help" for the commands' });
  }
}
