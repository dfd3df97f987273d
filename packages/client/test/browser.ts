// Plumbing of the tests in real Chromium (playwright-core, the system's browser): where it is, the bundles
// the pages load, and one page with its uncaught errors collected.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find(
  existsSync,
);

const pkg = fileURLToPath(new URL("..", import.meta.url));

/** Builds the browser bundles (the served files come from dist/). */
export function buildBundles(): void {
  execFileSync(process.execPath, [join(pkg, "scripts/build-bundle.mjs")], { stdio: "pipe" });
}

/** Launches Chromium (the caller closes it). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export interface OpenPage {
  browser: Browser;
  page: Page;
  /** The page's uncaught errors, as they happen. */
  errors: string[];
}

/** Chromium with one page loaded from `url`; the caller closes `browser` (closed here if loading fails). */
export async function openPage(url: string): Promise<OpenPage> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    return { browser, page, errors };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
