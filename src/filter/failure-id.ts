/**
 * The groups that say whom a failure is from. fail2ban refuses a failregex
 * that has none of them, itself or in its filter's prefregex ("No
 * failure-id group"): its matches would name nobody to ban, and a filter
 * name mistyped on fail2ban-regex's command line (taken as a regex) would
 * quietly match nothing. `mlfid` counts: a session's host may come on a
 * later line.
 */
const FAILURE_ID_GROUPS = ['fid', 'ip4', 'ip6', 'dns', 'mlfid'] as const;

/** `groups`: a regex's group names (a CompiledRegex, or CompiledRegex.groupsOf()). */
export function hasFailureId(groups: { has(name: string): boolean }): boolean {
  return FAILURE_ID_GROUPS.some((g) => groups.has(g));
}

export const NO_FAILURE_ID = 'has no failure-id group, so a match would name no host';
export const FAILURE_ID_HINT = 'a failregex needs <HOST>, <ADDR>, <IP4>, <IP6>, <DNS>, <SUBNET>, <F-ID> or <F-MLFID>';
