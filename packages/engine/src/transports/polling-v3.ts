import type { IncomingMessage } from "node:http";
import { isBinary, type Packet } from "../parser/index.js";
import {
  decodeBinaryPayloadV3,
  decodeTextPayloadV3,
  encodeBinaryPayloadV3,
  encodePacketV3,
  encodeTextPayloadV3,
} from "../parser/v3.js";
import type { Outgoing } from "../outgoing.js";
import { PreparedPacket } from "../prepared-packet.js";
import { type PollingConfig, PollingTransport } from "./polling.js";
import type { TransportHandler } from "./transport.js";

const BINARY_CONTENT_TYPE = "application/octet-stream";
const CLOSE_PAYLOAD_V3 = encodeTextPayloadV3([encodePacketV3({ type: "close" })]);
const NOOP_PAYLOAD_V3 = encodeTextPayloadV3([encodePacketV3({ type: "noop" })]);

/**
 * HTTP long-polling for an Engine.IO protocol 3 session (`allowEIO3`): the same request rules as protocol 4,
 * with protocol 3 payloads. A response is a length-prefixed text payload, or a binary payload
 * (`application/octet-stream`) when a packet is binary and the client takes binary (no `b64=1` in its
 * handshake query). A POST is read as a binary payload when its Content-Type is `application/octet-stream`.
 */
export class PollingTransportV3 extends PollingTransport {
  /** False when the client asked for base64 (`b64=1`): binary then travels as `b4<base64>` text. */
  private readonly supportsBinary: boolean;

  constructor(handler: TransportHandler, config: PollingConfig, supportsBinary: boolean) {
    super(handler, config);
    this.supportsBinary = supportsBinary;
  }

  protected override decodeBody(body: Buffer, req: IncomingMessage): Packet[] {
    const maxPackets = this.config.maxPacketsPerPayload;
    if (req.headers["content-type"] === BINARY_CONTENT_TYPE) return decodeBinaryPayloadV3(body, maxPackets);
    return decodeTextPayloadV3(body.toString("utf8"), maxPackets);
  }

  override send(batch: Outgoing[]): void {
    const res = this.pollRes;
    const req = this.pollReq;
    if (res === undefined || req === undefined) return;
    this.pollRes = undefined;
    this.pollReq = undefined;
    let callbacks: Array<() => void> | undefined;
    let binary = false;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (entry instanceof PreparedPacket) {
        if (typeof entry.data !== "string") binary = true;
      } else {
        if (isBinary(entry.data)) binary = true;
        if (entry.cb !== undefined) {
          if (callbacks === undefined) callbacks = [];
          callbacks.push(entry.cb);
        }
      }
    }
    if (binary && this.supportsBinary) {
      // Binary parts carry the data as it is; text parts are encoded packets.
      const parts = batch.map((entry) =>
        entry instanceof PreparedPacket
          ? typeof entry.data === "string"
            ? entry.pollingPayload
            : entry.data
          : isBinary(entry.data)
            ? entry.data
            : encodePacketV3(entry),
      );
      const body = encodeBinaryPayloadV3(parts);
      const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      this.writePayload(req, res, bytes, callbacks, BINARY_CONTENT_TYPE);
      return;
    }
    const encoded = batch.map((entry) =>
      entry instanceof PreparedPacket && typeof entry.data === "string"
        ? entry.pollingPayload
        : encodePacketV3(entry instanceof PreparedPacket ? { type: "message", data: entry.data } : entry),
    );
    this.writePayload(req, res, encodeTextPayloadV3(encoded), callbacks);
  }

  protected override get closePayload(): string {
    return CLOSE_PAYLOAD_V3;
  }

  protected override get noopPayload(): string {
    return NOOP_PAYLOAD_V3;
  }
}
