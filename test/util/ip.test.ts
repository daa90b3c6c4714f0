import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canonicalTarget, canonicalV4, cidrContains, cidrSize, isPeerAddress, maskedNetwork, normalizeIp, parseCidr } from '../../src/util/ip.js';

describe('isPeerAddress', () => {
  it('says what normalizeIp says, less the unspecified address, for every form', () => {
    const cases = ['1.2.3.4', ' 1.2.3.4 ', '[1.2.3.4]', '0.0.0.0', '01.2.3.4', '1.2.3', '::', '::0', '0:0:0:0:0:0:0:0', '::1', '[2001:db8::1]', '2001:DB8::1',
      '::ffff:1.2.3.4', '::ffff:0.0.0.0', '::ffff:0:0', '::ffff:0:1', 'fe80::1%eth0', 'fe80::1%', '1:2:3:4:5:6:7:8:9', 'gggg::1', 'example.com', ''];
    for (const c of cases) {
      const n = normalizeIp(c);
      expect([c, isPeerAddress(c)]).toEqual([c, n !== null && n !== '0.0.0.0' && n !== '::']);
    }
    expect(isPeerAddress('::ffff:0.0.0.0')).toBe(false);
    expect(isPeerAddress('2001:db8::1')).toBe(true);
  });
});

