import type { IncomingMessage } from "node:http";
import { type Packet, PROTOCOL_VERSION } from "./parser/index.js";
import { PROTOCOL_V3 } from "./parser/v3.js";
import { endSlowConsumer, undeliveredHint } from "./close-hint.js";
import type { CloseReason } from "./errors.js";
import { HandshakeRequest } from "./handshake-request.js";
import { debug, debugHeartbeat } from "./debug.js";
import type { OutgoingPacket } from "./outgoing.js";
import { type MessageData, type SessionHandler, type SessionHost, SessionOutbox } from "./session-outbox.js";
import { PendingUpgrade, type UpgradingSession } from "./session-upgrade.js";
import type { TimerEntry } from "./timer-list.js";
import type { Transport, TransportHandler } from "./transports/transport.js";

export type {
  EngineSocketEvents,
  MessageData,
  ReadyState,
  SendOptions,
  SessionHandler,
  SessionHost,
} from "./session-outbox.js";

/** Engine.IO protocol revisions a session may speak: 4, or 3 with `allowEIO3`. */
export type EngineProtocol = 3 | 4;

const NOOP: OutgoingPacket = { type: "noop" };
const CLOSE: OutgoingPacket = { type: "close" };
const PING: OutgoingPacket = { type: "ping" };

// Bits of `flags` (bit 1 is the outbox's): one field instead of one per boolean.
/** Pinged; in `pongTimers` (otherwise, while open, in `pingTimers`). */
const AWAITING_PONG = 2;
const UPGRADED = 4;
/** Engine.IO protocol 3 (`allowEIO3`): the client pings, the server answers; in `clientPingTimers`. */
const EIO3 = 8;

/**
 * One Engine.IO session: its handshake, its transport (polling, then maybe websocket), the heartbeat and its
 * closing; the queue of packets waiting for the next write is the {@link SessionOutbox} it extends, an upgrade
 * in progress a {@link PendingUpgrade} that calls it back ({@link UpgradingSession}). Kept small: an idle session holds no timer object (heartbeats are two shared `TimerList`s of the
 * server), no empty queue and no request stream.
 */
export class EngineSocket extends SessionOutbox implements TransportHandler, TimerEntry, UpgradingSession {
  /** The session id (`sid`): 120 random bits, base64url. */
  readonly id: string;
  /** What the session keeps of its handshake request: headers, url, method, socket, remote address. */
  readonly handshake: HandshakeRequest;

  /** @internal TimerList links (heartbeat). */
  timerPrev: TimerEntry | undefined = undefined;
  /** @internal */
  timerNext: TimerEntry | undefined = undefined;
  /** @internal */
  timerDeadline = 0;

  /** The handshake's IncomingMessage until the `connection` event is over, then one rebuilt on demand. */
  private requestMessage: IncomingMessage | undefined;
  /** The upgrade in progress, if any (protocol "Upgrade"): see {@link PendingUpgrade}. */
  private pendingUpgrade: PendingUpgrade | undefined = undefined;
  private closeReason: CloseReason | undefined = undefined;
  /** The one one-off timer a session may hold: `connectTimeout` until the first message, then `closeTimeout`. */
  private stateTimer: unknown = undefined;
  /** The layer above, called before the listeners (see {@link attachHandler}). */
  private handler: SessionHandler | undefined = undefined;

  /** @internal Sessions are created by `EngineServer`. */
  constructor(
    host: SessionHost,
    id: string,
    request: IncomingMessage,
    transport: Transport,
    protocol: EngineProtocol = PROTOCOL_VERSION,
  ) {
    super(host, transport);
    if (protocol === PROTOCOL_V3) this.flags |= EIO3;
    this.id = id;
    this.handshake = new HandshakeRequest(request);
    this.requestMessage = request;
    transport.handler = this;
  }

