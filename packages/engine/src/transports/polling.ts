import type { IncomingMessage, ServerResponse } from "node:http";
import {
  decodePayload,
  EngineParseError,
  encodePacket,
  type Packet,
  RECORD_SEPARATOR,
} from "../parser/index.js";
import { EngineErrorCode, EngineRequestError } from "../errors.js";
import { writeErrorResponse } from "../http-error.js";
import { chooseEncoding, compress } from "../http-compression.js";
import type { Clock } from "../clock.js";
import type { Outgoing } from "../outgoing.js";
import { PreparedPacket } from "../prepared-packet.js";
import { compressedPayloadHeaders, OK_HEADERS, payloadHeaders, TEXT_PLAIN } from "./polling-headers.js";
import { type RelayDetector, RelayedRequests } from "./relayed-requests.js";
import type { Transport, TransportHandler } from "./transport.js";

/** Limits of the polling transport (from the server options). */
export interface PollingConfig {
  maxHttpBufferSize: number;
  maxPacketsPerPayload: number;
  httpCompressionThreshold: number | false;
  /** Bytes of an oversized POST body read and dropped before its 413 is written. */
  maxDiscardBytes: number;
  /** Milliseconds an oversized POST may take to finish uploading before its 413 is written. */
  discardTimeout: number;
  clock: Clock;
  /** Tells requests relayed by another server of a cluster (their breaking does not end the session). */
  sessionRouter?: RelayDetector | undefined;
}

const CLOSE_PAYLOAD = encodePacket({ type: "close" }, false) as string;
const NOOP_PAYLOAD = encodePacket({ type: "noop" }, false) as string;

/**
 * HTTP long-polling: the client holds one GET open to receive (answered with every packet queued, joined by
 * the record separator) and sends with short POSTs. At most one of each at a time, as the protocol requires.
 */
export class PollingTransport implements Transport {
  // On the prototype, not a field per connection.
  get name(): "polling" {
    return "polling";
  }

  handler: TransportHandler;
  protected readonly config: PollingConfig;
  protected pollReq: IncomingMessage | undefined;
  protected pollRes: ServerResponse | undefined;
  private dataReq: IncomingMessage | undefined;
  private ended = false;
  /** Created at the first relayed request (a cluster without sticky sessions). */
  private relayed: RelayedRequests | undefined;

  constructor(handler: TransportHandler, config: PollingConfig) {
    this.handler = handler;
    this.config = config;
  }

  get writable(): boolean {
    return this.pollRes !== undefined;
  }

  get bufferedAmount(): number {
    return 0;
  }

