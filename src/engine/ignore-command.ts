import { fieldGroupName } from '../filter/host-tags.js';

/**
 * A jail's `ignorecommand`: fail2ban asks it about each failure, and an exit
 * status of 0 means "never count this address". The answer comes from a
 * process, later; meanwhile the failures wait here, in order, so that none is
 * counted before the answer and none is lost. `ignorecache` keeps answers for
 * a while (without it, as in fail2ban, each failure asks again, but failures
 * that come while a question is open share its answer).
 *
 * Answers are kept by the cache's key: the address by default (`<ip>`), or
 * any template of the failure's tags, as fail2ban fills it for each failure
 * (`key="<F-USER>@<ip>"` asks again for each user an address tries).
 */

export interface IgnoreCache {
  /** Answers kept at most this long, ms. */
  maxTimeMs: number;
  /** And at most this many; the oldest go first. */
  maxCount: number;
  /** The key's template; absent: `<ip>`. */
  key?: string | undefined;
}

const KEY_TAG = /<([^ <>]+)>/g;
const FAILURE_TAGS = new Set(['ip', 'fid', 'family']);

/** The key under which a failure's answer is kept (and its question shared). */
export function ignoreCacheKey(template: string | undefined, ip: string, fields: Readonly<Record<string, string>>): string {
  if (template === undefined || template === '<ip>') return ip;
  return template.replace(KEY_TAG, (whole, tag: string) => {
    if (tag === 'ip') return ip;
    if (tag === 'fid') return fields['fid'] ?? ip;
    if (tag === 'family') return ip.includes(':') ? 'inet6' : 'inet4';
    // A capture the failure lacks is empty, as fail2ban fills it.
    if (tag.startsWith('F-')) return fields[fieldGroupName(tag.slice(2))] ?? '';
    return whole;
  });
}

/** Tags of a key template that a failure does not have (kept as written, so they do not tell failures apart). */
export function unknownCacheKeyTags(template: string): string[] {
  return [...template.matchAll(KEY_TAG)].map((m) => m[1]!).filter((t) => !FAILURE_TAGS.has(t) && !/^F-[A-Za-z][\w-]*$/.test(t)).map((t) => `<${t}>`);
}

export class IgnoreCommandState<F> {
  private readonly answers = new Map<string, { ignored: boolean; until: number }>();
  private readonly waiting = new Map<string, F[]>();

  constructor(private readonly cache: IgnoreCache | null) {}

  /** The failure's key (ignoreCacheKey). */
  keyOf(ip: string, fields: Readonly<Record<string, string>>): string {
    return ignoreCacheKey(this.cache?.key, ip, fields);
  }

  /** The kept answer for `key`, or undefined when the command must be asked. */
  answer(key: string, now: number): boolean | undefined {
    const a = this.answers.get(key);
    if (a === undefined) return undefined;
    if (a.until > now) return a.ignored;
    this.answers.delete(key);
    return undefined;
  }

  /** Queue a failure; true when it is the first of its key, and the command must be started. */
  wait(key: string, failure: F): boolean {
    const list = this.waiting.get(key);
    if (list !== undefined) {
      list.push(failure);
      return false;
    }
    this.waiting.set(key, [failure]);
    return true;
  }

  /** The command answered: the failures that waited for it, in order. */
  settle(key: string, ignored: boolean, now: number): F[] {
    const list = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    if (this.cache !== null && this.cache.maxCount > 0) {
      this.answers.delete(key);
      this.answers.set(key, { ignored, until: now + this.cache.maxTimeMs });
      while (this.answers.size > this.cache.maxCount) this.answers.delete(this.answers.keys().next().value!);
    }
    return list;
  }
}
