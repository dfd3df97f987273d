import { debugUpgrade } from "./debug.js";
import type { Packet } from "./parser/index.js";
import type { ReadyState, SessionHost } from "./session-outbox.js";
import type { Transport } from "./transports/transport.js";

/** What an upgrade in progress needs of its session. */
export interface UpgradingSession {
  /** The session id (`sid`), for the debug log. */
  readonly id: string;
  readonly readyState: ReadyState;
  /** `3probe` was sent: the client is pausing polling, so its waiting poll must be answered now. */
  onUpgradeProbed(transport: Transport): void;
  /** The client sent the upgrade packet (`5`): `transport` takes over from polling. */
  onUpgradeConfirmed(transport: Transport): void;
  /** `upgradeTimeout` passed: the session cancels the upgrade. */
  onUpgradeTimeout(): void;
}

/**
 * A polling → websocket upgrade in progress (protocol "Upgrade"). Probing: the websocket is attached and the
 * server waits for `2probe`. Probed (`3probe` sent): the client is pausing polling, so every GET is answered
 * at once until it sends `5` (switch) — or the upgrade is cancelled (bad packet, websocket closed,
 * `upgradeTimeout`). Allocated only while an upgrade runs; the session holds it and ends it.
 */
export class PendingUpgrade {
  /** The websocket being probed; the session routes its packets to {@link receive}. */
  readonly transport: Transport;
  /** `3probe` was sent: the session answers every poll at once (see `EngineSocket.flush`). */
  probed = false;
  private readonly session: UpgradingSession;
  private readonly host: SessionHost;
  private readonly timer: unknown;

  /** Starts the upgrade of `session` to `transport`, and its `upgradeTimeout`. */
  constructor(session: UpgradingSession, transport: Transport, host: SessionHost) {
    if (debugUpgrade.enabled) debugUpgrade.log("%s: upgrade to %s started", session.id, transport.name);
    this.session = session;
    this.transport = transport;
    this.host = host;
    this.timer = host.options.clock.setTimeout(onUpgradeTimeout, host.options.upgradeTimeout, session);
  }

  /**
   * A packet from the client on the upgrading transport: `2probe` is answered, `5` completes the switch
   * (while the session is open). False for anything else: the session then cancels the upgrade.
   */
  receive(packet: Packet): boolean {
    const transport = this.transport;
    const session = this.session;
    if (packet.type === "ping" && packet.data === "probe") {
      transport.send([{ type: "pong", data: "probe" }]);
      this.probed = true;
      if (debugUpgrade.enabled) debugUpgrade.log("%s: probe answered", session.id);
      session.onUpgradeProbed(transport);
      return true;
    }
    if (packet.type === "upgrade" && session.readyState === "open") {
      this.host.options.clock.clearTimeout(this.timer);
      this.host.counters.upgrades++;
      if (debugUpgrade.enabled) debugUpgrade.log("%s: upgraded to %s", session.id, transport.name);
      session.onUpgradeConfirmed(transport);
      return true;
    }
    return false;
  }

  /**
   * Ends the upgrade unfinished: its timer stops and its transport closes. Counted as a failure only while
   * the session is open (a closing session cancels its upgrade as a matter of course).
   */
  cancel(): void {
    const readyState = this.session.readyState;
    if (readyState === "open") this.host.counters.upgradeFailures++;
    if (debugUpgrade.enabled) debugUpgrade.log("%s: upgrade cancelled (%s)", this.session.id, readyState);
    this.host.options.clock.clearTimeout(this.timer);
    this.transport.close();
  }
}

// A module function taking the session: the timer holds no closure.
function onUpgradeTimeout(session: UpgradingSession): void {
  session.onUpgradeTimeout();
}