  /**
   * The handshake request as an `http.IncomingMessage`: the original one during the `connection` event; after
   * it, the session keeps only {@link handshake}, and this getter rebuilds a request from it on first use
   * (same headers, url, method and socket; empty body; not the original object). Prefer `handshake`.
   */
  get request(): IncomingMessage {
    if (this.requestMessage === undefined) this.requestMessage = this.handshake.toIncomingMessage();
    return this.requestMessage;
  }

  /**
   * Gives this session one handler for its messages and its close, called before the `message` and
   * `close` listeners. For the layer above (the Socket.IO server): unlike listeners, it costs no
   * listener table per session. Replaces any earlier one.
   */
  attachHandler(handler: SessionHandler): void {
    this.handler = handler;
  }

  /** Engine.IO protocol revision of the client: 4, or 3 for an `EIO=3` client admitted by `allowEIO3`. */
  get protocol(): EngineProtocol {
    return (this.flags & EIO3) !== 0 ? PROTOCOL_V3 : PROTOCOL_VERSION;
  }

  /** Address of the client as the handshake's TCP connection saw it. */
  get remoteAddress(): string {
    return this.handshake.remoteAddress;
  }

  /** True once the session moved from polling to websocket. */
  get upgraded(): boolean {
    return (this.flags & UPGRADED) !== 0;
  }

  /** True while an upgrade to another transport is in progress. */
  get upgrading(): boolean {
    return this.pendingUpgrade !== undefined;
  }

  /** @internal Sends the open packet and starts the heartbeat. */
  open(upgrades: string[]): void {
    const options = this.host.options;
    this.readyState = "open";
    this.queue(
      {
        type: "open",
        data: JSON.stringify({
          sid: this.id,
          upgrades,
          pingInterval: options.pingInterval,
          pingTimeout: options.pingTimeout,
          maxPayload: options.maxHttpBufferSize,
        }),
      },
      0,
    );
    if (options.initialPacket !== undefined) this.send(options.initialPacket);
    // Protocol 3 reverses the heartbeat: the client pings, the server only watches for it.
    if ((this.flags & EIO3) !== 0) this.host.clientPingTimers.add(this);
    else this.host.pingTimers.add(this);
    if (options.connectTimeout !== undefined) {
      this.stateTimer = options.clock.setTimeout(onConnectTimeout, options.connectTimeout, this);
    }
  }

  /** @internal The `connection` event is over: keep the compact handshake record only. */
  releaseRequest(): void {
    if (this.requestMessage === undefined) return;
    this.handshake.keepExtras(this.requestMessage);
    this.handshake.compact();
    this.requestMessage = undefined;
  }

  /**
   * Closes the session ("forced close") after what is queued has been written. On polling the client learns
   * it at its next poll (waiting at most `closeTimeout`).
   */
  close(): this {
    this.beginClose("forced close", true);
    return this;
  }

  /** @internal Closes at once, still writing what is queued if the transport can take it now. */
  shutdown(reason: CloseReason): void {
    this.beginClose(reason, false);
  }

  /** @internal A websocket connection for this session's sid: probe it, then switch (protocol "Upgrade"). */
  maybeUpgrade(transport: Transport): void {
    if (
      this.readyState !== "open" ||
      this.pendingUpgrade !== undefined ||
      this.transport.name !== "polling"
    ) {
      transport.close();
      return;
    }
    transport.handler = this;
    this.pendingUpgrade = new PendingUpgrade(this, transport, this.host);
  }

  // ---- TransportHandler ----

