import { formatRanges } from './ports.js';
import { OK, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

/**
 * Changes nothing on the host: keeps the state it would have built, and says
 * what it would have done (the daemon logs it at DEBUG). The demo and the
 * tests without root use it.
 */
export class DryRunBackend implements Backend {
  readonly name = 'dry-run';
  readonly state: FirewallState = new Map();

  constructor(private readonly onAction?: (line: string) => void) {}

  private record(line: string): void {
    this.onAction?.(line);
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    const keys = new Set(targets.map((t) => t.key));
    for (const k of [...this.state.keys()]) if (!keys.has(k)) this.state.delete(k);
    for (const t of targets) {
      if (!this.state.has(t.key)) this.state.set(t.key, new Set());
      this.record(`would set up ${t.key}: ${t.ports.all ? 'all ports' : `ports ${formatRanges(t.ports, '-')}`} ${t.protocol}`);
    }
    return OK;
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    for (const c of changes) {
      let set = this.state.get(c.target);
      if (!set) this.state.set(c.target, (set = new Set()));
      if (c.op === 'add') set.add(c.ip);
      else set.delete(c.ip);
      this.record(`would ${c.op === 'add' ? 'block' : 'unblock'} ${c.ip} in ${c.target}`);
    }
    return OK;
  }

  async read(): Promise<FirewallState> {
    return new Map([...this.state].map(([k, v]) => [k, new Set(v)]));
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async teardown(): Promise<FirewallResult> {
    this.state.clear();
    this.record('would remove everything');
    return OK;
  }

  async close(): Promise<void> {}
}
