// Latency samples and the order statistics the tables print.

/** A bounded store of latency samples (ms): keeps every sample up to `capacity`, then a uniform reservoir. */
export class Samples {
  private readonly values: Float64Array;
  private seen = 0;

  constructor(capacity = 500_000) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    const cap = this.values.length;
    if (this.seen < cap) this.values[this.seen] = value;
    else {
      // Reservoir sampling (Algorithm R): each sample survives with probability cap/seen.
      const j = Math.floor(Math.random() * (this.seen + 1));
      if (j < cap) this.values[j] = value;
    }
    this.seen++;
  }

  get count(): number {
    return this.seen;
  }

  /** p in [0, 1]; NaN when empty. */
  percentiles(ps: readonly number[]): number[] {
    const n = Math.min(this.seen, this.values.length);
    if (n === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, n).sort();
    return ps.map((p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!);
  }
}

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