  /** @internal */
  onTransportPacket(transport: Transport, packet: Packet): void {
    const upgrade = this.pendingUpgrade;
    if (upgrade !== undefined && transport === upgrade.transport) {
      if (!upgrade.receive(packet)) this.cancelUpgrade();
      return;
    }
    if (transport !== this.transport || this.readyState !== "open") return;
    if (this.listenerCount("packet") > 0) this.emit("packet", packet);
    switch (packet.type) {
      case "message":
        this.host.counters.messagesReceived++;
        // A bare "4" carries no data at all.
        this.host.counters.bytesReceived += (packet.data as MessageData | undefined)?.length ?? 0;
        if (this.stateTimer !== undefined) {
          // The first message: connectTimeout is met.
          this.host.options.clock.clearTimeout(this.stateTimer);
          this.stateTimer = undefined;
        }
        this.handler?.onSessionMessage(packet.data as MessageData);
        this.emit("message", packet.data as MessageData);
        break;
      case "pong":
        if ((this.flags & AWAITING_PONG) !== 0) {
          this.flags &= ~AWAITING_PONG;
          this.host.pongTimers.remove(this);
          this.host.pingTimers.add(this);
        }
        this.emit("heartbeat");
        break;
      case "ping":
        // Protocol 4 clients do not ping; answering costs nothing and helps older tools.
        this.queue(packet.data === undefined ? { type: "pong" } : { type: "pong", data: packet.data }, 1);
        if ((this.flags & EIO3) !== 0) {
          // The protocol 3 heartbeat: the next ping is due within pingInterval + pingTimeout from this one.
          this.host.clientPingTimers.remove(this);
          this.host.clientPingTimers.add(this);
        }
        this.emit("heartbeat");
        break;
      case "close":
        // The client is leaving: a GET it still has parked gets a noop (as engine.io), not a close packet.
        if (transport.name === "polling") transport.discard?.();
        this.onClose("transport close");
        break;
      default:
        // open/upgrade/noop from a client on an established transport carry nothing to act on.
        break;
    }
  }

  /** @internal */
  onTransportParseError(transport: Transport, description: string): void {
    if (transport === this.pendingUpgrade?.transport) this.cancelUpgrade();
    else if (transport === this.transport) this.onClose("parse error", description);
  }

  /** @internal */
  onTransportError(transport: Transport, description: string): void {
    if (transport === this.pendingUpgrade?.transport) this.cancelUpgrade();
    else if (transport === this.transport) {
      if (this.listenerCount("error") > 0) this.emit("error", new Error(description));
      this.onClose("transport error", description);
    }
  }

  /** @internal */
  onTransportClose(transport: Transport): void {
    if (transport === this.pendingUpgrade?.transport) this.cancelUpgrade();
    else if (transport === this.transport) this.onClose("transport close");
  }

  /** @internal */
  onTransportWritable(transport: Transport): void {
    if (transport === this.transport) this.flush();
  }

  /** @internal */
  onTransportDrain(transport: Transport): void {
    if (transport === this.transport && this.readyState === "open") this.emit("drain");
  }

  /** @internal `pingInterval` passed since the open or the last pong: ping, and wait `pingTimeout`. */
  onPingDue(): void {
    if (this.readyState !== "open") return;
    this.flags |= AWAITING_PONG;
    this.queue(PING, 1);
    if (this.readyState === "open") this.host.pongTimers.add(this);
  }

  /** @internal No pong within `pingTimeout` (protocol 4), or no ping within `pingInterval + pingTimeout` (3). */
  onPongOverdue(): void {
    if (debugHeartbeat.enabled)
      debugHeartbeat.log(
        "%s: heartbeat missed (no pong within pingTimeout, or no ping from a protocol 3 client)",
        this.id,
      );
    this.onClose("ping timeout");
  }

  /** @internal The probe is answered: release the client's waiting GET (if any) so it can pause polling. */
  onUpgradeProbed(transport: Transport): void {
    this.emit("upgrading", transport);
    this.flush();
  }

  /** @internal The client sent the upgrade packet: `transport` replaces polling. */
  onUpgradeConfirmed(transport: Transport): void {
    this.pendingUpgrade = undefined;
    const previous = this.transport;
    this.transport = transport;
    this.flags |= UPGRADED;
    previous.discard?.();
    this.emit("upgrade", transport);
    // Packets queued while the client paused polling go out now, in order, on the new transport.
    this.flush();
  }

