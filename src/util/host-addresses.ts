import { hostname, networkInterfaces } from 'node:os';
import { normalizeIp } from './ip.js';

/** This host's own addresses, for `ignoreself` (read at the edge, passed into the core). */
export function hostAddresses(): string[] {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const ip = normalizeIp(a.address);
      if (ip) out.add(ip);
    }
  }
  return [...out];
}

/** This host's name, for actions' `<fq-hostname>` and `<sh-hostname>`: the short one is its first label. */
export function localHostNames(): { fq: string; short: string } {
  const fq = hostname();
  return { fq, short: fq.split('.')[0]! };
}
