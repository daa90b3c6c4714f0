import { detach } from './detach.js';

/**
 * Addresses are kept in one canonical text form everywhere (store keys,
 * firewall elements, whitelist lookups): IPv4 dotted quad, IPv6 in RFC 5952
 * form, and IPv4-mapped IPv6 collapsed to IPv4 so `::ffff:1.2.3.4` and
 * `1.2.3.4` are the same offender.
 */
export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Canonical network address (host bits cleared). */
  address: string;
  prefix: number;
  /** Network as a bigint, for containment checks. */
  net: bigint;
}

function v4ToBig(ip: string): bigint {
  let n = 0n;
  for (const part of ip.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function bigToV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 0xffn)).join('.');
}

/**
 * The eight 16-bit words of an IPv6 address in text (RFC 4291 2.2: up to four
 * hex digits a group, one `::`, a dotted-quad tail, a `%zone`), or null when
 * the text is not one. It accepts exactly what node's isIPv6 accepts, in one
 * pass: isIPv6's regex and a split-and-map parse cost 2.7 us an address, and a
 * log from an IPv6 attack is mostly IPv6 failures.
 */
function v6Words(s: string): number[] | null {
  let end = s.length;
  const zone = s.indexOf('%');
  if (zone >= 0) {
    if (zone === end - 1 || !ZONE.test(s.slice(zone + 1))) return null;
    end = zone;
  }
  const words: number[] = [];
  let gap = -1;
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let j = i;
    let v = 0;
    for (; j < end && j - i < 5; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // A dotted-quad tail: the last two words.
      const q = canonicalV4(s.slice(i, end));
      if (q < 0 || words.length > 6) return null;
      words.push(Math.floor(q / 65536), q % 65536);
      break;
    }
    if (j === i || j - i > 4) return null;
    words.push(v);
    if (j === end) break;
    if (s.charCodeAt(j) !== 58 || j + 1 === end) return null;
    j++;
    if (s.charCodeAt(j) === 58) {
      if (gap >= 0) return null;
      gap = words.length;
      j++;
    }
    i = j;
  }
  if (gap < 0) return words.length === 8 ? words : null;
  if (words.length > 7) return null;
  const out = [0, 0, 0, 0, 0, 0, 0, 0];
  const tail = words.length - gap;
  for (let k = 0; k < gap; k++) out[k] = words[k]!;
  for (let k = 0; k < tail; k++) out[8 - tail + k] = words[gap + k]!;
  return out;
}

/** node's isIPv6 allows these in a zone id. */
const ZONE = /^[0-9a-zA-Z\-.:]+$/;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function v6ToBig(ip: string): bigint {
  let n = 0n;
  for (const w of v6Words(ip) ?? []) n = (n << 16n) | BigInt(w);
  return n;
}

function bigToV6(n: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return formatV6(words);
}

/** Eight 16-bit words in RFC 5952 text. */
function formatV6(words: number[]): string {
  // RFC 5952: compress the longest run (length >= 2) of zero words, leftmost on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += words[i]!.toString(16);
  }
  return out;
}

/** Canonical form of an address, or null when it is not a valid IP. */
export function normalizeIp(raw: string): string | null {
  // The common case, a canonical dotted quad, without the general parser.
  if (canonicalV4(raw) >= 0) return detach(raw);
  const a = parseAddress(raw);
  if (a === null) return null;
  if (typeof a === 'string') return a;
  if (isMappedV4(a)) return `${a[6]! >> 8}.${a[6]! & 0xff}.${a[7]! >> 8}.${a[7]! & 0xff}`;
  return formatV6(a);
}

/**
 * Whether `raw` is an address a peer can have: valid, and not the
 * unspecified address (0.0.0.0, ::, ::ffff:0.0.0.0). normalizeIp() without
 * the text it builds: the filter asks this of every IPv6 failure it counts.
 */
export function isPeerAddress(raw: string): boolean {
  const q = canonicalV4(raw);
  if (q >= 0) return q !== 0;
  const a = parseAddress(raw);
  if (a === null) return false;
  if (typeof a === 'string') return a !== '0.0.0.0';
  if (isMappedV4(a)) return a[6] !== 0 || a[7] !== 0;
  return a.some((w) => w !== 0);
}

/** `raw` without spaces and brackets: a canonical dotted quad as it is, else an IPv6 address's words; null if neither. */
function parseAddress(raw: string): string | number[] | null {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  // Leading zeros are ambiguous (octal in some tools): canonicalV4 refuses them rather than guess.
  if (canonicalV4(s) >= 0) return s;
  return v6Words(s);
}

