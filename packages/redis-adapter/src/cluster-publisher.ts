// What this node sends to the others: messages wrapped in the envelope every node checks (type,
// sender uid, namespace), encoded once, published through the ordered sender so they leave in call
// order. A message that cannot be encoded or published is reported, never thrown at the caller.
import type { Channels } from "./channels.js";
import { encodeFrame } from "./message-codec.js";
import type { Message } from "./messages.js";
import type { OrderedSender } from "./ordered-sender.js";
import type { RedisClient } from "./redis-client.js";

export class ClusterPublisher {
  private readonly pub: RedisClient;
  private readonly channels: Channels;
  private readonly sender: OrderedSender;
  private readonly uid: string;
  private readonly nsp: string;
  private readonly report: (err: unknown) => void;
  /** Set when the adapter closes: requests and heartbeats stop, answers still go out. */
  closed = false;

  constructor(
    pub: RedisClient,
    channels: Channels,
    sender: OrderedSender,
    uid: string,
    nsp: string,
    report: (err: unknown) => void,
  ) {
    this.pub = pub;
    this.channels = channels;
    this.sender = sender;
    this.uid = uid;
    this.nsp = nsp;
    this.report = report;
  }

  message(type: Message["type"], body: object): object {
    return { type, uid: this.uid, nsp: this.nsp, ...body };
  }

  /** Encodes a message; throws RedisAdapterError `UNENCODABLE`. */
  frame(type: Message["type"], body: object): Buffer {
    return encodeFrame(this.message(type, body));
  }

  /** PUBLISHes `frame` on `channel` after every command sent before it. */
  publish(channel: string, frame: Buffer): Promise<unknown> {
    return this.sender.send(undefined, () => this.pub.call("PUBLISH", channel, frame));
  }

  /** Publishes on the request channel, heard by every node (unless closed). */
  request(type: Message["type"], body: object): void {
    if (this.closed) return;
    this.encodeAndPublish(this.channels.request, type, body);
  }

  /** Answers a request on the response channel of the node `to`. */
  respond(to: string, type: Message["type"], body: object): void {
    this.encodeAndPublish(this.channels.response(to), type, body);
  }

  private encodeAndPublish(channel: string, type: Message["type"], body: object): void {
    let frame: Buffer;
    try {
      frame = this.frame(type, body);
    } catch (err) {
      this.report(err);
      return;
    }
    this.publish(channel, frame).catch((err) => this.report(err));
  }
}