  /** @internal */
  onUpgradeTimeout(): void {
    this.cancelUpgrade();
  }

  /** @internal */
  onCloseTimeout(): void {
    this.stateTimer = undefined;
    this.onClose(this.closeReason ?? "forced close");
  }

  /** @internal */
  onConnectTimeout(): void {
    this.stateTimer = undefined;
    this.close();
  }

  // ---- internals ----

  /** Writes the queue if the transport can take it; while closing, ends with the close packet (polling). */
  protected flush(): void {
    if (this.readyState === "closed") return;
    const transport = this.transport;
    const closing = this.readyState === "closing";
    // Protocol "Upgrade": once the probe is answered, every poll (waiting or new) is answered at once, with a
    // noop when nothing is queued, until the upgrade packet or its cancellation. A poll held here would keep
    // the client from pausing polling, and the upgrade would stall until upgradeTimeout.
    const releasePoll = this.pendingUpgrade?.probed === true;
    if (!transport.writable || (this.queueEmpty && !releasePoll && !closing)) return;
    let batch = this.takeQueued();
    if (closing && transport.name === "polling") {
      if (batch === undefined) batch = [CLOSE];
      else batch.push(CLOSE);
    } else if (batch === undefined && releasePoll) {
      batch = [NOOP];
    }
    if (batch !== undefined) transport.send(batch);
    if (closing) {
      this.onClose(this.closeReason!);
      return;
    }
    this.closeIfOverBuffered();
  }

  private beginClose(reason: CloseReason, waitForPoll: boolean): void {
    if (this.readyState !== "open" && this.readyState !== "opening") {
      if (this.readyState === "closing" && !waitForPoll) this.onClose(reason);
      return;
    }
    this.readyState = "closing";
    this.closeReason = reason;
    this.cancelUpgrade();
    this.clearStateTimer();
    if (this.transport.writable) {
      this.flush();
      return;
    }
    if (waitForPoll) {
      this.stateTimer = this.host.options.clock.setTimeout(
        onCloseTimeout,
        this.host.options.closeTimeout,
        this,
      );
    } else this.onClose(reason);
  }

  protected onClose(reason: CloseReason, description?: unknown): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.host.counters.closed(reason);
    if (debug.enabled) debug.log("%s closed on %s: %s", this.id, this.transport.name, reason);
    if ((this.flags & AWAITING_PONG) !== 0) this.host.pongTimers.remove(this);
    else if ((this.flags & EIO3) !== 0) this.host.clientPingTimers.remove(this);
    else this.host.pingTimers.remove(this);
    this.clearStateTimer();
    this.cancelUpgrade();
    // A polling client with no poll waiting learns nothing now: a hint it was due is owed to its next poll.
    const pollMissed = this.transport.name === "polling" && !this.transport.writable;
    if (reason === "slow consumer") endSlowConsumer(this.transport, this.host.options, this.host.counters);
    else this.transport.close(reason === "ping timeout");
    const dropped = this.takeQueued();
    const owed = pollMissed ? undeliveredHint(reason, dropped, this.host.options) : undefined;
    if (owed !== undefined) this.host.oweCloseHint(this, owed);
    this.host.onSessionClose(this);
    this.handler?.onSessionClose(reason, description);
    this.emit("close", reason, description);
  }

  private clearStateTimer(): void {
    if (this.stateTimer === undefined) return;
    this.host.options.clock.clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
  }

  private cancelUpgrade(): void {
    const upgrade = this.pendingUpgrade;
    if (upgrade === undefined) return;
    this.pendingUpgrade = undefined;
    upgrade.cancel();
  }
}

// Timer callbacks: module functions taking the session, so a session holds no closures.

function onCloseTimeout(session: EngineSocket): void {
  session.onCloseTimeout();
}

function onConnectTimeout(session: EngineSocket): void {
  session.onConnectTimeout();
}