function isMappedV4(w: number[]): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff;
}

/** The address of a canonical dotted quad (no leading zeros) as a number, or -1. */
export function canonicalV4(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

export function ipFamily(ip: string): Family {
  return ip.includes(':') ? 6 : 4;
}

/** Parse `1.2.3.0/24`, `2001:db8::/32` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrPart = slash >= 0 ? text.slice(0, slash) : text;
  const ip = normalizeIp(addrPart);
  if (ip === null) return null;
  const family = ipFamily(ip);
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(p)) {
      prefix = Number(p);
      // A mapped address given with a v6 prefix length keeps its meaning.
      if (family === 4 && addrPart.includes(':')) prefix -= 96;
    } else {
      // fail2ban also reads a netmask (10.0.0.0/255.0.0.0), as ignoreip lists often write it; only one of leading ones.
      const m = normalizeIp(p);
      if (m === null || ipFamily(m) !== family) return null;
      const b = (family === 4 ? v4ToBig(m) : v6ToBig(m)).toString(2).padStart(bits, '0');
      if (!/^1*0*$/.test(b)) return null;
      prefix = b.includes('0') ? b.indexOf('0') : bits;
    }
    if (prefix < 0 || prefix > bits) return null;
  }
  const value = family === 4 ? v4ToBig(ip) : v6ToBig(ip);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  const net = value & mask;
  return { family, address: family === 4 ? bigToV4(net) : bigToV6(net), prefix, net };
}

export function cidrToString(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

export function ipToBig(ip: string): bigint {
  return ipFamily(ip) === 4 ? v4ToBig(ip) : v6ToBig(ip);
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const family = ipFamily(ip);
  if (family !== c.family) return false;
  const bits = family === 4 ? 32 : 128;
  if (c.prefix === 0) return true;
  const shift = BigInt(bits - c.prefix);
  return ipToBig(ip) >> shift === c.net >> shift;
}

/** How many addresses a CIDR covers (capped, for "more than 256" checks). */
export function cidrSize(c: Cidr): number {
  const bits = (c.family === 4 ? 32 : 128) - c.prefix;
  return bits >= 52 ? Number.MAX_SAFE_INTEGER : 2 ** bits;
}

/** True for a single address or a CIDR; used to validate user input. */
export function isIpOrCidr(text: string): boolean {
  return parseCidr(text) !== null;
}

/**
 * The one text form of a ban target: a plain canonical address, or `net/prefix`
 * with host bits cleared (a /32 or /128 is just the address). Null if invalid.
 */
export function canonicalTarget(text: string): string | null {
  // An address alone is its normalised form; the CIDR path's big-integer arithmetic cost the lockout check
  // (canonical forms of this host's addresses, loopback and operators, at every ban) a quarter of an import.
  if (!text.includes('/')) return normalizeIp(text.trim());
  const c = parseCidr(text.trim());
  if (c === null) return null;
  return c.prefix === (c.family === 4 ? 32 : 128) ? c.address : cidrToString(c);
}

/**
 * What a CIDR written with bits set past its prefix is said to be wrong about
 * (`203.0.113.0/8` is the network 203.0.0.0/8), or null for an address or an
 * exact network. Firewalls mask such a CIDR silently; typed by hand, it is
 * most often a mistyped prefix, and a ban 65,536 times as wide as meant.
 */
export function maskedNetwork(text: string): { network: string; addresses: bigint } | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) return null;
  const c = parseCidr(t);
  if (c === null || normalizeIp(t.slice(0, slash)) === c.address) return null;
  return { network: cidrToString(c), addresses: 1n << BigInt((c.family === 4 ? 32 : 128) - c.prefix) };
}

/** maskedNetwork's finding as a sentence, for the CLI and the TUI. */
export function maskedNetworkMessage(text: string, m: { network: string; addresses: bigint }): string {
  return `"${text.trim().slice(0, 100)}" has bits set past its prefix: it is the network ${m.network} (${m.addresses.toLocaleString('en-US')} addresses)`;
}

export function isNetwork(target: string): boolean {
  return target.includes('/');
}

/** Does the ban target (address or CIDR) cover `ip`? */
export function targetCovers(target: string, ip: string): boolean {
  if (!isNetwork(target)) return target === ip;
  const c = parseCidr(target);
  return c !== null && cidrContains(c, ip);
}
