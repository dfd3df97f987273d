// A Prometheus-like scraper for the observe suite: GET /metrics on the server under test every second
// over one keep-alive connection (as Prometheus does), each answer checked (200, the text format, a
// counter it must hold). Runs in the orchestrator, so its own work is not charged to the server child;
// serving the scrapes is, as in production.
import { Agent, request } from "node:http";
import { BenchError } from "../lib/ipc.js";

/** A scrape taking longer than this fails the run (Prometheus' default scrape_timeout is 10 s). */
const SCRAPE_TIMEOUT_MS = 10_000;
/** A counter every Volley exposition has: an answer without it is not the metrics text. */
const EXPECTED = "volley_engine_messages_received_total";
/** Bounds the body read into memory: a metrics page of a bench server is a few KB. */
const MAX_BODY = 1 << 20;

/** What one run's scraping did. */
export interface ScrapeFigures {
  scrapes: number;
  /** Mean size of an answer, bytes. */
  scrapeBytes: number;
}

export class Scraper {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | undefined;
  private scrapes = 0;
  private bytes = 0;
  private error: string | undefined;

  /** Starts scraping `http://127.0.0.1:<port><path>` every `intervalMs`; the first scrape after one interval. */
  constructor(
    private readonly port: number,
    private readonly path: string,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => {
      // A scrape still running when the next is due is not doubled (Prometheus skips too).
      if (this.inFlight || this.error) return;
      this.inFlight = this.scrapeOnce().finally(() => {
        this.inFlight = undefined;
      });
    }, intervalMs);
  }

  /** Stops scraping, waits for a scrape in flight; throws if any scrape failed. */
  async stop(): Promise<ScrapeFigures> {
    clearInterval(this.timer);
    await this.inFlight;
    this.agent.destroy();
    if (this.error) throw new BenchError("RUN_INVALID", `metrics scrape failed: ${this.error}`);
    return { scrapes: this.scrapes, scrapeBytes: this.scrapes ? this.bytes / this.scrapes : 0 };
  }

  private scrapeOnce(): Promise<void> {
    return new Promise<void>((resolve) => {
      const fail = (message: string) => {
        this.error ??= message;
        resolve();
      };
      const req = request(
        {
          host: "127.0.0.1",
          port: this.port,
          path: this.path,
          agent: this.agent,
          timeout: SCRAPE_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) {
              res.destroy();
              fail(`answer over ${MAX_BODY} bytes`);
              return;
            }
            chunks.push(chunk);
          });
          res.on("error", (err) => fail(err.message));
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const type = String(res.headers["content-type"] ?? "");
            if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
            if (!type.startsWith("text/plain")) return fail(`content-type '${type}'`);
            if (!body.includes(EXPECTED)) return fail(`no ${EXPECTED} in the answer`);
            this.scrapes++;
            this.bytes += size;
            resolve();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${SCRAPE_TIMEOUT_MS} ms`)));
      req.on("error", (err) => fail(err.message));
      req.end();
    });
  }
}
