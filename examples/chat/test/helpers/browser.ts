import { mkdir } from "node:fs/promises";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Failed runs keep a screenshot of each page here (printed by `.ci/run`). */
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../../../.artifacts/screenshots/", import.meta.url));

/** Upper bound for any wait on the page; a guard against hangs, never what makes a test pass. */
export const WAIT_MS = 30_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    // Without the background-networking flags Chromium dials out, and this closed network refuses it.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens `count` pages, each in its own context (separate storage, like two people), runs `body`,
 * screenshots every page if it fails, and closes everything either way.
 */
export async function withPages(
  t: TestContext,
  browser: Browser,
  count: number,
  body: (pages: Page[]) => Promise<void>,
  viewport = { width: 1000, height: 700 },
): Promise<void> {
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  const logs: string[][] = [];
  try {
    for (let i = 0; i < count; i++) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      const log: string[] = [];
      logs.push(log);
      page.on("console", (message) => log.push(`${message.type()}: ${message.text()}`));
      page.on("pageerror", (error) => log.push(`pageerror: ${error.message}`));
      pages.push(page);
    }
    await body(pages);
  } catch (error) {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const prefix = t.name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
    for (const [i, page] of pages.entries()) {
      const path = `${SCREENSHOT_DIR}${prefix}-page${i + 1}.png`;
      await page.screenshot({ path }).then(
        () => console.error(`screenshot: ${path}`),
        () => undefined,
      );
      console.error(`page ${i + 1} console:\n  ${logs[i]?.join("\n  ")}`);
    }
    throw error;
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
  }
}
