// Traffic by interest: this node subscribes to a room's broadcast channel while it holds the room —
// once for its local members, and once per session being restored into it — and unsubscribes when
// the last hold is released. Holds are counted per channel: rooms 42 and "42" share one.
import type { Room } from "volley";
import type { ChannelHandler, ChannelRouter } from "./channel-router.js";
import type { Channels } from "./channels.js";

export class RoomSubscriptions {
  private readonly holds = new Map<string, number>();
  private readonly router: ChannelRouter;
  private readonly channels: Channels;
  private readonly onBroadcast: ChannelHandler;
  private readonly report: (err: unknown) => void;
  private closed = false;
  private readonly covered: (room: Room) => boolean;

  constructor(
    router: ChannelRouter,
    channels: Channels,
    onBroadcast: ChannelHandler,
    report: (err: unknown) => void,
    /** Rooms another subscription covers already (a socket's own room, by pattern): never subscribed. */
    covered: (room: Room) => boolean = () => false,
  ) {
    this.covered = covered;
    this.router = router;
    this.channels = channels;
    this.onBroadcast = onBroadcast;
    this.report = report;
  }

  hold(room: Room): void {
    if (this.covered(room)) return;
    const channel = this.channels.room(room);
    const holds = this.holds.get(channel) ?? 0;
    this.holds.set(channel, holds + 1);
    if (holds === 0 && !this.closed) this.router.subscribe(channel, this.onBroadcast, this.report);
  }

  release(room: Room): void {
    if (this.covered(room)) return;
    const channel = this.channels.room(room);
    const holds = this.holds.get(channel);
    if (holds === undefined) return;
    if (holds > 1) {
      this.holds.set(channel, holds - 1);
      return;
    }
    this.holds.delete(channel);
    this.router.unsubscribe(channel, this.onBroadcast).catch(this.report);
  }

  /** Resolves once Redis has confirmed the subscription of `room`'s channel (undefined: nothing pending). */
  confirming(room: Room): Promise<void> | undefined {
    if (this.covered(room)) return undefined;
    return this.router.pending(this.channels.room(room));
  }

  /** Forgets every hold and returns the unsubscriptions; later holds no longer subscribe. */
  close(): Array<Promise<void>> {
    this.closed = true;
    const channels = [...this.holds.keys()];
    this.holds.clear();
    return channels.map((channel) => this.router.unsubscribe(channel, this.onBroadcast));
  }
}
