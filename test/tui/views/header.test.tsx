import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { Status } from '../../../src/tui/source.js';
import { Header } from '../../../src/tui/views/header.js';

const status = (fleet: unknown) => ({
  host: 'web1', firewall: 'nftables', uptime: 3725, operators: [], fleet,
  totals: { bans: 12, permanentBans: 3, failuresLastMinute: 42, whitelist: 0 },
}) as unknown as Status;

describe('Header', () => {
  it('shows the mode, the firewall, the fleet with its lag or DOWN, the totals and the protected address', () => {
    const up = render(<Header status={status({ name: 'web-1', connected: true, lagMs: 7 })} modeLabel="attached /run/bantop.sock" paused={false} operator="198.51.100.7" bansFallback={0} width={100} />);
    expect(up.lastFrame()).toContain('bantop web1 │ attached /run/bantop.sock │ nftables │ fleet web-1 lag 7ms │ up 1h2m5s');
    expect(up.lastFrame()).toContain('fail/min 42  bans 12  permanent 3  │ protected: 198.51.100.7');
    const down = render(<Header status={status({ name: 'web-1', connected: false, lagMs: 0 })} modeLabel="embedded" paused bansFallback={0} operator="" width={100} />);
    expect(down.lastFrame()).toContain('fleet web-1 DOWN │ up 1h2m5s │ PAUSED');
    expect(down.lastFrame()).toContain('protected: none (not over SSH)');
    const alone = render(<Header status={status(null)} modeLabel="embedded" paused={false} bansFallback={0} operator="" width={100} />);
    expect(alone.lastFrame()).not.toContain('fleet');
  });
});
