import type { ChatMessage } from "../shared/events.js";
import { element } from "./dom.js";
import type { MessageStatus } from "./outbox.js";

const STATUS_LABEL: Record<MessageStatus, string> = {
  queued: "queued",
  sent: "sent",
  delivered: "delivered",
  failed: "not sent",
};

/** The conversation: messages (each shown once, by id) and system lines for joins and leaves. */
export class MessageList {
  readonly #items = new Map<string, HTMLLIElement>();

  constructor(private readonly list: HTMLOListElement) {}

  clear(): void {
    this.#items.clear();
    this.list.replaceChildren();
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  /** A message from someone else (or one of ours from the room's history). Repeats are ignored. */
  addReceived(message: ChatMessage, mine: boolean): void {
    if (this.#items.has(message.id)) return;
    const item = this.#bubble(message.id, mine ? "mine" : "theirs", message.text, message.at);
    if (mine) this.#setStatus(item, "delivered");
    else item.prepend(element("span", "author", message.from.name));
    this.#append(item);
  }

  /** A message written on this page; its status follows the outbox. */
  addOwn(id: string, text: string, status: MessageStatus): void {
    if (this.#items.has(id)) return;
    const item = this.#bubble(id, "mine", text, Date.now());
    this.#setStatus(item, status);
    this.#append(item);
  }

  status(id: string, status: MessageStatus, detail?: string): void {
    const item = this.#items.get(id);
    if (item) this.#setStatus(item, status, detail);
  }

  system(text: string): void {
    this.#append(element("li", "system", text));
  }

  #bubble(id: string, side: "mine" | "theirs", text: string, at: number): HTMLLIElement {
    const item = element("li", `message ${side}`);
    item.dataset.id = id;
    item.append(element("span", "text", text));
    const meta = element("span", "meta");
    const time = element(
      "time",
      "time",
      new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    );
    time.dateTime = new Date(at).toISOString();
    meta.append(time);
    item.append(meta);
    this.#items.set(id, item);
    return item;
  }

  #setStatus(item: HTMLLIElement, status: MessageStatus, detail?: string): void {
    item.dataset.status = status;
    const meta = item.querySelector(".meta")!;
    let label = meta.querySelector<HTMLElement>(".status");
    if (!label) {
      label = element("span", "status");
      meta.append(label);
    }
    label.textContent = STATUS_LABEL[status];
    label.title = detail ?? "";
  }

  #append(item: HTMLLIElement): void {
    // Follow the conversation only when the reader is already at the bottom.
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 48;
    this.list.append(item);
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
