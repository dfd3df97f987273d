// How deep a payload may nest: one limit shared by the encoder (which refuses to write deeper data)
// and the decoder (which refuses to read it), so whatever a peer can send, a handler can echo back.
import { ProtocolError } from "./protocol-error.js";

/**
 * Most levels of nested arrays/objects in a packet payload, the outermost array counting as one.
 * The encoder refuses deeper data; the decoder's `maxDepth` option defaults to this value.
 */
export const MAX_DEPTH = 1000;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * Throws `TOO_DEEP` when the JSON text in `str` from `start` nests deeper than `maxDepth`, before
 * `JSON.parse` builds anything. Text too short to reach the limit (each level costs at least one
 * character) is not scanned at all; text with at most `maxDepth` opening brackets in all cannot nest
 * deeper either, and counting them with `indexOf` is far cheaper than reading every character. Only
 * text with more brackets than the limit gets the exact pass, which skips the brackets inside strings.
 */
export function checkJsonDepth(str: string, start: number, maxDepth: number): void {
  if (str.length - start <= maxDepth) return;
  if (countUpTo(str, "[", start, maxDepth + 1) + countUpTo(str, "{", start, maxDepth + 1) <= maxDepth) return;
  let depth = 0;
  for (let i = start; i < str.length; i++) {
    const code = str.charCodeAt(i);
    if (code === QUOTE) {
      i = endOfString(str, i);
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > maxDepth) throw tooDeep(maxDepth);
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
}

/** How many times `char` occurs in `str` from `start`, counting no further than `limit`. */
function countUpTo(str: string, char: string, start: number, limit: number): number {
  let count = 0;
  for (let i = str.indexOf(char, start); i !== -1 && count < limit; i = str.indexOf(char, i + 1)) count++;
  return count;
}

/** The index of the quote closing the string opened at `open` (or the end of the text). */
function endOfString(str: string, open: number): number {
  let close = str.indexOf('"', open + 1);
  while (close !== -1) {
    // A quote preceded by an odd run of backslashes is escaped.
    let backslashes = 0;
    while (str.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return close;
    close = str.indexOf('"', close + 1);
  }
  return str.length;
}

function tooDeep(maxDepth: number): ProtocolError {
  return new ProtocolError("TOO_DEEP", `payload nests deeper than maxDepth (${maxDepth} levels)`);
}
