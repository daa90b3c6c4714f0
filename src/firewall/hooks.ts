/**
 * Where a native action's rules meet traffic, from fail2ban's own options:
 * `chain` for the iptables and ipset actions (the filter chain their jump is
 * inserted into; Docker hosts set DOCKER-USER, routers FORWARD), `chain_hook`
 * for the nftables ones (input or forward). The defaults (INPUT, input, and
 * `<known/chain>`, jail.conf's way of leaving the action's own) are null.
 */
export function hookOf(action: string, args: Readonly<Record<string, string>>): string | null {
  if (action.startsWith('iptables')) {
    const chain = args['chain']?.trim();
    if (chain === undefined || chain === '' || chain.includes('<') || chain === 'INPUT') return null;
    if (!IPTABLES_CHAIN.test(chain) || chain.startsWith('bantop')) {
      throw new HookError(`chain "${chain.slice(0, 40)}" is not an iptables chain bantop can hook into`, 'give a filter-table chain such as INPUT, FORWARD or DOCKER-USER');
    }
    return chain;
  }
  if (action.startsWith('nftables')) {
    const hook = args['chain_hook']?.trim().toLowerCase();
    if (hook === undefined || hook === '' || hook === 'input') return null;
    if (!NFT_HOOKS.includes(hook)) {
      throw new HookError(`chain_hook "${hook.slice(0, 40)}": bantop's nftables table filters at ${NFT_HOOKS.join(' or ')}`,
        'use chain_hook = forward for traffic routed through this host (containers, VMs), or leave it out');
    }
    return hook;
  }
  return null;
}

/** An iptables chain name (28 characters at most); bantop's own are not hooks. */
const IPTABLES_CHAIN = /^[A-Za-z0-9_][\w.\-]{0,27}$/;
const NFT_HOOKS = ['input', 'forward'];

export class HookError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}
