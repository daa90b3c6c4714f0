// The "bare Node loop with one regex": every line of a file through
// one RegExp, read with readline, counting matches. Not a filter: no date, no
// prefregex, no sessions, one pattern. It is the yardstick for what this
// machine's Node does per line, measured in the same run as bantop.
// Usage: node bench/bare-loop.mjs FILE REGEX
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [file, pattern] = process.argv.slice(2);
const re = new RegExp(pattern);
let lines = 0;
let matched = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  lines++;
  if (re.exec(line) !== null) matched++;
}
console.log(`${lines} lines, ${matched} matched`);
