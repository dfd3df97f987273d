// Real nginx in front of the test servers: the shipped example configuration (examples/nginx/volley.conf)
// with the test's upstream ports and listen port, run in the foreground from a temporary prefix.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Debian puts nginx in /usr/sbin, which a non-root PATH often lacks.
const NGINX = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
const example = new URL("../../../examples/nginx/volley.conf", import.meta.url).pathname;

export interface Nginx {
  port: number;
  url: string;
  /** Status and upstream of every request so far, from the access log. */
  requests(): Array<{ status: number; upstream: string; request: string }>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The example with its upstream servers and listen port replaced. */
export function exampleConfig(upstreamPorts: number[], listenPort: number): string {
  const text = readFileSync(example, "utf8");
  const servers = upstreamPorts.map((p) => `  server 127.0.0.1:${p};`).join("\n");
  const replaced = text
    .replace(/(upstream volley \{\n)(?:\s*#.*\n)*(?:\s*server [^\n]+\n)+/, `$1${servers}\n`)
    .replace(/listen \d+;/, `listen 127.0.0.1:${listenPort};`);
  if (!replaced.includes(servers) || !replaced.includes(`listen 127.0.0.1:${listenPort};`)) {
    throw new Error("examples/nginx/volley.conf no longer has the upstream/listen lines the test rewrites");
  }
  return replaced;
}

async function reachable(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts nginx (`daemon off`, its own prefix) in front of `upstreamPorts`; resolves once it accepts connections. */
export async function startNginx(upstreamPorts: number[]): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), "volley-nginx-"));
  const port = await freePort();
  const log = join(prefix, "access.log");
  writeFileSync(join(prefix, "volley.conf"), exampleConfig(upstreamPorts, port));
  writeFileSync(
    join(prefix, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${join(prefix, "nginx.pid")};`,
      `error_log ${join(prefix, "error.log")} warn;`,
      "events { worker_connections 1024; }",
      "http {",
      `  log_format upstreams '$status $upstream_addr "$request"';`,
      `  access_log ${log} upstreams;`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (t) => `  ${t}_temp_path ${join(prefix, t)};`,
      ),
      `  include ${join(prefix, "volley.conf")};`,
      "}",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    NGINX,
    ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const exited = once(child, "exit");
  let up = false;
  for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
    up = await reachable(port);
    if (!up) await new Promise((r) => setTimeout(r, 25));
  }
  if (!up) {
    child.kill("SIGKILL");
    const errors = readFileSync(join(prefix, "error.log"), "utf8");
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${errors}`);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests() {
      let text = "";
      try {
        text = readFileSync(log, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => {
          const [status, upstream] = line.split(" ", 2);
          return { status: Number(status), upstream: upstream ?? "", request: line.slice(line.indexOf('"')) };
        });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGQUIT would wait for long polls; the test is over.
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
