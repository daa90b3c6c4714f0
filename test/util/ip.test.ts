import { describe, expect, it } from 'vitest';
import { canonicalV4, cidrContains, cidrSize, normalizeIp, parseCidr } from '../../src/util/ip.js';

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
