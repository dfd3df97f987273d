// The `workers` table: volley + @volley/cluster-adapter beside socket.io + @socket.io/cluster-adapter +
// @socket.io/sticky, per worker count and load.
import type { WorkersResult } from "../suites/workers.js";
import { fmt, fmtInt, fmtRatio, markdownTable, ratio } from "./table.js";

export function workersTable(rows: WorkersResult[]): string {
  if (rows.length === 0) return "";
  return markdownTable(
    [
      "row",
      "volley msgs/s",
      "socket.io msgs/s",
      "volley CPU µs/msg",
      "socket.io CPU µs/msg",
      "CPU ratio",
      "of which primary (v / s.io)",
      "p99 ms (v / s.io)",
      "runs",
    ],
    rows.map(({ row, sides: [v, s] }) => [
      row.name,
      fmtInt(v.median.rate),
      fmtInt(s.median.rate),
      fmt(v.median.cpuUs, 2),
      fmt(s.median.cpuUs, 2),
      fmtRatio(ratio(v.median.cpuUs, s.median.cpuUs)),
      `${fmt(v.median.primaryCpuUs, 2)} / ${fmt(s.median.primaryCpuUs, 2)}`,
      `${fmt(v.median.p99, 1)} / ${fmt(s.median.p99, 1)}`,
      `${v.samples.length}/${s.samples.length}${v.errors.length + s.errors.length > 0 ? " ⚠" : ""}`,
    ]),
  );
}

export function workersNotes(rows: WorkersResult[]): string[] {
  return rows.flatMap(({ row, sides }) =>
    sides.flatMap((side) => side.errors.map((e) => `- ${row.name} [${side.impl}]: ${e}`)),
  );
}

/** The section of the results document. */
export function workersSection(rows: WorkersResult[], measured: string): string[] {
  return [
    "",
    "## Every core, no Redis (volley + @volley/cluster-adapter vs socket.io + @socket.io/cluster-adapter + @socket.io/sticky)",
    "",
    measured,
    "",
    "node:cluster on this machine: volley's workers share the listening port (no sticky sessions, the",
    "primary only relays adapter messages); socket.io's primary listens and hands each connection to a",
    "worker (@socket.io/sticky, least-connection). Server CPU = every worker's and the primary's",
    "`process.cpuUsage()` over the window ÷ echoes, or ÷ deliveries (broadcasts × clients) for io.emit.",
    `Pinning (taskset): ${rows[0]?.pinning ?? "n/a"} for 1 worker; ${rows.find((r) => r.row.workers > 1)?.pinning ?? "n/a"} for 2.`,
    "",
    workersTable(rows),
  ];
}
