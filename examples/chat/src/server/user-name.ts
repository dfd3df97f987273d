/**
 * The display name a client asked for in `auth.name`, cleaned up; a generated `guest-NNNN` when it
 * is missing or unusable. Never throws: the handshake is untrusted input.
 */
export function userName(requested: unknown, maxLength: number, random: () => number = Math.random): string {
  if (typeof requested === "string") {
    // Control characters and runs of whitespace would break the layout of every other page.
    const cleaned = requested
      .replace(/[\u0000-\u001f\u007f]/g, "")
      .replace(/\s+/g, " ")
      .trim();
    if (cleaned.length > 0) return [...cleaned].slice(0, maxLength).join("");
  }
  return `guest-${String(Math.floor(random() * 10_000)).padStart(4, "0")}`;
}
