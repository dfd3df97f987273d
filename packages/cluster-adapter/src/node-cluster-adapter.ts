// The node:cluster transport of a ClusterAdapter (volley), which holds everything that does not
// depend on the transport (requests, remote acks, liveness, departures, outage buffering). Here: the
// IPC channel to the primary, which relays every frame to the other workers (no per-room routing:
// a worker without members in a room delivers a broadcast to nobody), tells who died at once (it
// sees its workers exit), and — with connection-state recovery — gives logged broadcasts their
// offsets and keeps the sessions, so a client of a worker that died recovers on another (what the
// primary keeps: primary-recovery; the rest is the cluster layer's LoggedClusterAdapter).
import { type ClusterAdapterError, type ClusterChannel, LoggedClusterAdapter, type Namespace } from "volley";
import { fromIpcBytes, type IpcBytes, toIpcBytes } from "./ipc-messages.js";
import { type NodeClusterAdapterOptions, resolveOptions } from "./options.js";
import { PrimaryRecovery } from "./primary-recovery.js";
import { type ChannelMember, channelFor, type WorkerChannel } from "./worker-channel.js";

/**
 * Adapter sharing rooms, broadcasts, acknowledgements, `fetchSockets`, `serverSideEmit` and
 * connection-state recovery between the workers of a `node:cluster`, through the primary
 * ({@link setupPrimary}). Created by {@link createAdapter}.
 */
export class NodeClusterAdapter extends LoggedClusterAdapter implements ChannelMember {
  readonly key: string;
  readonly nspName: string;
  private readonly channel: WorkerChannel;

  constructor(nsp: Namespace, opts: NodeClusterAdapterOptions = {}) {
    super(nsp, opts);
    const o = resolveOptions(opts);
    this.key = o.key;
    this.nspName = this.host.name;
    this.channel = channelFor(o.port, o.advanced, o.maxBacklogBytes);
    if (this.host.recovery) {
      this.useLoggedRecovery(
        new PrimaryRecovery({
          channel: this.channel,
          key: this.key,
          nsp: this.nspName,
          uid: this.uid,
          sender: this.sender,
          requestsTimeout: this.clusterOptions.requestsTimeout,
          report: (err) => this.report(err),
        }),
      );
    }
  }

  // ── the transport ────────────────────────────────────────────────────────────────────────────

  protected override publish(channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    const bytes = toIpcBytes(frame, this.channel.advanced);
    return this.channel.publish(this, bytes, channel.kind === "response" ? channel.uid : undefined);
  }

  /** Joins the primary's relay; resolves once it answered (with the head of the recovery log). */
  protected override async subscribeNode(): Promise<void> {
    this.channel.attach(this);
    const recovery = this.host.recovery;
    const reply = await this.channel.request(
      {
        t: "volley:hello",
        key: this.key,
        nsp: this.nspName,
        uid: this.uid,
        ...(recovery && {
          recovery: {
            maxPackets: recovery.maxPackets,
            maxBytes: recovery.maxBytes,
            maxAge: recovery.maxDisconnectionDuration,
          },
        }),
      },
      this.clusterOptions.requestsTimeout,
    );
    if (reply?.t !== "volley:welcome") {
      throw new Error(
        `no answer from the primary within ${this.clusterOptions.requestsTimeout} ms: did it call setupPrimary()?`,
      );
    }
    this.logJoinedAt(reply.head);
  }

  protected override async unsubscribeNode(): Promise<void> {
    this.channel.detach(this);
  }

  protected override transportAvailable(): boolean {
    return this.channel.available;
  }

  /** @internal A frame from the primary or a sibling adapter. */
  onFrame(bytes: IpcBytes, offset: string | undefined): void {
    if (this.closed) return;
    this.receive(fromIpcBytes(bytes), offset);
  }

  /** @internal Adapters of a worker that exited: gone at once. */
  onGone(uids: string[]): void {
    for (const uid of uids) if (uid !== this.uid) this.nodes.remove(uid);
  }

  /** @internal The channel drained: kept broadcasts go out. */
  onDrain(): void {
    this.transportUp();
  }

  /** @internal */
  onMalformed(err: ClusterAdapterError): void {
    this.report(err);
  }
}
