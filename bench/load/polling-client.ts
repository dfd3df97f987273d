// A lean Socket.IO client on Engine.IO 4 HTTP long-polling, the same for every server: the handshake GET,
// a long-poll GET loop, POSTs of record-separated packets (one in flight, the rest batched behind it, as
// engine.io-client does), over a keep-alive agent of 2 sockets per client as a browser gives one origin's
// page (one for the poll, one for the POST). Socket.IO 5 CONNECT / EVENT / ACK on `/`. Optionally upgrades to
// the websocket transport afterwards (`2probe` / `3probe` / `5`).
import { Agent, request } from "node:http";
import WebSocket from "ws";
import { type ClientOptions, type LoadClient, noop } from "./client.js";

const SEPARATOR = "\x1e";
const PATH = "/socket.io/?EIO=4&transport=polling";
const TICK_PREFIX = '42["tick","';

interface HttpAnswer {
  status: number;
  body: string;
}

export class PollingLoadClient implements LoadClient {
  onReply: () => void = noop;
  onTick: (seq: number) => void = noop;
  onError: (reason: string) => void = noop;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 2 });
  private sid = "";
  private ws: WebSocket | undefined;
  private outbox: string[] = [];
  private posting = false;
  private polling = false;
  /** No new long-poll once the upgrade started (or the client closed). */
  private stopPolling = false;
  private closed = false;
  private onConnect: (() => void) | undefined;
  private onPollDone: (() => void) | undefined;
  private nextAckId = 0;
  private expectedAckId = -1;
  private readonly pendingAcks = new Map<number, () => void>();
  private readonly echoBody: string;
  private readonly echoReplyLength: number;
  private readonly pad: string;

  private constructor(
    private readonly port: number,
    size: number,
  ) {
    this.echoBody = `["echo","${"x".repeat(size)}"]`;
    this.echoReplyLength = 2 + 4 + size;
    this.pad = "y".repeat(Math.max(0, size - 8));
  }

  /** Handshake, CONNECT to `/` and (with `upgrade`) the move to websocket; resolves once connected. */
  static async connect(options: ClientOptions & { upgrade?: boolean }): Promise<PollingLoadClient> {
    const client = new PollingLoadClient(options.port, options.size);
    try {
      const open = await client.http("GET", PATH);
      if (open.status !== 200 || open.body[0] !== "0") {
        throw new Error(`handshake answered ${open.status} ${open.body.slice(0, 80)}`);
      }
      client.sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      const connected = new Promise<void>((resolve) => {
        client.onConnect = resolve;
      });
      client.send("40");
      client.poll();
      await connected;
      if (options.upgrade) await client.upgrade();
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  private http(method: "GET" | "POST", path: string, body?: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers["content-type"] = "text/plain;charset=UTF-8";
        headers["content-length"] = Buffer.byteLength(body);
      }
      const req = request(
        { host: "127.0.0.1", port: this.port, path, method, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** The long-poll loop: one GET in flight until the client closes or upgrades. */
  private poll(): void {
    if (this.stopPolling || this.closed) {
      this.onPollDone?.();
      return;
    }
    this.polling = true;
    this.http("GET", `${PATH}&sid=${this.sid}`).then(
      (answer) => {
        this.polling = false;
        if (this.closed) return;
        if (answer.status !== 200) return this.fail(`poll answered ${answer.status} ${answer.body}`);
        for (const packet of answer.body.split(SEPARATOR)) this.onPacket(packet);
        this.poll();
      },
      (err: Error) => {
        this.polling = false;
        this.fail(`poll: ${err.message}`);
      },
    );
  }

  /** Queues one Engine.IO packet; a POST carries everything queued while the previous one was out. */
  private send(packet: string): void {
    if (this.ws) this.ws.send(packet);
    else {
      this.outbox.push(packet);
      this.flush();
    }
  }

  private flush(): void {
    if (this.posting || this.outbox.length === 0 || this.closed) return;
    const body = this.outbox.join(SEPARATOR);
    this.outbox = [];
    this.posting = true;
    this.http("POST", `${PATH}&sid=${this.sid}`, body).then(
      (answer) => {
        this.posting = false;
        if (answer.status !== 200) return this.fail(`POST answered ${answer.status} ${answer.body}`);
        this.flush();
      },
      (err: Error) => {
        this.posting = false;
        this.fail(`POST: ${err.message}`);
      },
    );
  }

  /** Probe a websocket with the session id, pause polling, then switch (`5`). */
  private upgrade(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${this.port}/socket.io/?EIO=4&transport=websocket&sid=${this.sid}`,
        {
          perMessageDeflate: false,
        },
      );
      ws.on("open", () => ws.send("2probe"));
      ws.on("error", (err) => (this.ws ? this.fail(err.message) : reject(err)));
      ws.on("close", (code) => {
        if (!this.ws) reject(new Error(`upgrade closed (${code})`));
        else if (!this.closed && code !== 1000 && code !== 1005) this.fail(`closed by server with ${code}`);
      });
      ws.on("message", (data: Buffer) => {
        const text = data.toString();
        if (this.ws) return this.onPacket(text);
        if (text !== "3probe") return reject(new Error(`probe answered ${text.slice(0, 40)}`));
        // The server ends the pending poll (a noop) once probed; switch when no GET is out.
        this.stopPolling = true;
        const finish = () => {
          this.onPollDone = undefined;
          if (this.posting || this.outbox.length > 0) return setTimeout(finish, 1);
          ws.send("5");
          this.ws = ws;
          resolve();
        };
        if (this.polling) this.onPollDone = finish;
        else finish();
      });
    });
  }

  private fail(reason: string): void {
    if (!this.closed) this.onError(reason);
  }

  private onPacket(packet: string): void {
    const type = packet[0];
    if (type === "2") this.send("3");
    else if (type === "6" || packet === "") return;
    else if (type !== "4") this.fail(`unexpected engine.io packet ${packet.slice(0, 40)}`);
    else if (packet[1] === "0") this.onConnect?.();
    else if (packet[1] === "2") this.onEvent(packet);
    else if (packet[1] === "3") this.onAck(packet);
    else this.fail(`unexpected socket.io packet ${packet.slice(0, 40)}`);
  }

  private onEvent(text: string): void {
    if (!text.startsWith(TICK_PREFIX)) this.fail(`unexpected event ${text.slice(0, 40)}`);
    else this.onTick(Number(text.slice(TICK_PREFIX.length, text.indexOf("|", TICK_PREFIX.length))));
  }

  private onAck(text: string): void {
    const bracket = text.indexOf("[", 2);
    const id = Number(text.slice(2, bracket));
    const waiter = this.pendingAcks.get(id);
    if (waiter) {
      this.pendingAcks.delete(id);
      waiter();
    } else if (id !== this.expectedAckId) this.fail(`ack ${id}, expected ${this.expectedAckId}`);
    else if (text.length - (bracket - 2) !== this.echoReplyLength) this.fail("echo of wrong size");
    else {
      this.expectedAckId = -1;
      this.onReply();
    }
  }

  sendEcho(): void {
    const id = this.nextAckId++;
    this.expectedAckId = id;
    this.send(`42${id}${this.echoBody}`);
  }

  sendTrigger(seq: number, room?: string): void {
    const m = `"${seq}|${this.pad}"`;
    this.send(room === undefined ? `42["emit",${m}]` : `42["room","${room}",${m}]`);
  }

  join(room: string): Promise<void> {
    const id = this.nextAckId++;
    return new Promise((resolve) => {
      this.pendingAcks.set(id, resolve);
      this.send(`42${id}["join","${room}"]`);
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.removeAllListeners("close");
    this.ws?.on("error", noop);
    this.ws?.terminate();
    this.agent.destroy();
  }
}
