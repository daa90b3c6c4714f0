import { describe, expect, it } from 'vitest';
import { formatRanges, parsePorts, parseProtocol } from '../../src/firewall/ports.js';

describe('ports', () => {
  it('reads numbers, ranges and service names as fail2ban jails write them', () => {
    expect(parsePorts('ssh')).toEqual({ all: false, ranges: [[22, 22]] });
    expect(parsePorts('http,https, 8000:8010')).toEqual({ all: false, ranges: [[80, 80], [443, 443], [8000, 8010]] });
    expect(formatRanges(parsePorts('smtp,465,submission'), ':')).toBe('25,465,587');
    expect(formatRanges(parsePorts('8000-8010'), '-')).toBe('8000-8010');
  });

  it('treats a range over every port, or "all", as all ports', () => {
    expect(parsePorts('0:65535')).toEqual({ all: true });
    expect(parsePorts('1:65535')).toEqual({ all: true });
    expect(parsePorts('all')).toEqual({ all: true });
  });

  it('rejects what is not a port', () => {
    expect(() => parsePorts('nosuchservice')).toThrow(/"nosuchservice" is not a port/);
    expect(() => parsePorts('70000')).toThrow();
    expect(() => parsePorts('90:80')).toThrow();
    expect(() => parsePorts('22;reboot')).toThrow();
    expect(parseProtocol('UDP')).toBe('udp');
    expect(() => parseProtocol('icmp; ls')).toThrow(/not a protocol/);
  });
});