describe('normalizeIp', () => {
  it('keeps IPv4 and collapses IPv4-mapped IPv6', () => {
    expect(normalizeIp('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::ffff:0102:0304')).toBe('1.2.3.4');
  });
  it('writes IPv6 in RFC 5952 form', () => {
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('2001:db8:96:0::ebfc')).toBe('2001:db8:96::ebfc');
    expect(normalizeIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(normalizeIp('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
  });
  it.each(['999.1.1.1', '1.2.3', 'abc', '01.2.3.4', '1.2.3.4; rm -rf /', '', '2001:db8::1::2'])('rejects %j', (s) => {
    expect(normalizeIp(s)).toBeNull();
  });
});

describe('CIDR', () => {
  it('clears host bits and tests membership', () => {
    const c = parseCidr('10.1.2.3/8')!;
    expect(c.address).toBe('10.0.0.0');
    expect(cidrContains(c, '10.255.0.1')).toBe(true);
    expect(cidrContains(c, '11.0.0.1')).toBe(false);
    expect(cidrContains(c, '2001:db8::1')).toBe(false);
    const v6 = parseCidr('2001:db8::/32')!;
    expect(cidrContains(v6, '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains(v6, '2001:db9::1')).toBe(false);
  });
  it('sizes ranges and refuses bad prefixes', () => {
    expect(cidrSize(parseCidr('1.2.3.0/24')!)).toBe(256);
    expect(parseCidr('1.2.3.4/33')).toBeNull();
    expect(parseCidr('1.2.3.4/x')).toBeNull();
    expect(parseCidr('0.0.0.0/0')!.prefix).toBe(0);
  });
  it('tells a CIDR with bits set past its prefix, which a mistyped prefix gives', () => {
    expect(maskedNetwork('203.0.113.0/8')).toEqual({ network: '203.0.0.0/8', addresses: 16_777_216n });
    expect(maskedNetwork(' 2001:db8:1::/16 ')).toEqual({ network: '2001::/16', addresses: 1n << 112n });
    expect(maskedNetwork('::ffff:203.0.113.9/120')).toEqual({ network: '203.0.113.0/24', addresses: 256n });
    expect(maskedNetwork('10.1.2.3/255.0.0.0')).toEqual({ network: '10.0.0.0/8', addresses: 16_777_216n });
    for (const exact of ['203.0.113.0/24', '203.0.113.9', '203.0.113.9/32', '2001:DB8::/32', '::ffff:203.0.113.0/120', '0.0.0.0/0', 'nonsense/8']) {
      expect(maskedNetwork(exact), exact).toBeNull();
    }
  });
});

describe('canonicalTarget', () => {
  it('gives an address alone the same canonical form as the address with its full prefix (the CIDR path)', () => {
    const cases = ['1.2.3.4', ' 1.2.3.4 ', '01.2.3.4', '::1', '::', '2001:DB8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', 'fe80::1%eth0', '::ffff:1.2.3.4',
      '::ffff:0102:0304', '2001:db8:0:0:1:0:0:1', '1:0:0:0:0:0:0:0', '64:ff9b::1.2.3.4', '[2001:db8::1]', 'a:b:c:d:e:f:0:0', 'example.com', '1.2.3', ''];
    // Random addresses with runs of zeros, where the shortest form is easy to get wrong.
    for (let i = 0; i < 2000; i++) cases.push(Array.from({ length: 8 }, (_, k) => ((i * 7919 + k * 104729) % 5 < 2 ? '0' : ((i * 31 + k * 17) % 65536).toString(16))).join(':'));
    for (const c of cases) {
      const n = normalizeIp(c.trim());
      const full = n === null ? null : canonicalTarget(`${c.trim()}/${n.includes(':') ? 128 : c.includes(':') ? 128 : 32}`);
      expect([c, canonicalTarget(c)]).toEqual([c, full]);
    }
  });
});

describe('canonicalV4', () => {
  it('reads a canonical dotted quad as its 32-bit address', () => {
    expect(canonicalV4('0.0.0.0')).toBe(0);
    expect(canonicalV4('1.2.3.4')).toBe(0x01020304);
    expect(canonicalV4('255.255.255.255')).toBe(0xffffffff);
    expect(canonicalV4('10.200.0.1')).toBe(0x0ac80001);
  });

  it('refuses what would not format back to the same text', () => {
    for (const s of ['01.2.3.4', '1.2.3.04', '1.2.3.00', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', '::1', 'host', '1.2.3.4a', '1234.1.1.1', '']) {
      expect(canonicalV4(s), s).toBe(-1);
    }
  });
});

describe('normalizeIp on IPv6 text (one-pass parser)', () => {
  /** The oracle: node's isIPv6 says whether it is an address, the WHATWG URL parser gives RFC 5952 form. */
  function oracle(s: string): string | null {
    if (!isIPv6(s)) return null;
    const bare = s.replace(/%.*$/, '');
    const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (m) {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return host;
  }

  it('accepts exactly what isIPv6 accepts and gives the RFC 5952 form, on edge cases and 20,000 random texts', () => {
    const edge = ['1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', 'fe80::1%', '::ffff:01.2.3.4', '00001::', '1::', '::', '2001:DB8::1', '1:2:3:4:5:6:7:8:9',
      '::1.2.3', '1::1.2.3.4', 'fe80::1%eth0%x', 'fe80::1% e', '::ffff:1.2.3.4%x', '1.2.3.4::', '::1:1.2.3.4', '0:0:0:0:0:ffff:1.2.3.4',
      ':::', ':1::', '1:', ':', '1::2::3', '0001:0DB8:0000:0000:0000:0000:0000:0001', 'g::1', '1:2:3:4:5:6:7:8', '::ffff:256.1.1.1', '::1.2.3.4.5'];
    let seed = 11;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const parts = ['0', '1', 'ff', 'FFFF', 'ffff', 'db8', '2001', '0000', '12345', '', ':', '::', '1.2.3.4', '255.0.0.1', 'g', '%eth0', '.'];
    const random = Array.from({ length: 20_000 }, () => {
      const n = 1 + rand(10);
      let t = '';
      for (let k = 0; k < n; k++) t += parts[rand(parts.length)]! + (rand(3) ? ':' : '');
      return rand(4) ? t.replace(/:$/, '') : t;
    });
    let valid = 0;
    for (const s of [...edge, ...random]) {
      if (isIPv4(s.trim()) || s.trim() !== s || s.includes('[')) continue;
      const want = oracle(s);
      if (want !== null) valid++;
      expect(normalizeIp(s), JSON.stringify(s)).toBe(want);
    }
    expect(valid).toBeGreaterThan(500);
  });
});
