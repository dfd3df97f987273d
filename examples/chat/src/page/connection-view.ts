import { byId } from "./dom.js";

export type ConnectionState =
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "disconnected"; reason: string }
  | { state: "reconnecting"; attempt: number };

/** The status pill and the transport badge in the top bar. */
export class ConnectionView {
  readonly #status = byId("connection");
  readonly #transport = byId("transport");

  show(connection: ConnectionState): void {
    this.#status.dataset.state = connection.state;
    if (connection.state !== "reconnecting") delete this.#status.dataset.attempt;
    switch (connection.state) {
      case "connecting":
        this.#status.textContent = "connecting…";
        this.#status.title = "";
        break;
      case "connected":
        this.#status.textContent = "connected";
        this.#status.title = "";
        break;
      case "disconnected":
        this.#status.textContent = "disconnected";
        this.#status.title = connection.reason;
        break;
      case "reconnecting":
        this.#status.textContent = `reconnecting (attempt ${connection.attempt})`;
        this.#status.title = "";
        this.#status.dataset.attempt = String(connection.attempt);
        break;
    }
    document.body.dataset.connection = connection.state;
  }

  transport(name: string | null): void {
    this.#transport.textContent = name ?? "—";
    this.#transport.dataset.transport = name ?? "";
  }
}
