import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { redactUrl } from '../../src/fleet/settings.js';
import { configError } from '../support/config-error.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-fleet-settings-'));
  cpSync(ASSETS, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const local = (text: string) => writeFileSync(join(dir, 'bantop.local'), text);


describe('[fleet] in bantop.conf', () => {
  it('is off without the section, and defaults the name to the host name and share to all three', () => {
    expect(loadSettings(dir).fleet).toBeNull();
    local('[fleet]\nredis = rediss://:s3cret@10.0.0.5:6380/2\n');
    const f = loadSettings(dir).fleet!;
    expect(f.redis).toBe('rediss://:s3cret@10.0.0.5:6380/2');
    expect(f.name).toBe(hostname().split('.')[0]);
    expect([...f.share]).toEqual(['permanent', 'escalation', 'manual']);
    expect(f.key).toBe('bantop');
    expect(redactUrl(f.redis)).toBe('rediss://:***@10.0.0.5:6380/2');
  });

  it.each([
    ['[fleet]\nname = web-1\n', /bantop\.local:line 1 \[\[fleet\] redis\]: the \[fleet\] section needs redis = redis:\/\/HOST:6379\/0/],
    ['[fleet]\nredis = http://10.0.0.5\n', /bantop\.local:line 2 \[\[fleet\] redis\]: must be a redis:\/\/ or rediss:\/\/ URL/],
    ['[fleet]\nredis = redis://10.0.0.5\nname = web 1\n', /bantop\.local:line 3 \[\[fleet\] name\]: must be 1-64 letters/],
    ['[fleet]\nredis = redis://10.0.0.5\nshare = permanent, everything\n', /bantop\.local:line 3 \[\[fleet\] share\]: each item must be one of permanent, escalation, manual/],
  ])('refuses %j naming the file, line and key, exit 2', (text, message) => {
    local(text);
    const e = configError(() => loadSettings(dir));
    expect(e.message).toMatch(message);
    expect(e.exitCode).toBe(2);
  });
});
