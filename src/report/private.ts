import { cidrContains, isNetwork, parseCidr, type Cidr } from '../util/ip.js';

/** Ranges that are nobody's to report: private, shared, loopback, link-local, multicast, unspecified (RFC 6890). */
const NOT_PUBLIC: Cidr[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16',
  '224.0.0.0/4', '240.0.0.0/4',
  // No ::ffff:0:0/96: IPv4-mapped addresses arrive normalised to IPv4 (and would parse as 0.0.0.0/0).
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8',
].map((c) => parseCidr(c)!);

/** Whether an address may be reported to a public abuse database: a single, public address. */
export function isReportable(target: string): boolean {
  if (isNetwork(target)) return false;
  return !NOT_PUBLIC.some((c) => cidrContains(c, target));
}
