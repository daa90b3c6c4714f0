import { TextDecoder } from 'node:util';

/**
 * A jail's `logencoding`, as fail2ban names encodings (Python's codec names):
 * how a line's bytes become text. UTF-8 is the default and the fast path;
 * `auto` is the locale's charset, as in fail2ban.
 */
export type LineDecoder = (bytes: Buffer, start: number, end: number) => string;

/** Python's spellings of the encodings logs are written in, as WHATWG labels (TextDecoder). */
const ALIASES: Record<string, string> = {
  utf8: 'utf-8', 'utf-8': 'utf-8', u8: 'utf-8', ascii: 'utf-8', 'us-ascii': 'utf-8',
  cp1250: 'windows-1250', cp1251: 'windows-1251', cp1252: 'windows-1252', koi8_r: 'koi8-r', koi8_u: 'koi8-u',
  euc_jp: 'euc-jp', shift_jis: 'shift_jis', sjis: 'shift_jis', big5: 'big5', gb2312: 'gbk', gbk: 'gbk', gb18030: 'gb18030', euc_kr: 'euc-kr',
};
/** Windows-1252's 0x80-0x9f; the five bytes it leaves undefined stay the C1 controls they are in latin-1. */
const CP1252_HIGH: Array<string | undefined> = [...'€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'];

/** ISO-8859-1 itself: each byte its code point (WHATWG's "latin1" label means windows-1252 instead). */
const LATIN1 = new Set(['latin1', 'latin-1', 'latin_1', 'iso-8859-1', 'iso8859-1', 'iso_8859_1', 'l1', 'cp819', '8859']);

/** What to write instead of an encoding lineDecoder refuses, for the config and the CLI alike. */
export const LOG_ENCODING_HINT = "give auto (the locale's), utf-8, latin-1, cp1251, cp1252, koi8-r, shift_jis, gbk, big5 or another byte encoding, as Python names them";

/**
 * The decoder for `name`, null for UTF-8 (the splitter's own fast path), or
 * undefined for an encoding bantop cannot read.
 */
export function lineDecoder(name: string, env: NodeJS.ProcessEnv = process.env): LineDecoder | null | undefined {
  let n = name.trim().toLowerCase();
  if (n === '' || n === 'auto') n = localeCharset(env);
  if (LATIN1.has(n)) return (b, s, e) => b.toString('latin1', s, e);
  const label = ALIASES[n] ?? ALIASES[n.replace(/-/g, '_')] ?? n.replace(/_/g, '-');
  // Node 20's windows-1252 decoder drops bytes 0x80-0x9f: latin-1 with those 32 mapped, as the code page maps them.
  if (label === 'windows-1252' || label === 'cp1252') return (b, s, e) => b.toString('latin1', s, e).replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    return undefined;
  }
  if (decoder.encoding === 'utf-8') return null;
  // Lines are cut at the newline byte, which UTF-16 has inside its characters.
  if (decoder.encoding.startsWith('utf-16')) return undefined;
  return (b, s, e) => decoder.decode(b.subarray(s, e));
}

/** The charset of LC_ALL, LC_CTYPE or LANG (`C.UTF-8` → utf-8); UTF-8 where none is named. */
function localeCharset(env: NodeJS.ProcessEnv): string {
  const locale = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
  const dot = locale.indexOf('.');
  if (dot < 0) return 'utf-8';
  return locale.slice(dot + 1).replace(/@.*$/, '').toLowerCase();
}
