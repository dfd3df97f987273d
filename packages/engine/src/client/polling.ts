import type { Packet } from "../parser/index.js";
import type { EngineClientError } from "./errors.js";
import { decodePayload, encodePayload } from "./packet-codec.js";
import { Transport } from "./transport.js";

/**
 * HTTP long-polling over `fetch`: a GET held open by the server receives packets, a POST sends them.
 * At most one GET and one POST are in flight (the server rejects overlapping requests).
 */
export class PollingTransport extends Transport {
  readonly name = "polling";
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
        this.emitReserved("drain");
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
      return this.emitReserved("error", error as EngineClientError);
    }
    for (const packet of packets) {
      if (this.readyState === "opening" && packet.type === "open") this._onOpen();
      if (packet.type === "close") return this._onClose({ description: "transport closed by the server" });
      this._onPacket(packet);
      // A listener may have closed us while handling the packet.
      if ((this.readyState as string) === "closed") return;
    }
    this.#polling = false;
    this.emitReserved("pollComplete");
    if (this.readyState === "open") this.#poll();
  }

  /**
   * One HTTP request: a POST with `body`, else a GET. Resolves to the answer's body, or to undefined after
   * reporting the failure (nothing is reported while closing or once closed).
   */
  async #request(body?: string, closing?: boolean): Promise<string | undefined> {
    const controller = new AbortController();
    const opts = this._opts;
    if (!closing) this.#requests.add(controller);
    try {
      const response = await fetch(this._uri("http", opts.timestampRequests !== false), {
        method: body ? "POST" : "GET",
        // A string body goes as text/plain;charset=UTF-8 (Fetch standard); the `t` parameter defeats caches.
        body,
        headers: opts.extraHeaders,
        credentials: opts.withCredentials ? "include" : undefined, // fetch's default: same-origin
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.ok) return text;
      // A refusal by a server limit says how long to wait in its JSON body (seconds): unlike the
      // Retry-After header, a browser lets scripts read it cross-origin.
      this.retryAfter = (/After":(\d+)/.exec(text)?.[1] as unknown as number) * 1000;
      throw response.status;
    } catch (error) {
      if (!closing && this.readyState !== "closed" && !controller.signal.aborted)
        this._onError(body === undefined ? "POLL_ERROR" : "POST_ERROR", error);
    } finally {
      this.#requests.delete(controller);
    }
  }

  #abort = (): void => {
    for (const controller of this.#requests) controller.abort();
    this.#requests.clear();
  };
}
