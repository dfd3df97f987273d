// The Prometheus text exposition format (version 0.0.4), nothing Volley-specific: families with one HELP
// and one TYPE line each, samples with escaped label values, histograms as buckets, sum and count.

/** Label names to values of one sample. */
export type Labels = Record<string, string>;
/** One sample of a family: its labels and value. */
export type Sample = readonly [labels: Labels, value: number];

/** Builds the exposition text family by family. */
export class Exposition {
  private readonly lines: string[] = [];

  /** A family of `samples`. */
  family(name: string, type: "counter" | "gauge", help: string, samples: readonly Sample[]): void {
    this.header(name, type, help);
    for (const [labels, value] of samples) this.sample(name, labels, value);
  }

  /** A family without labels. */
  single(name: string, type: "counter" | "gauge", help: string, value: number): void {
    this.family(name, type, help, [[{}, value]]);
  }

  /** A histogram family: cumulative buckets per series, then `_sum` and `_count`. */
  histogram(
    name: string,
    help: string,
    series: ReadonlyArray<{ labels: Labels; bounds: number[]; counts: number[]; count: number; sum: number }>,
  ): void {
    this.header(name, "histogram", help);
    for (const { labels, bounds, counts, count, sum } of series) {
      for (let i = 0; i < bounds.length; i++) {
        this.sample(`${name}_bucket`, { ...labels, le: formatNumber(bounds[i]!) }, counts[i]!);
      }
      this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, count);
      this.sample(`${name}_sum`, labels, sum);
      this.sample(`${name}_count`, labels, count);
    }
  }

  /** The exposition so far, newline-terminated. */
  text(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }

  private header(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  private sample(name: string, labels: Labels, value: number): void {
    const pairs = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabelValue(v)}"`);
    const set = pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
    this.lines.push(`${name}${set} ${formatNumber(value)}`);
  }
}

/** Label values: backslash, double quote and line feed escaped (the text format's rule). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** A record's entries as samples, each key the value of `label`. */
export function entries(record: Record<string, number>, label: string): Sample[] {
  return Object.keys(record).map((key) => [{ [label]: key }, record[key]!] as const);
}
