// The admin page in a real (headless) Chromium: sign in, see two clients appear, make one leave a
// room and disconnect the other from the page, and see it in a second operator's view, while the
// client sees the disconnect. A room name holding markup stays text.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { next, PASSWORD, setup, USER } from "./harness.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);
// The page loads the browser bundle the server serves: it exists after `npm run build`.
const BUNDLE = (createRequire(import.meta.url).resolve.paths("@volley/client") ?? []).some((dir) =>
  existsSync(join(dir, "@volley", "client", "dist", "volley.js")),
);
const GUARD = { timeout: 20_000 };

async function signIn(page: Page, url: string, password: string): Promise<void> {
  await page.goto(`${url}/admin`);
  await page.fill("#username", USER);
  await page.fill("#password", password);
  await page.click("#sign-in");
}

test("sign in, see two clients, disconnect one from the page, see it gone from the other view", {
  skip: !CHROMIUM || !BUNDLE ? "no Chromium or no client build (npm run build)" : false,
}, async () => {
  const h = await setup({ updateInterval: 60_000 });
  // A room name chosen by a client must show as text, never become markup in the operator's page.
  const MARKUP = '<img src=x onerror="window.injected=1">';
  h.io.on("connection", (socket) => {
    socket.join(["lobby", MARKUP]);
  });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  try {
    const first = await browser.newPage();
    const errors: string[] = [];
    first.on("pageerror", (err) => errors.push(err.message));

    // A wrong password: refused, the form says why.
    await signIn(first, h.url, "not the password");
    await first.waitForFunction(
      () => document.getElementById("login-error")?.textContent?.includes("invalid credentials"),
      null,
      GUARD,
    );
    assert.equal(await first.isVisible("#view"), false);

    await signIn(first, h.url, PASSWORD);
    await first.waitForSelector("#view", { state: "visible", ...GUARD });
    assert.equal(await first.isVisible("#login"), false);
    const second = await browser.newPage();
    second.on("pageerror", (err) => errors.push(err.message));
    await signIn(second, h.url, PASSWORD);
    await second.waitForSelector("#view", { state: "visible", ...GUARD });

    // Two clients connect: both appear in both views.
    const a = h.client("/", { transports: ["websocket"] });
    const b = h.client("/", { transports: ["polling"] });
    await Promise.all([next(a, "connect"), next(b, "connect")]);
    const aId = a.id!;
    const bId = b.id!;
    for (const page of [first, second]) {
      for (const id of [aId, bId]) await page.waitForSelector(`tr[data-socket="${id}"]`, GUARD);
    }
    const row = (await first.textContent(`tr[data-socket="${bId}"]`)) ?? "";
    assert.match(row, /polling/);
    assert.match(row, /127\.0\.0\.1/);
    assert.match(row, /lobby/);
    assert.match((await first.textContent(`tr[data-socket="${aId}"]`)) ?? "", /websocket/);
    assert.match((await first.textContent("#nodes")) ?? "", /this node/);
    await first.waitForSelector('.chart[data-series="sockets /"] canvas', GUARD);

    assert.match(row, /<img src=x onerror="window\.injected=1">/);
    assert.equal(await first.locator(`tr[data-socket="${bId}"] img`).count(), 0);
    assert.equal(await first.evaluate(() => (window as { injected?: number }).injected), undefined);

    // Make a leave the lobby from the page: both views show it.
    const aLobby = `tr[data-socket="${aId}"] button[data-leave="lobby"]`;
    await first.click(aLobby);
    for (const page of [first, second]) await page.waitForSelector(aLobby, { state: "detached", ...GUARD });
    assert.deepEqual([...h.io.sockets.sockets.get(aId)!.rooms].sort(), [aId, MARKUP].sort());

    // Disconnect b from the first view, with a reason.
    const disconnected = next<string>(b, "disconnect");
    await first.fill("#reason", "spamming the lobby");
    await first.click(`button[data-disconnect="${bId}"]`);
    assert.equal(await disconnected, "io server disconnect");
    for (const page of [second, first]) {
      await page.waitForSelector(`tr[data-socket="${bId}"]`, { state: "detached", ...GUARD });
      assert.ok(await page.isVisible(`tr[data-socket="${aId}"]`));
    }
    await second.waitForFunction(
      () => document.getElementById("actions")?.textContent?.includes("spamming the lobby"),
      null,
      GUARD,
    );
    assert.ok(a.connected);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await h.cleanup();
  }
});
