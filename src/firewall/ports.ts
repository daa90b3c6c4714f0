import { readFileSync } from 'node:fs';

/** Which destination ports a jail's ban covers. */
export type PortSpec = { all: true } | { all: false; ranges: Array<[number, number]> };

export const PROTOCOLS = ['tcp', 'udp', 'sctp', 'udplite', 'all'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

// Used when /etc/services is missing (minimal containers); the names jails use most.
const FALLBACK_SERVICES: Record<string, number> = {
  ftp: 21, 'ftp-data': 20, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap: 143, imap2: 143,
  https: 443, smtps: 465, submission: 587, submissions: 465, imaps: 993, pop3s: 995, sieve: 4190, mysql: 3306,
  postgresql: 5432, 'ms-wbt-server': 3389, 'http-alt': 8080, ldap: 389, ldaps: 636, microsoft_ds: 445, 'microsoft-ds': 445,
  ntp: 123, snmp: 161, tftp: 69, 'webcache': 8080, asterisk: 5038, sip: 5060,
};

let services: Map<string, number> | undefined;
/** `port/proto` → the first name /etc/services gives it. */
let names: Map<string, string> | undefined;

function serviceTable(): Map<string, number> {
  if (services) return services;
  services = new Map(Object.entries(FALLBACK_SERVICES));
  names = new Map();
  try {
    for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
      const m = /^([\w.+\-]+)\s+(\d+)\/(\w+)(.*)$/.exec(line.replace(/#.*/, ''));
      if (!m) continue;
      const port = Number(m[2]);
      if (!names.has(`${port}/${m[3]}`)) names.set(`${port}/${m[3]}`, m[1]!);
      for (const name of [m[1]!, ...m[4]!.trim().split(/\s+/).filter(Boolean)]) if (!services.has(name)) services.set(name, port);
    }
  } catch { /* the fallback table serves */ }
  return services;
}

/** The /etc/services name of a port, if it has one. */
export function serviceName(port: number, protocol: string): string | undefined {
  serviceTable();
  return names!.get(`${port}/${protocol}`);
}

export class PortError extends Error {}

/**
 * fail2ban's `port` value: numbers, service names and ranges (`a:b` or `a-b`),
 * comma separated. A range over every port, or `all`/`any`, means all ports.
 */
export function parsePorts(text: string): PortSpec {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'all' || t === 'any') return { all: true };
  const ranges: Array<[number, number]> = [];
  for (const part of t.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([\w\-]+)(?:[:\-](\d+))?$/.exec(part);
    const lone = /^\d+$/.test(part) ? Number(part) : undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    if (lone !== undefined) lo = hi = lone;
    else if (/^\d+[:\-]\d+$/.test(part)) [lo, hi] = part.split(/[:\-]/).map(Number) as [number, number];
    else if (m && serviceTable().has(part)) lo = hi = serviceTable().get(part)!;
    if (lo === undefined || hi === undefined || lo > hi || hi > 65535) {
      throw new PortError(`"${part}" is not a port, port range or known service name`);
    }
    ranges.push([lo, hi]);
  }
  if (ranges.some(([lo, hi]) => lo <= 1 && hi === 65535)) return { all: true };
  return { all: false, ranges };
}

export function parseProtocol(text: string): Protocol {
  const t = text.trim().toLowerCase();
  if ((PROTOCOLS as readonly string[]).includes(t)) return t as Protocol;
  throw new PortError(`"${text}" is not a protocol (use ${PROTOCOLS.join(', ')})`);
}

/** `22,80-90` for nft sets and `22,80:90` for iptables multiport. */
export function formatRanges(spec: PortSpec, sep: '-' | ':'): string {
  if (spec.all) return '';
  return spec.ranges.map(([a, b]) => (a === b ? String(a) : `${a}${sep}${b}`)).join(',');
}
