import type { Page } from "playwright-core";
import { WAIT_MS } from "./browser.js";

/** Drives the chat page the way a person would, and waits for what a person would see. */
export class ChatPage {
  constructor(readonly page: Page) {}

  async open(port: number, name: string, query: Record<string, string> = {}): Promise<this> {
    const search = new URLSearchParams({ name, ...query });
    await this.page.goto(`http://127.0.0.1:${port}/?${search}`);
    return this;
  }

  /** Waits until the status pill reads `state` (e.g. `connected`, `reconnecting`). */
  async waitForState(state: string): Promise<void> {
    await this.page.locator(`#connection[data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
  }

  async waitForTransport(name: "polling" | "websocket"): Promise<void> {
    await this.page.locator(`#transport[data-transport="${name}"]`).waitFor({ timeout: WAIT_MS });
  }

  async transport(): Promise<string> {
    return (await this.page.locator("#transport").textContent()) ?? "";
  }

  async statusText(): Promise<string> {
    return (await this.page.locator("#connection").textContent()) ?? "";
  }

  /** This page's socket id, once the server has welcomed it. */
  async socketId(): Promise<string> {
    const me = this.page.locator("#me[data-id]");
    await me.waitFor({ timeout: WAIT_MS });
    return (await me.getAttribute("data-id")) ?? "";
  }

  /**
   * Waits until the online list shows each of these names. Inclusion, not equality: a tab that vanished
   * without closing stays listed until the server's heartbeat notices, as in any real network.
   */
  async waitForOnline(names: string[]): Promise<void> {
    await this.page.waitForFunction(
      (expected) => {
        const shown = Array.from(document.querySelectorAll("#users li"), (li) => li.textContent);
        return expected.every((name) => shown.includes(name));
      },
      names,
      { timeout: WAIT_MS },
    );
  }

  /** Waits until the user with this socket id is (or is no longer) in the online list. */
  async waitForUser(id: string, present: boolean): Promise<void> {
    await this.page
      .locator(`#users li[data-id="${id}"]`)
      .waitFor({ state: present ? "attached" : "detached", timeout: WAIT_MS });
  }

  async send(text: string): Promise<void> {
    await this.page.locator("#text").fill(text);
    await this.page.locator("#composer button[type=submit]").click();
  }

  /** Waits until a message with this text is shown with this status (own messages only have one). */
  async waitForOwn(text: string, status: "queued" | "sent" | "delivered"): Promise<void> {
    await this.page
      .locator(`#messages li.message.mine[data-status="${status}"]`, { hasText: text })
      .waitFor({ timeout: WAIT_MS });
  }

  async waitForReceived(text: string, from: string): Promise<void> {
    await this.page
      .locator("#messages li.message.theirs", { hasText: text })
      .filter({ has: this.page.locator(".author", { hasText: from }) })
      .waitFor({ timeout: WAIT_MS });
  }

  /** How many shown messages carry exactly this text. */
  async countMessages(text: string): Promise<number> {
    return this.page.locator("#messages li.message .text", { hasText: new RegExp(`^${text}$`) }).count();
  }

  async switchRoom(room: string): Promise<void> {
    await this.page.locator(`#rooms button[data-room="${room}"]`).click();
    await this.page.locator(`#room-title`, { hasText: `# ${room}` }).waitFor({ timeout: WAIT_MS });
  }
}
