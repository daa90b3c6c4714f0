import { describe, expect, it } from 'vitest';
import { AbuseReporter, DEFAULT_REPORT, type ReportSettings } from '../../src/report/reporter.js';
import { isReportable } from '../../src/report/private.js';
import { systemClock } from '../../src/util/clock.js';

const settings: ReportSettings = { ...DEFAULT_REPORT, url: 'http://127.0.0.1:9/unused', key: 'k' };

function fakeFetch(statuses: number[]) {
  const calls: string[] = [];
  const fn = (async (_url: string, init: { body: string }) => {
    calls.push(new URLSearchParams(init.body).get('ip')!);
    return new Response('{}', { status: statuses.shift() ?? 200 });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AbuseReporter', () => {
  it('never sends private, loopback, link-local, ULA, network or whitelisted targets', () => {
    for (const ip of ['10.0.0.1', '172.16.5.5', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '203.0.113.0/24']) {
      expect(isReportable(ip), ip).toBe(false);
    }
    expect(isReportable('203.0.113.9')).toBe(true);
    expect(isReportable('2001:db8::1')).toBe(true);
    const f = fakeFetch([]);
    const r = new AbuseReporter({ clock: systemClock, isWhitelisted: (ip) => ip === '198.51.100.1', log: () => {}, fetch: f.fn });
    r.report({ ip: '198.51.100.1', jail: 'sshd', failures: 3, bantime: 600 }, settings);
    r.report({ ip: '10.0.0.1', jail: 'sshd', failures: 3, bantime: 600 }, settings);
    expect(r.stats.skipped).toBe(2);
    expect(f.calls).toEqual([]);
  });

  it('is rate-limited: at most `rate` reports a minute go out, the rest wait', async () => {
    const f = fakeFetch([]);
    const r = new AbuseReporter({ clock: systemClock, isWhitelisted: () => false, log: () => {}, fetch: f.fn });
    for (let i = 1; i <= 5; i++) r.report({ ip: `203.0.113.${i}`, jail: 'sshd', failures: 3, bantime: 600 }, { ...settings, rate: 2 });
    await settle(100);
    expect(f.calls).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(r.stats.queued).toBe(3);
    r.stop();
  });

  it('retries 429 and 5xx with backoff, drops other refusals, and reports both', async () => {
    const f = fakeFetch([503, 429, 200, 400]);
    const logged: string[] = [];
    const r = new AbuseReporter({ clock: systemClock, isWhitelisted: () => false, log: (_l, m) => logged.push(m), fetch: f.fn, backoffMs: 10 });
    r.report({ ip: '203.0.113.7', jail: 'sshd', failures: 3, bantime: 600 }, settings);
    await settle(150);
    expect(f.calls).toEqual(['203.0.113.7', '203.0.113.7', '203.0.113.7']);
    expect(r.stats.sent).toBe(1);
    r.report({ ip: '203.0.113.8', jail: 'sshd', failures: 3, bantime: 600 }, settings);
    await settle(50);
    expect(r.stats.failed).toBe(1);
    expect(logged.join('\n')).toMatch(/report of 203\.0\.113\.8 .* failed: HTTP 400/);
    r.stop();
  });

  it('gives up after `attempts` tries on a server that is down', async () => {
    const fn = (async () => { throw new Error('connect ECONNREFUSED'); }) as unknown as typeof fetch;
    const r = new AbuseReporter({ clock: systemClock, isWhitelisted: () => false, log: () => {}, fetch: fn, backoffMs: 5 });
    r.report({ ip: '203.0.113.9', jail: 'sshd', failures: 3, bantime: 600 }, { ...settings, attempts: 3 });
    await settle(200);
    expect(r.stats).toMatchObject({ sent: 0, failed: 1 });
  });
});
