// A full garbage collection before a memory reading, for the server children (started with --expose-gc).

/** Collects several times with turns between, so weak callbacks and finalisers settle. */
export async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("start the server child with --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}
