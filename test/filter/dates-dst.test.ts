import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateDetector, dateMatchToTime } from '../../src/filter/dates.js';

// A file of its own: the zone must be set before any date is read (dates.ts remembers hour starts).
const prevTz = process.env['TZ'];
beforeAll(() => { process.env['TZ'] = 'Europe/Berlin'; });
afterAll(() => { process.env['TZ'] = prevTz; });

describe('local dates across daylight-saving changes', () => {
  it('reads every minute around both 2026 changes in Berlin as new Date() would', () => {
    const d = new DateDetector([]);
    const now = Date.UTC(2026, 10, 21);
    const month = ['Mar', 'Oct'] as const;
    for (const [mi, day, jsMonth] of [[0, 29, 2], [1, 25, 9]] as const) {
      for (let h = 0; h < 5; h++) {
        for (let m = 0; m < 60; m += 7) {
          const text = `${month[mi]} ${day} ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:30 host sshd[1]: x`;
          const dm = d.find(text)!;
          expect(dateMatchToTime(dm, now), text).toBe(new Date(2026, jsMonth, day, h, m, 30).getTime());
        }
      }
    }
  });
});
