import type { IncomingMessage } from "node:http";
import { deflate, gzip } from "node:zlib";

export type ContentEncoding = "gzip" | "deflate";

/** The encoding to use for a body of `size` bytes, or undefined to send it as is. */
export function chooseEncoding(
  req: IncomingMessage,
  size: number,
  threshold: number | false,
): ContentEncoding | undefined {
  if (threshold === false || size < threshold) return undefined;
  const accept = req.headers["accept-encoding"];
  if (typeof accept !== "string") return undefined;
  // Preference order of the reference server: gzip first.
  if (/\bgzip\b/.test(accept)) return "gzip";
  if (/\bdeflate\b/.test(accept)) return "deflate";
  return undefined;
}

/** Compresses off the main thread (libuv pool) and calls back with the encoded body. */
export function compress(
  encoding: ContentEncoding,
  body: Buffer,
  cb: (err: Error | null, result: Buffer) => void,
): void {
  (encoding === "gzip" ? gzip : deflate)(body, cb);
}
