// The samples behind the page's charts: at each update interval, this node's socket count per
// namespace and every numeric value of `io.metrics()` (flattened to dotted names, arrays left out:
// a histogram keeps its count and sum). Bounded: at most `size` samples and MAX_SERIES series.

/** One sample: when, and a value per series name. */
export interface Sample {
  at: number;
  values: Record<string, number>;
}

/** Most series kept; the first ones seen win (metrics add series in a stable order). */
const MAX_SERIES = 200;
/** How deep nested metrics are followed. */
const MAX_DEPTH = 6;

export class History {
  private readonly samples: Sample[] = [];
  private readonly series = new Set<string>();

  constructor(private readonly size: number) {}

  /** Adds a sample; the oldest goes when full. */
  add(at: number, sockets: Record<string, number>, metrics: unknown): Sample {
    const values: Record<string, number> = {};
    for (const [nsp, count] of Object.entries(sockets)) this.put(values, `sockets ${nsp}`, count);
    if (metrics !== null && typeof metrics === "object") {
      for (const [key, value] of Object.entries(metrics)) {
        // `time` is when the snapshot was taken: the sample has it already.
        if (key !== "time") flatten(value, `metrics.${key}`, 1, (name, v) => this.put(values, name, v));
      }
    }
    const sample = { at, values };
    this.samples.push(sample);
    if (this.samples.length > this.size) this.samples.shift();
    return sample;
  }

  /** The samples kept, oldest first. */
  all(): readonly Sample[] {
    return this.samples;
  }

  private put(values: Record<string, number>, name: string, value: number): void {
    if (!this.series.has(name)) {
      if (this.series.size >= MAX_SERIES) return;
      this.series.add(name);
    }
    values[name] = value;
  }
}

function flatten(
  value: unknown,
  prefix: string,
  depth: number,
  out: (name: string, v: number) => void,
): void {
  if (typeof value === "number") {
    if (Number.isFinite(value)) out(prefix, value);
    return;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || depth >= MAX_DEPTH) return;
  for (const [key, child] of Object.entries(value)) flatten(child, `${prefix}.${key}`, depth + 1, out);
}
