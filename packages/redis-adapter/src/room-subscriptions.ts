// Traffic by interest: this node subscribes to a room's broadcast channel while it holds the room —
// once for its local members, and once per session being restored into it — and unsubscribes when
// the last hold is released.
import type { Room } from "volley";
import type { ChannelHandler, ChannelRouter } from "./channel-router.js";
import type { Channels } from "./channels.js";

export class RoomSubscriptions {
  private readonly holds = new Map<Room, number>();
  private readonly router: ChannelRouter;
  private readonly channels: Channels;
  private readonly onBroadcast: ChannelHandler;
  private readonly report: (err: unknown) => void;
  private closed = false;

  constructor(
    router: ChannelRouter,
    channels: Channels,
    onBroadcast: ChannelHandler,
    report: (err: unknown) => void,
  ) {
    this.router = router;
    this.channels = channels;
    this.onBroadcast = onBroadcast;
    this.report = report;
  }

  hold(room: Room): void {
    const holds = this.holds.get(room) ?? 0;
    this.holds.set(room, holds + 1);
    if (holds === 0 && !this.closed) {
      this.router.subscribe(this.channels.room(room), this.onBroadcast).catch((err) => this.report(err));
    }
  }

  release(room: Room): void {
    const holds = this.holds.get(room);
    if (holds === undefined) return;
    if (holds > 1) {
      this.holds.set(room, holds - 1);
      return;
    }
    this.holds.delete(room);
    this.router.unsubscribe(this.channels.room(room), this.onBroadcast).catch((err) => this.report(err));
  }

  /** Resolves once Redis has confirmed the subscription of `room`'s channel (undefined: nothing pending). */
  confirming(room: Room): Promise<void> | undefined {
    return this.router.pending(this.channels.room(room));
  }

  /** Forgets every hold and returns the unsubscriptions; later holds no longer subscribe. */
  close(): Array<Promise<void>> {
    this.closed = true;
    const rooms = [...this.holds.keys()];
    this.holds.clear();
    return rooms.map((room) => this.router.unsubscribe(this.channels.room(room), this.onBroadcast));
  }
}
