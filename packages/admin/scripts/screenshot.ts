// Takes the README's screenshot of the admin view: a server with a few clients in two namespaces,
// some traffic for the charts, the page in headless Chromium.
// Usage (after `npm run build`): node --conditions=volley-source --import tsx packages/admin/scripts/screenshot.ts [out.png]
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { attachAdmin } from "@volley/admin";
import { io as connect, type Socket as ClientSocket } from "@volley/client";
import { chromium } from "playwright-core";
import { Server } from "volley";

const out = process.argv[2] ?? new URL("../docs/admin-view.png", import.meta.url).pathname;
const http = createServer((_req, res) => res.writeHead(404).end());
const io = new Server(http);
const admin = attachAdmin(io, { username: "operator", password: "demo password", updateInterval: 250 });
io.on("connection", (socket) => {
  socket.join("lobby");
  socket.on("ping", (ack: () => void) => ack());
});
io.of("/chat").on("connection", (socket) => {
  socket.join(["room-1", socket.handshake.auth.vip ? "vip" : "general"]);
});
http.listen(0, "127.0.0.1");
await once(http, "listening");
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const clients: ClientSocket[] = [];
for (let i = 0; i < 3; i++)
  clients.push(connect(url, { forceNew: true, transports: i === 2 ? ["polling"] : ["websocket"] }));
for (let i = 0; i < 2; i++)
  clients.push(connect(`${url}/chat`, { forceNew: true, transports: ["websocket"], auth: { vip: i === 0 } }));

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  await page.goto(`${url}/admin/`);
  await page.fill("#username", "operator");
  await page.fill("#password", "demo password");
  await page.click("#sign-in");
  await page.waitForSelector("#view", { state: "visible" });
  // Some traffic, and a client that comes late, so the charts move.
  for (let i = 0; i < 40; i++) {
    for (const c of clients.slice(0, 2)) c.emit("ping", () => {});
    if (i === 20) clients.push(connect(url, { forceNew: true, transports: ["websocket"] }));
    await sleep(100);
  }
  await page.fill("#reason", "spamming the lobby");
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  for (const c of clients) c.disconnect();
  admin.close();
  await io.close();
}
