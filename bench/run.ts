// Volley benchmarks: Volley beside ws and socket.io, same load generator, alternating runs, one table.
// node --conditions=volley-source --import tsx bench/run.ts [--quick] [--only websocket|socketio|cluster|workers|memory|bundle]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { fileURLToPath } from "node:url";
import { type Config, parseArgs, USAGE, UsageError } from "./lib/config.js";
import {
  bundleTable,
  clusterTable,
  type Machine,
  memoryTable,
  type Results,
  renderMarkdown,
  type SuiteRun,
  throughputTable,
} from "./lib/report.js";
import { updateReadme } from "./lib/readme.js";
import { Child } from "./lib/ipc.js";
import { staleBuilds } from "./lib/volley-build.js";
import { workersTable } from "./lib/workers-report.js";
import { runMemoryRows, runThroughputRows } from "./suites/alternate.js";
import { runBundle } from "./suites/bundle.js";
import type { Env } from "./suites/measure.js";
import { clusterRows, memoryRows, socketioRows, type ThroughputRow, websocketRows } from "./suites/rows.js";
import { runTrioRows } from "./suites/trio.js";
import { TRIO_SUITES, type TrioSuite, trioRows } from "./suites/trio-rows.js";
import { trioTable } from "./lib/trio-report.js";
import { runWorkersRows, workersRows } from "./suites/workers.js";
import { observeRows, runObserveRows } from "./suites/observe.js";
import { observeTable } from "./lib/observe-report.js";

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));
const README = fileURLToPath(new URL("./README.md", import.meta.url));

function softFdLimit(): number {
  try {
    return Number(execFileSync("bash", ["-c", "ulimit -n"], { encoding: "utf8" }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

function machine(): Machine {
  return {
    date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${type()} ${release()}`,
    loadStart: loadavg()[0]!,
  };
}

/** Lays the written files out as the repository's formatter does, so `biome check` stays clean. */
function formatOutputs(files: string[]): void {
  const biome = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));
  if (!existsSync(biome)) return;
  const result = spawnSync(process.execPath, [biome, "format", "--write", ...files], { encoding: "utf8" });
  if (result.status !== 0) process.stderr.write(`biome format of the results failed: ${result.stderr}\n`);
}

function filterRows<R extends { name: string }>(rows: R[], config: Config): R[] {
  return config.filter ? rows.filter((r) => r.name.includes(config.filter!)) : rows;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const config = parsed;
  if (!config.render) {
    if (config.source) Child.volleySources = true;
    else {
      const stale = staleBuilds();
      if (stale.length > 0) {
        console.error(
          `bench: ${stale.join(", ")}: the build is older than the sources; run \`npm run build\` first (or pass --source)`,
        );
        return 2;
      }
    }
  }
  const env: Env = { config, fdLimit: softFdLimit() };
  const command =
    `node --conditions=volley-source --import tsx bench/run.ts ${process.argv.slice(2).join(" ")}`.trim();
  // Filtered, A/A and quick runs never overwrite the figures of full runs.
  const name = config.filter !== undefined ? "partial" : config.aa ? "aa" : config.quick ? "quick" : "latest";
  const jsonPath = `${RESULTS_DIR}${name}.json`;
  // Suites not run this time keep their last figures, so `--only` runs add up to one document.
  const results: Results = existsSync(jsonPath)
    ? (JSON.parse(readFileSync(jsonPath, "utf8")) as Results)
    : {};
  const started = Date.now();
  const log = (text: string) => process.stdout.write(`${text}\n`);
  if (!config.render) {
    log(
      `# bench: ${config.suites.join(", ")}; ${config.runs} runs each; open files limit ${env.fdLimit}; Volley from ${config.source ? "its sources (tsx)" : "its built packages"}`,
    );
  }

  async function suite<T>(title: string, body: () => Promise<T>): Promise<SuiteRun<T>> {
    log(`\n## ${title}`);
    const run = { machine: machine(), command, config, data: undefined as T };
    run.data = await body();
    run.machine.loadEnd = loadavg()[0]!;
    return run;
  }
  const throughputRows = (rows: ThroughputRow[], table = throughputTable) => {
    const deadline = Date.now() + config.suiteBudgetMs;
    let printed = 0;
    // Rows print as they finish (the header once), the full document at the end.
    return runThroughputRows(env, filterRows(rows, config), deadline, (row) =>
      log(
        table([row])
          .split("\n")
          .slice(printed++ === 0 ? 0 : 2)
          .join("\n"),
      ),
    );
  };
  for (const name of config.render ? [] : config.suites) {
    if (name === "websocket")
      results.websocket = await suite(name, () => throughputRows(websocketRows(config)));
    else if (name === "socketio")
      results.socketio = await suite(name, () => throughputRows(socketioRows(config)));
    else if (name === "cluster")
      results.cluster = await suite(name, () => throughputRows(clusterRows(config), clusterTable));
    else if (name === "workers") {
      results.workers = await suite(name, () =>
        runWorkersRows(env, filterRows(workersRows(config.quick), config), (row) => log(workersTable([row]))),
      );
    } else if (name === "memory") {
      results.memory = await suite(name, () =>
        runMemoryRows(env, filterRows(memoryRows(config), config), Date.now() + config.suiteBudgetMs, (row) =>
          log(memoryTable([row])),
        ),
      );
    } else if ((TRIO_SUITES as readonly string[]).includes(name)) {
      const trio = name as TrioSuite;
      // Memory rows fork fresh children for every run of every side: they get more time than the others.
      const budget = config.suiteBudgetMs * (trio === "scale" ? 3 : 1);
      results[trio] = await suite(name, () =>
        runTrioRows(env, filterRows(trioRows(trio, config), config), Date.now() + budget, (row) =>
          log(trioTable([row])),
        ),
      );
    } else if (name === "observe") {
      results.observe = await suite(name, () =>
        runObserveRows(
          env,
          filterRows(observeRows(config), config),
          Date.now() + config.suiteBudgetMs,
          (row) => log(observeTable([row])),
        ),
      );
    } else if (name === "bundle") {
      results.bundle = await suite(name, async () => {
        const b = await runBundle();
        log(bundleTable(b));
        return b;
      });
    }
  }

  const markdown = renderMarkdown(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${name}.md`, markdown);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  if (name === "latest") updateReadme(README, markdown);
  formatOutputs([`${RESULTS_DIR}${name}.md`, jsonPath, README]);
  log(`\n${markdown}`);
  log(`(${((Date.now() - started) / 1000).toFixed(0)} s; written to bench/results/${name}.md and .json)`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
