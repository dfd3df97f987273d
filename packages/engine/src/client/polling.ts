import type { Packet } from "../parser/index.js";
import type { EngineClientError } from "./errors.js";
import { nodeRequest } from "./node-request.js";
import { decodePayload, encodePayload } from "./packet-codec.js";
import { Transport } from "./transport.js";
import { isNode } from "./websocket-constructor.js";

/**
 * HTTP long-polling over `fetch`: a GET held open by the server receives packets, a POST sends them.
 * At most one GET and one POST are in flight (the server rejects overlapping requests).
 */
export class PollingTransport extends Transport {
  get name(): "polling" {
    return "polling";
  }
  #polling = false;
  #requests = new Set<AbortController>();

  protected _doOpen(): void {
    this.#poll();
  }

  override pause(onPause: () => void): void {
    this.readyState = "pausing";
    // Let the GET and the POST in flight finish, so no packet is lost or reordered by the upgrade.
    let pending = 1;
    const settle = () => {
      if (--pending === 0) super.pause(onPause);
    };
    if (this.#polling) {
      pending++;
      this.once("pollComplete", settle);
    }
    if (!this.writable) {
      pending++;
      this.once("drain", settle);
    }
    settle();
  }

  protected _doClose(): void {
    // Tell the server, then drop the GET it may still hold. Aborting first would look like an error there.
    if (this.readyState === "open")
      this.#request(encodePayload([{ type: "close" }]), true).finally(this.#abort);
    else this.#abort();
  }

  protected _write(packets: Packet[]): void {
    this.writable = false;
    this.#request(encodePayload(packets)).then((body) => {
      if (body !== undefined && this.readyState !== "closed") {
        this.writable = true;
        this._emit("drain");
      }
    });
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    const body = await this.#request();
    if (body === undefined || this.readyState === "closed") return;
    let packets: Packet[];
    try {
      packets = decodePayload(body);
    } catch (error) {
      return this._emit("error", error as EngineClientError);
    }
    for (const packet of packets) {
      if (this.readyState === "opening" && packet.type === "open") this._onOpen();
      if (packet.type === "close") return this._onClose({ description: "transport closed by the server" });
      this._onPacket(packet);
      // A listener may have closed us while handling the packet.
      if ((this.readyState as string) === "closed") return;
    }
    this.#polling = false;
    this._emit("pollComplete");
    if (this.readyState === "open") this.#poll();
  }

  /**
   * One HTTP request: a POST with `body`, else a GET. Resolves to the answer's body, or to undefined after
   * reporting the failure (nothing is reported while closing or once closed): the HTTP status with the
   * server's answer (its JSON parsed: `{ code, message }`), `"timeout"` after `requestTimeout`, or the
   * platform's error.
   */
  async #request(body?: string, closing?: boolean): Promise<string | undefined> {
    const controller = new AbortController();
    const opts = this._opts;
    const timers = opts.timers;
    let timedOut: unknown;
    // Node only (the browser bundle's size budget; browsers time out stalled requests themselves).
    const timer =
      isNode &&
      opts.requestTimeout &&
      timers.setTimeout(() => {
        timedOut = "timeout";
        controller.abort();
      }, opts.requestTimeout);
    let description: unknown;
    let context: unknown;
    if (!closing) this.#requests.add(controller);
    try {
      const url = this._uri("http", opts.timestampRequests !== false);
      const init = {
        method: body ? "POST" : "GET",
        // A string body goes as text/plain;charset=UTF-8 (Fetch standard); the `t` parameter defeats caches.
        body,
        headers: opts.extraHeaders,
        credentials: opts.withCredentials ? "include" : undefined, // fetch's default: same-origin
        signal: controller.signal,
      } as const;
      // Node: node:http(s), which takes `agent`, the TLS options and `autoUnref` (fetch takes none of them).
      const response = await (isNode ? nodeRequest(url, init, opts) : fetch(url, init));
      const text = await response.text();
      if (response.ok) return text;
      description = response.status;
      try {
        context = JSON.parse(text);
      } catch {
        context = text;
      }
      // A refusal by a server limit says how long to wait in its JSON body (seconds): unlike the
      // Retry-After header, a browser lets scripts read it cross-origin.
      this.retryAfter = ((context as { retryAfter?: number } | undefined)?.retryAfter as number) * 1000;
    } catch (error) {
      description = timedOut ?? error;
    } finally {
      this.#requests.delete(controller);
      timers.clearTimeout(timer);
    }
    if (!closing && this.readyState !== "closed" && (timedOut || !controller.signal.aborted))
      this._onError(body === undefined ? "POLL_ERROR" : "POST_ERROR", description, context);
  }

  #abort = (): void => {
    for (const controller of this.#requests) controller.abort();
    this.#requests.clear();
  };
}
