import { isUtf8 } from "node:buffer";

/**
 * Incremental UTF-8 validation (RFC 3629, as RFC 6455 §8.1 requires) for messages that arrive in
 * pieces: fails as soon as the bytes seen so far cannot start a valid sequence. Complete characters
 * are checked in bulk with `buffer.isUtf8`; only the bytes around a piece boundary go byte by byte.
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current character. */
  private need = 0;
  /** Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4). */
  private lower = 0x80;
  private upper = 0xbf;

  /** Feeds `buf[start, end)`; false once the input can no longer be valid UTF-8. */
  write(buf: Uint8Array, start = 0, end = buf.length): boolean {
    let i = start;
    // Finish a character split across pieces.
    while (this.need > 0 && i < end) {
      if (!this.step(buf[i]!)) return false;
      i++;
    }
    if (i === end) return true;
    // The last character may be cut off: bulk-check up to the start of it, step through the rest.
    let cut = end;
    for (let back = 0; back < 4 && cut > i; back++) {
      const b = buf[cut - 1]!;
      if (b < 0x80) break;
      cut--;
      if (b >= 0xc0) break;
    }
    if (cut > i && !isUtf8(buf.subarray(i, cut))) return false;
    for (i = cut; i < end; i++) if (!this.step(buf[i]!)) return false;
    return true;
  }

  /** True when the input so far ends on a character boundary (call at the end of a message). */
  end(): boolean {
    const complete = this.need === 0;
    this.reset();
    return complete;
  }

  reset(): void {
    this.need = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  private step(b: number): boolean {
    if (this.need > 0) {
      if (b < this.lower || b > this.upper) return false;
      this.lower = 0x80;
      this.upper = 0xbf;
      this.need--;
      return true;
    }
    if (b < 0x80) return true;
    if (b >= 0xc2 && b <= 0xdf) {
      this.need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0)
        this.lower = 0xa0; // no overlong 3-byte forms
      else if (b === 0xed) this.upper = 0x9f; // no UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0)
        this.lower = 0x90; // no overlong 4-byte forms
      else if (b === 0xf4) this.upper = 0x8f; // nothing above U+10FFFF
    } else {
      return false;
    }
    return true;
  }
}

export { isUtf8 };
