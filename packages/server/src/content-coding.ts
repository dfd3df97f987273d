// Accept-Encoding negotiation for the served client files (RFC 9110 §12.5.3): the coding with the
// highest quality wins; an explicit coding beats "*"; between equals, the one the client listed first
// (as socket.io's `accepts` does), then the order we offer them in.

/** The codings the served client files come in, in our order of preference. */
export const CODINGS = ["br", "gzip", "deflate"] as const;
export type Coding = (typeof CODINGS)[number];

interface Offer {
  coding: Coding;
  q: number;
  /** 1 for an explicit entry, 0 for "*". */
  specific: number;
  /** Position of the matching entry in the header. */
  position: number;
  /** Position in {@link CODINGS}. */
  rank: number;
}

/** The coding to send for an `Accept-Encoding` header, or undefined for the identity (uncompressed). */
export function negotiateCoding(header: string | string[] | undefined): Coding | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(",") : header;
  const entries: Array<{ name: string; q: number; position: number }> = [];
  for (const part of value.split(",")) {
    const [rawName, ...params] = part.trim().toLowerCase().split(";");
    const name = rawName?.trim();
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, v] = param.trim().split("=");
      if (key === "q" && v !== undefined) {
        const parsed = Number(v);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    entries.push({ name, q, position: entries.length });
  }
  let best: Offer | undefined;
  CODINGS.forEach((coding, rank) => {
    const exact = entries.find((e) => e.name === coding);
    const any = entries.find((e) => e.name === "*");
    const entry = exact ?? any;
    if (!entry || entry.q <= 0) return;
    const offer: Offer = { coding, q: entry.q, specific: exact ? 1 : 0, position: entry.position, rank };
    if (!best || better(offer, best)) best = offer;
  });
  return (best as Offer | undefined)?.coding;
}

function better(a: Offer, b: Offer): boolean {
  if (a.q !== b.q) return a.q > b.q;
  if (a.specific !== b.specific) return a.specific > b.specific;
  if (a.position !== b.position) return a.position < b.position;
  return a.rank < b.rank;
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, lists and "*"; RFC 9110 §13.1.2). */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(",") : header;
  const wanted = etag.startsWith("W/") ? etag.slice(2) : etag;
  for (const part of value.split(",")) {
    const tag = part.trim();
    if (tag === "*") return true;
    if ((tag.startsWith("W/") ? tag.slice(2) : tag) === wanted) return true;
  }
  return false;
}
