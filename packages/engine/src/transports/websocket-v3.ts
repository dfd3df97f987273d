import { EngineParseError, encodePacket, type Packet } from "../parser/index.js";
import { decodeBinaryFrameV3, decodePacketV3, encodeBinaryFrameV3 } from "../parser/v3.js";
import type { Outgoing } from "../outgoing.js";
import { PreparedPacket } from "../prepared-packet.js";
import { BINARY, sendOptions, TEXT, toBuffer, WebSocketTransport } from "./websocket.js";

/**
 * The websocket transport of an Engine.IO protocol 3 session (`allowEIO3`): text frames as in protocol 4,
 * but a binary frame starts with the packet type byte (4, message), both ways, and a text frame may carry
 * `b4<base64>` from a client without binary support. Chosen once per session, so protocol 4 sessions keep
 * their own send path untouched.
 */
export class WebSocketTransportV3 extends WebSocketTransport {
  override send(batch: Outgoing[]): void {
    const socket = this.socket;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (entry instanceof PreparedPacket) {
        if (typeof entry.data === "string") {
          // The text form is the same in both protocols: the frame built once for everyone still fits.
          const frame = socket.sendPrepared !== undefined ? entry.websocketFrame() : undefined;
          if (frame !== undefined) socket.sendPrepared!(frame);
          else socket.send(entry.websocketData, TEXT);
        } else socket.send(toBuffer(encodeBinaryFrameV3(entry.data)), BINARY);
        continue;
      }
      const cb = entry.cb;
      const data = entry.data;
      if (data === undefined || typeof data === "string") {
        const text = encodePacket(entry, true) as string;
        socket.send(text, sendOptions(false, entry.compress), cb && ((err) => err || cb()));
      } else {
        const frame = toBuffer(encodeBinaryFrameV3(data));
        socket.send(frame, sendOptions(true, entry.compress), cb && ((err) => err || cb()));
      }
    }
    this.handler.onTransportDrain(this);
  }

  /** @internal */
  override onWebSocketMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    let packet: Packet;
    try {
      packet = isBinary ? decodeBinaryFrameV3(data) : decodePacketV3(data.toString("utf8"));
    } catch (err) {
      this.handler.onTransportParseError(this, err instanceof EngineParseError ? err.message : String(err));
      return;
    }
    this.handler.onTransportPacket(this, packet);
  }
}