  /** Takes one request of this session (the server has checked query and sid). */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === "GET") this.onPollRequest(req, res);
    else if (req.method === "POST") this.onDataRequest(req, res);
    else writeErrorResponse(res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { method: req.method }));
  }

  private onPollRequest(req: IncomingMessage, res: ServerResponse): void {
    const repeated = this.relayed?.repeatedPoll(req);
    if (repeated !== undefined) {
      // The answer to this very request was lost with the server that relayed it: the same again.
      this.writePayload(req, res, repeated.body, undefined, repeated.contentType);
      return;
    }
    if (this.ended) {
      writeErrorResponse(
        res,
        new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "TRANSPORT_CLOSED" }),
      );
      return;
    }
    if (this.pollRes !== undefined && this.isRelayed(this.pollReq!)) {
      // The relayed poll's server may be gone without this server having seen it yet: the new one
      // replaces it (nothing was written to it).
      const stale = this.pollRes;
      this.pollRes = undefined;
      this.pollReq = undefined;
      stale.destroy();
    }
    if (this.pollRes !== undefined) {
      // Two GETs at once: refuse the second, and the protocol closes the session (the first gets "1").
      writeErrorResponse(res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "POLL_OVERLAP" }));
      this.handler.onTransportError(this, "overlapping GET requests");
      return;
    }
    this.pollReq = req;
    this.pollRes = res;
    res.once("close", () => {
      if (this.pollRes !== res) return;
      this.pollReq = undefined;
      this.pollRes = undefined;
      // A relayed poll breaks when the relaying server dies: the client polls again through another
      // one (or, gone for good, misses its pong and the heartbeat ends the session).
      if (this.isRelayed(req)) return;
      this.handler.onTransportError(this, "poll connection closed prematurely");
    });
    this.handler.onTransportWritable(this);
  }

  private onDataRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.dataReq !== undefined && this.isRelayed(this.dataReq)) {
      // A relayed POST still being read when the same or the next one arrives: its server died.
      const stale = this.dataReq;
      this.dataReq = undefined;
      stale.destroy();
    }
    if (this.relayed?.repeatedPost(req)) {
      // Applied already: its "ok" was lost with the server that relayed it.
      req.once("end", () => answerOk(res));
      req.resume();
      return;
    }
    if (this.dataReq !== undefined) {
      writeErrorResponse(res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "DATA_OVERLAP" }));
      this.handler.onTransportError(this, "overlapping POST requests");
      return;
    }
    const limit = this.config.maxHttpBufferSize;
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) {
      refuseTooLarge(req, res, this.config, declared - limit > this.config.maxDiscardBytes);
      return;
    }
    this.dataReq = req;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      if (this.dataReq === req) this.dataReq = undefined;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", cleanup);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        refuseTooLarge(req, res, this.config, false, size - limit);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (this.isRelayed(req)) this.relayedRequests().applied(req);
      this.onBody(body, req, res);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", cleanup);
  }

  /** Decodes a POST body into packets (protocol 4: text, packets joined by the record separator). */
  protected decodeBody(body: Buffer, _req: IncomingMessage): Packet[] {
    return decodePayload(body.toString("utf8"), { maxPackets: this.config.maxPacketsPerPayload });
  }

  private onBody(body: Buffer, req: IncomingMessage, res: ServerResponse): void {
    let packets: Packet[];
    try {
      packets = this.decodeBody(body, req);
    } catch (err) {
      const description = err instanceof EngineParseError ? err.message : String(err);
      writeErrorResponse(res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { description }));
      this.handler.onTransportParseError(this, description);
      return;
    }
    // Answer before dispatching: a handler that closes the session must not leave this request hanging.
    answerOk(res);
    for (let i = 0; i < packets.length; i++) {
      if (this.ended) break;
      this.handler.onTransportPacket(this, packets[i]!);
    }
  }

  send(batch: Outgoing[]): void {
    const res = this.pollRes;
    const req = this.pollReq;
    if (res === undefined || req === undefined) return;
    this.pollRes = undefined;
    this.pollReq = undefined;
    let body = "";
    let callbacks: Array<() => void> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (i > 0) body += RECORD_SEPARATOR;
      if (entry instanceof PreparedPacket) {
        body += entry.pollingPayload;
      } else {
        body += encodePacket(entry, false) as string;
        if (entry.cb !== undefined) {
          if (callbacks === undefined) callbacks = [];
          callbacks.push(entry.cb);
        }
      }
    }
    this.writePayload(req, res, body, callbacks);
  }

  /** Ends the transport; a waiting GET is answered with a close packet. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.releasePoll(this.closePayload);
  }

  /** After an upgrade: a waiting GET is answered with a noop so the client's poll loop can stop. */
  discard(): void {
    if (this.ended) return;
    this.ended = true;
    this.releasePoll(this.noopPayload);
  }

  /** The body answering a waiting GET when the transport ends: a close packet. */
  protected get closePayload(): string {
    return CLOSE_PAYLOAD;
  }

  /** The body answering a waiting GET after an upgrade: a noop packet. */
  protected get noopPayload(): string {
    return NOOP_PAYLOAD;
  }

  private releasePoll(payload: string): void {
    const res = this.pollRes;
    const req = this.pollReq;
    this.pollRes = undefined;
    this.pollReq = undefined;
    if (res !== undefined && req !== undefined) this.writePayload(req, res, payload, undefined);
  }

  private isRelayed(req: IncomingMessage): boolean {
    return RelayedRequests.isRelayed(this.config.sessionRouter, req);
  }

  private relayedRequests(): RelayedRequests {
    this.relayed ??= new RelayedRequests();
    return this.relayed;
  }

  /** Answers a GET with `body`, compressed when worth it; `callbacks` run once it is written. */
  protected writePayload(
    req: IncomingMessage,
    res: ServerResponse,
    body: string | Buffer,
    callbacks: Array<() => void> | undefined,
    contentType = TEXT_PLAIN,
  ): void {
    if (this.isRelayed(req)) this.relayedRequests().answered(req, body, contentType);
    const encoding = chooseEncoding(req, body.length, this.config.httpCompressionThreshold);
    if (encoding === undefined) {
      res.writeHead(200, payloadHeaders(contentType, Buffer.byteLength(body)));
      res.end(body);
      // Handed to the socket: as engine.io, the callbacks and `drain` follow at once (no `finish`
      // listener and closure per response).
      this.afterWrite(callbacks);
      return;
    }
    compress(encoding, typeof body === "string" ? Buffer.from(body, "utf8") : body, (err, compressed) => {
      if (res.destroyed) return;
      if (err) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, compressedPayloadHeaders(contentType, encoding, compressed.length));
      res.end(compressed);
      this.afterWrite(callbacks);
    });
  }

  private afterWrite(callbacks: Array<() => void> | undefined): void {
    if (callbacks !== undefined) for (let i = 0; i < callbacks.length; i++) callbacks[i]!();
    this.handler.onTransportDrain(this);
  }
}

function answerOk(res: ServerResponse): void {
  res.writeHead(200, OK_HEADERS);
  res.end("ok");
}

/**
 * Refuses an oversized POST with 413; the session itself is untouched (nothing else is lost). The answer
 * waits until the client has finished uploading: a server that answers and closes while the client still
 * sends makes the client's TCP stack see a reset (EPIPE/ECONNRESET) instead of the status. The rest of the
 * body is read and dropped, up to `maxDiscardBytes` and for at most `discardTimeout` ms; past either bound
 * the 413 is written at once and the connection cut (`immediately` skips the wait: the declared length is
 * already past the bound).
 */
function refuseTooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  config: PollingConfig,
  immediately: boolean,
  alreadyRead = 0,
): void {
  const limit = config.maxHttpBufferSize;
  let timer: unknown;
  let answered = false;
  const answer = (): void => {
    if (answered) return;
    answered = true;
    req.off("data", onData);
    req.off("end", answer);
    req.off("close", answer);
    if (timer !== undefined) config.clock.clearTimeout(timer);
    writeErrorResponse(
      res,
      new EngineRequestError(
        EngineErrorCode.BAD_REQUEST,
        { limit },
        `payload exceeds maxHttpBufferSize (${limit} bytes)`,
        413,
      ),
      true,
    );
    // Whatever is still arriving is not read: "Connection: close" ends the socket once the answer is out.
    if (!req.complete) req.pause();
  };
  let discarded = alreadyRead;
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > config.maxDiscardBytes) answer();
  };
  if (immediately || req.complete) {
    answer();
    return;
  }
  timer = config.clock.setTimeout(answer, config.discardTimeout, undefined);
  req.on("data", onData);
  req.on("end", answer);
  req.on("close", answer);
  req.resume();
}
