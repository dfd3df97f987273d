import type { Impl } from "../server/types.js";
import { runEachRow } from "./alternate.js";
import type { Env } from "./measure.js";
import {
  measureFlow,
  measureHandshake,
  measureScale,
  TrioChildren,
  sampleMedians,
  type TrioSample,
} from "./trio-measure.js";
import { type Measure, type TrioRow, trioImpls } from "./trio-rows.js";

export interface TrioSide {
  impl: Impl;
  samples: TrioSample[];
  errors: string[];
  median: TrioSample;
}

export interface TrioRowResult {
  name: string;
  kind: TrioRow["kind"];
  clients: number;
  measures: Measure[];
  /** [Volley, socket.io, floor]. */
  sides: [TrioSide, TrioSide, TrioSide];
}

const MAX_FAILURES = 2;

async function runRow(env: Env, row: TrioRow, deadline: number): Promise<TrioRowResult> {
  const sides = trioImpls(env.config).map(
    (impl): TrioSide => ({ impl, samples: [], errors: [], median: {} }),
  ) as [TrioSide, TrioSide, TrioSide];
  const children = new TrioChildren(env, row);
  try {
    for (let run = 0; run < env.config.runs; run++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[i]!;
        if (side.errors.length >= MAX_FAILURES) continue;
        if (Date.now() > deadline) {
          side.errors.push("suite time budget exhausted");
          continue;
        }
        try {
          const sample =
            row.kind === "scale"
              ? await measureScale(env, row, side.impl)
              : row.kind === "handshake"
                ? await measureHandshake(env, row, side.impl, i, children, run)
                : await measureFlow(env, row, side.impl, i, children, run);
          side.samples.push(sample);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          side.errors.push(message);
          process.stderr.write(`  ! ${row.name} [${side.impl}] run ${run + 1}: ${message}\n`);
        }
      }
    }
  } finally {
    await children.stopAll();
  }
  for (const side of sides) side.median = sampleMedians(side.samples);
  return { name: row.name, kind: row.kind, clients: row.clients, measures: row.measures, sides };
}

export async function runTrioRows(
  env: Env,
  rows: TrioRow[],
  deadline: number,
  onRow: (r: TrioRowResult) => void,
): Promise<TrioRowResult[]> {
  return runEachRow(rows, (row) => runRow(env, row, deadline), onRow);
}
