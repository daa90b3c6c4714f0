import * as nodeModule from 'node:module';

/**
 * Ink 6.8 measures every text it lays out through a module-level Map that is
 * never pruned (vadimdemedes/ink#986), so every distinct string the TUI ever
 * drew stayed in memory: a log tail and an uptime clock meant a leak of about
 * 2.5 MB a minute at 5,000 lines/s (heap after full GCs, 35 MB to 60 MB in
 * ten minutes; the heap snapshot showed the strings held by measureText's
 * cache). Ink exports nothing to reach that Map, so its module is swapped at
 * load time for one with the same function and a bounded cache, through
 * Node's module hooks. The swap happens only when the file is still the one
 * this was written against; any other Ink is loaded as it is.
 */
const HOOKS = `
const SIGNATURE = ['const cache = new Map();', 'cache.set(text, dimensions);', 'export default measureText;'];
const BOUNDED = \`import widestLine from 'widest-line';
const LIMIT = 4000;
const cache = new Map();
// A live iterator at the front (see util/lru-map.ts): a fresh keys() per drop walks every deleted slot.
const oldest = cache.keys();
const measureText = (text) => {
  if (text.length === 0) return { width: 0, height: 0 };
  const hit = cache.get(text);
  if (hit) return hit;
  const dimensions = { width: widestLine(text), height: text.split('\\\\n').length };
  if (cache.size >= LIMIT) cache.delete(oldest.next().value);
  cache.set(text, dimensions);
  return dimensions;
};
export default measureText;
\`;
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith('/ink/build/measure-text.js')) return result;
  const source = String(result.source);
  if (!SIGNATURE.every((s) => source.includes(s))) return result;
  return { ...result, source: BOUNDED };
}
`;

let registered = false;

/** Call before Ink is first imported. */
export function boundInkMeasureCache(): void {
  if (registered) return;
  registered = true;
  // Module hooks came with Node 20.6; before that Ink loads as it is.
  if (typeof nodeModule.register === 'function') nodeModule.register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
}
