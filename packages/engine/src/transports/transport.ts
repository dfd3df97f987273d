import type { Packet } from "../parser/index.js";
import type { TransportName } from "../options.js";
import type { Outgoing } from "../outgoing.js";

/** What a transport reports to its session (plain method calls: no emitter on the hot path). */
export interface TransportHandler {
  /** A packet arrived. */
  onTransportPacket(transport: Transport, packet: Packet): void;
  /** Input the codec refused: the session closes with "parse error". */
  onTransportParseError(transport: Transport, description: string): void;
  /** The connection failed or the client broke the protocol's request rules: "transport error". */
  onTransportError(transport: Transport, description: string): void;
  /** The client closed the connection: "transport close". */
  onTransportClose(transport: Transport): void;
  /** The transport can take a write now (polling: a GET arrived). */
  onTransportWritable(transport: Transport): void;
  /** A batch reached the network. */
  onTransportDrain(transport: Transport): void;
}

/** One way of carrying packets between a session and its client. */
export interface Transport {
  readonly name: TransportName;
  /** True when `send` may be called now. */
  readonly writable: boolean;
  /** Bytes handed to the transport and not yet written to the socket. */
  readonly bufferedAmount: number;
  /**
   * True when everything `send` is given in one tick leaves in one socket write anyway (Volley's
   * WebSocket corks per tick): the session may then hand a packet over at once instead of at the end of
   * the turn without costing an extra write.
   */
  readonly corksPerTick?: boolean;
  handler: TransportHandler;
  /** Writes a batch in one go (one HTTP response / one corked socket write). Only when `writable`. */
  send(batch: Outgoing[]): void;
  /**
   * Ends the transport: polling answers a waiting GET with a close packet, websocket sends a close frame
   * (with `code` and `reason` when given, else 1000), or with `force` (an unresponsive or overwhelmed peer)
   * drops the connection at once.
   */
  close(force?: boolean, code?: number, reason?: string): void;
  /** After an upgrade: stop, releasing a waiting request without ending the session (polling). */
  discard?(): void;
}
