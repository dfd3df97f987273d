import type { OutgoingHttpHeaders } from "node:http";

/** The content type of a text payload answering a poll. */
export const TEXT_PLAIN = "text/plain; charset=UTF-8";

/** The headers of the "ok" answering every POST: one object for all of them (nothing in it varies). */
export const OK_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  "Content-Type": "text/html",
  "Content-Length": 2,
  "Cache-Control": "no-store",
});

/** The headers of a poll's answer of `length` bytes. */
export function payloadHeaders(contentType: string, length: number): OutgoingHttpHeaders {
  return { "Content-Type": contentType, "Content-Length": length, "Cache-Control": "no-store" };
}

/** The headers of a poll's answer compressed with `encoding` to `length` bytes. */
export function compressedPayloadHeaders(
  contentType: string,
  encoding: string,
  length: number,
): OutgoingHttpHeaders {
  return {
    "Content-Type": contentType,
    "Content-Encoding": encoding,
    "Content-Length": length,
    "Cache-Control": "no-store",
    Vary: "Accept-Encoding",
  };
}
