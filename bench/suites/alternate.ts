// Alternating runs (A, B, A, B, …) of each row, so drift of the machine hits both libraries alike, and
// the medians and ratios the tables print.
import type { Protocol } from "../load/main.js";
import type { Impl } from "../server/types.js";
import { median } from "../lib/stats.js";
import type { Env, MemorySample, ThroughputSample } from "./measure.js";
import { measureMemory, measureThroughput, RowChildren } from "./measure.js";
import { BenchRedis } from "./redis.js";
import { type Budget, implsFor, type MemoryRow, type ThroughputRow } from "./rows.js";

/** All runs of one library on one row. */
export interface Side<S> {
  impl: Impl;
  samples: S[];
  errors: string[];
  median: Partial<Record<keyof S, number>>;
}

export interface RowResult<S> {
  name: string;
  kind: string;
  clients: number;
  budget?: Budget;
  /** [Volley, reference] (or [reference, reference] with --aa). */
  sides: [Side<S>, Side<S>];
}

const MAX_FAILURES = 2;

function medians<S extends object>(samples: S[]): Partial<Record<keyof S, number>> {
  const out: Partial<Record<keyof S, number>> = {};
  if (samples.length === 0) return out;
  for (const key of Object.keys(samples[0]!) as (keyof S)[]) {
    out[key] = median(samples.map((s) => s[key] as number));
  }
  return out;
}

/** A row name as a file name part. */
export function slug(text: string): string {
  return text
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
}

async function alternate<R extends { name: string; protocol: Protocol; clients: number }, S extends object>(
  env: Env,
  row: R,
  measure: (impl: Impl, tag: string, side: number) => Promise<S>,
  deadline: number,
): Promise<RowResult<S>> {
  const impls = implsFor(row.protocol, env.config.aa);
  const sides = impls.map((impl) => ({ impl, samples: [] as S[], errors: [] as string[], median: {} })) as [
    Side<S>,
    Side<S>,
  ];
  for (let run = 0; run < env.config.runs; run++) {
    for (let i = 0; i < 2; i++) {
      const side = sides[i]!;
      // A library that keeps failing on this row is not retried for the remaining runs.
      if (side.errors.length >= MAX_FAILURES) continue;
      if (Date.now() > deadline) {
        side.errors.push("suite time budget exhausted");
        continue;
      }
      const tag = `${slug(row.name)}-${i === 0 ? "a" : "b"}-${side.impl}-${run + 1}`;
      try {
        side.samples.push(await measure(side.impl, tag, i));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        side.errors.push(message);
        process.stderr.write(`  ! ${row.name} [${side.impl}] run ${run + 1}: ${message}\n`);
      }
    }
  }
  for (const side of sides) side.median = medians(side.samples);
  return { name: row.name, kind: "kind" in row ? String(row.kind) : "", clients: row.clients, sides };
}

/** Runs `rows` one after another, reporting each result as it comes (progress lines, partial results). */
export async function runEachRow<R, O>(
  rows: R[],
  run: (row: R) => Promise<O>,
  onRow: (result: O) => void,
): Promise<O[]> {
  const out: O[] = [];
  for (const row of rows) {
    const result = await run(row);
    out.push(result);
    onRow(result);
  }
  return out;
}

export async function runThroughputRows(
  env: Env,
  rows: ThroughputRow[],
  deadline: number,
  onRow: (r: RowResult<ThroughputSample>) => void,
): Promise<RowResult<ThroughputSample>[]> {
  return runEachRow(
    rows,
    async (row) => {
      const children = new RowChildren(env, row);
      let result: RowResult<ThroughputSample>;
      // A cluster row has a redis-server of its own, shared by both libraries' runs, so only they load it.
      let redis: BenchRedis | undefined;
      try {
        if ((row.nodes ?? 1) > 1) redis = await BenchRedis.start();
        result = await alternate(
          env,
          row,
          (impl, tag, side) => measureThroughput(env, row, impl, tag, children, side, redis),
          deadline,
        );
      } finally {
        await children.stopAll();
        await redis?.stop();
      }
      result.budget = row.budget;
      return result;
    },
    onRow,
  );
}

export async function runMemoryRows(
  env: Env,
  rows: MemoryRow[],
  deadline: number,
  onRow: (r: RowResult<MemorySample>) => void,
): Promise<RowResult<MemorySample>[]> {
  return runEachRow(
    rows,
    async (row) => {
      const result = await alternate(env, row, (impl) => measureMemory(env, row, impl), deadline);
      result.budget = row.budget;
      return result;
    },
    onRow,
  );
}
