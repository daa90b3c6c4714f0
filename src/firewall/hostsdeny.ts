import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { canonicalTarget } from '../util/ip.js';
import { OK, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

const TAG = '# bantop ';

/**
 * hosts.deny for TCP-wrapped services: one `ALL: address  # bantop <target>`
 * line per ban target. Only lines carrying bantop's tag are ever changed, and
 * the file is replaced atomically so a reader never sees half of it.
 */
export class HostsDenyBackend implements Backend {
  readonly name = 'hostsdeny';

  constructor(private readonly path = '/etc/hosts.deny', private readonly daemons = 'ALL') {}

  private lines(): string[] {
    return existsSync(this.path) ? readFileSync(this.path, 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') : [];
  }

  private write(lines: string[]): FirewallResult {
    try {
      const tmp = `${this.path}.bantop-tmp`;
      const mode = existsSync(this.path) ? statSync(this.path).mode & 0o777 : 0o644;
      writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '', { mode });
      renameSync(tmp, this.path);
      return OK;
    } catch (e) {
      return { ok: false, exitCode: 1, stderr: `${this.path}: ${(e as Error).message}` };
    }
  }

  private static parse(line: string): { target: string; ip: string } | null {
    const at = line.indexOf(TAG);
    if (at < 0) return null;
    const m = /^[^:]+:\s*\[?([0-9a-fA-F:.]+)\]?(\/\d+)?\s*$/.exec(line.slice(0, at));
    if (!m) return null;
    const ip = canonicalTarget(`${m[1]}${m[2] ?? ''}`);
    return ip ? { target: line.slice(at + TAG.length).trim(), ip } : null;
  }

  private format(target: string, ip: string): string {
    const [addr, len] = ip.split('/');
    const host = addr!.includes(':') ? `[${addr}]${len ? `/${len}` : ''}` : ip;
    return `${this.daemons}: ${host}  ${TAG}${target}`;
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    const keys = new Set(targets.map((t) => t.key));
    const lines = this.lines();
    const kept = lines.filter((l) => {
      const p = HostsDenyBackend.parse(l);
      return !p || keys.has(p.target);
    });
    return kept.length === lines.length ? OK : this.write(kept);
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    const lines = this.lines();
    const present = new Set<string>();
    const dels = new Set(changes.filter((c) => c.op === 'del').map((c) => `${c.target} ${c.ip}`));
    const kept: string[] = [];
    for (const l of lines) {
      const p = HostsDenyBackend.parse(l);
      if (p) {
        const k = `${p.target} ${p.ip}`;
        if (dels.has(k) || present.has(k)) continue;
        present.add(k);
      }
      kept.push(l);
    }
    for (const c of changes) {
      const k = `${c.target} ${c.ip}`;
      if (c.op === 'add' && !present.has(k)) {
        present.add(k);
        kept.push(this.format(c.target, c.ip));
      }
    }
    return this.write(kept);
  }

  async read(): Promise<FirewallState> {
    const st: FirewallState = new Map();
    for (const l of this.lines()) {
      const p = HostsDenyBackend.parse(l);
      if (!p) continue;
      let s = st.get(p.target);
      if (!s) st.set(p.target, (s = new Set()));
      s.add(p.ip);
    }
    return st;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async teardown(): Promise<FirewallResult> {
    return this.setup([]);
  }

  async close(): Promise<void> {}
}
