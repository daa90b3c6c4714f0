import { UserError } from '../util/errors.js';

/** One LOG rule: probes of `port`/`protocol` are logged with `prefix`, which the closed-ports filter reads back. */
export interface ProbeRule {
  port: number;
  protocol: 'tcp' | 'udp';
  service: string;
  prefix: string;
}

export interface PortEntry {
  port: number;
  protocols: Array<'tcp' | 'udp'>;
  service: string;
}

/** iptables' LOG target takes at most 29 characters of prefix. */
export const MAX_PREFIX = 29;
export const PORTS_TABLE = 'bantop_ports';
export const PORTS_CHAIN = 'bantop-ports';
/** Rate of LOG lines per rule: a flood must not fill kern.log. */
const LIMIT = { rate: 10, burst: 20 };

/** `[ssh-blocked-port-22] `: the trailing space keeps the kernel's "IN=" apart. */
export function probePrefix(service: string, port: number): string {
  const tail = `-blocked-port-${port}] `;
  const room = MAX_PREFIX - tail.length - 1;
  const name = service.replace(/[^\w.-]/g, '-').slice(0, Math.max(1, room)) || 'port';
  return `[${name}${tail}`;
}

/** Reads the common-ports table (`port protocol service description`), naming file and line on a bad row. */
export function parsePortTable(text: string, file: string): PortEntry[] {
  const out: PortEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [port, proto, service] = line.split(/\s+/);
    const n = Number(port);
    const protocols = (proto ?? '').split('/');
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`${file}:line ${i + 1} [port]: "${port}" is not a port`);
    if (!protocols.every((p) => p === 'tcp' || p === 'udp')) throw new UserError(`${file}:line ${i + 1} [protocol]: "${proto}" is not tcp, udp or tcp/udp`);
    if (!service || !/^[\w.-]+$/.test(service)) throw new UserError(`${file}:line ${i + 1} [service]: missing or bad service name`);
    out.push({ port: n, protocols: protocols as Array<'tcp' | 'udp'>, service });
  });
  return out;
}

/**
 * `--ports 22,3306,53/udp,8000-8002/tcp`: a port without a protocol takes the
 * table's protocols for it (tcp when the table does not list it), and the
 * table's service name (else /etc/services', else "port").
 */
export function parsePortList(text: string, table: PortEntry[], serviceName: (port: number, proto: string) => string | undefined): PortEntry[] {
  const out: PortEntry[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(part);
    if (!m) throw new UserError(`--ports: "${part}" is not a port, range or port/protocol`, { hint: 'e.g. --ports 22,3306,53/udp,8000-8002/tcp' });
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (lo < 1 || hi > 65535 || hi < lo) throw new UserError(`--ports: "${part}" is out of range (1-65535)`);
    if (hi - lo > 1024) throw new UserError(`--ports: "${part}" spans more than 1024 ports`, { hint: 'one LOG rule per port; narrow the range' });
    for (let p = lo; p <= hi; p++) {
      const known = table.find((e) => e.port === p);
      const protocols: Array<'tcp' | 'udp'> = m[3] ? [m[3] as 'tcp' | 'udp'] : known?.protocols ?? ['tcp'];
      out.push({ port: p, protocols, service: known?.service ?? serviceName(p, protocols[0]!) ?? 'port' });
    }
  }
  return out;
}

export function probeRules(entries: PortEntry[]): ProbeRule[] {
  const seen = new Set<string>();
  const out: ProbeRule[] = [];
  for (const e of entries) {
    for (const protocol of e.protocols) {
      const k = `${e.port}/${protocol}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ port: e.port, protocol, service: e.service, prefix: probePrefix(e.service, e.port) });
    }
  }
  return out;
}

/**
 * An nft script that replaces bantop's LOG table in one transaction. It runs
 * before other input chains (priority filter - 2), so a default-drop firewall
 * does not hide the probes; only new TCP connections (SYN) are logged.
 */
export function nftScript(rules: ProbeRule[]): string {
  const body = rules.map((r) => {
    const match = r.protocol === 'tcp' ? `tcp dport ${r.port} tcp flags & (syn | ack) == syn` : `udp dport ${r.port}`;
    return `    ${match} limit rate ${LIMIT.rate}/second burst ${LIMIT.burst} packets log prefix "${r.prefix}" level info`;
  });
  return `table inet ${PORTS_TABLE}\ndelete table inet ${PORTS_TABLE}\n` +
    `table inet ${PORTS_TABLE} {\n  chain input {\n    type filter hook input priority filter - 2; policy accept;\n` +
    body.map((l) => `${l}\n`).join('') + '  }\n}\n';
}

/** The rules of chain `bantop-ports`, as iptables/ip6tables arguments (after `-A bantop-ports`). */
export function iptablesRuleArgs(r: ProbeRule): string[] {
  return [
    '-p', r.protocol, ...(r.protocol === 'tcp' ? ['--syn'] : []), '--dport', String(r.port),
    '-m', 'limit', '--limit', `${LIMIT.rate}/second`, '--limit-burst', String(LIMIT.burst),
    '-j', 'LOG', '--log-prefix', r.prefix, '--log-level', 'info',
  ];
}

const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** What `--apply` runs for iptables, printed as shell commands for review. */
export function iptablesScript(rules: ProbeRule[]): string {
  let s = '';
  for (const bin of ['iptables', 'ip6tables']) {
    s += `${bin} -N ${PORTS_CHAIN} 2>/dev/null || ${bin} -F ${PORTS_CHAIN}\n`;
    for (const r of rules) s += `${bin} -A ${PORTS_CHAIN} ${iptablesRuleArgs(r).map(shellQuote).join(' ')}\n`;
    s += `${bin} -C INPUT -j ${PORTS_CHAIN} 2>/dev/null || ${bin} -I INPUT 1 -j ${PORTS_CHAIN}\n`;
  }
  return s;
}

/** Local ports with a listener (TCP LISTEN, bound UDP), from /proc/net: those are not closed. */
export function listeningPorts(tables: Array<{ protocol: 'tcp' | 'udp'; text: string }>): Set<string> {
  const out = new Set<string>();
  for (const { protocol, text } of tables) {
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      const port = parseInt(f[1]!.split(':').pop()!, 16);
      const state = f[3];
      if (protocol === 'tcp' ? state === '0A' : state === '07') out.add(`${port}/${protocol}`);
    }
  }
  return out;
}
