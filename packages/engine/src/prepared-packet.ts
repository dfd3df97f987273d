import { encodePacket } from "./parser/index.js";
import type { PrepareFrame } from "./transports/websocket-like.js";

/**
 * A message packet encoded once for every transport, for broadcasts: `engine.prepare(data)` then
 * `session.sendPrepared(prepared)` on each recipient. Each form is computed on first use and then shared.
 */
export class PreparedPacket {
  /** The message as the application gave it. */
  readonly data: string | Buffer;
  /** Size used for the sessions' buffered-bytes accounting. */
  readonly byteLength: number;
  private pollingForm: string | undefined;
  private frame: unknown;
  private readonly prepareFrame: PrepareFrame | undefined;
  /** Deflate the frame once for every connection that can take a shared compressed frame. */
  private readonly compress: boolean;

  /** @internal Created by `EngineServer.prepare`. */
  constructor(data: string | Buffer, prepareFrame: PrepareFrame | undefined, compress = false) {
    this.data = data;
    this.compress = compress;
    this.byteLength = typeof data === "string" ? data.length + 1 : data.byteLength;
    this.prepareFrame = prepareFrame;
  }

  /** The packet inside a polling payload: `4…` or `b<base64>`. */
  get pollingPayload(): string {
    if (this.pollingForm === undefined) {
      this.pollingForm = encodePacket({ type: "message", data: this.data }, false) as string;
    }
    return this.pollingForm;
  }

  /** What a websocket frame carries: `4…` as text, or the raw bytes as binary. */
  get websocketData(): string | Buffer {
    return typeof this.data === "string" ? `4${this.data}` : this.data;
  }

  /** The frame built once by the WebSocket layer, or undefined when the layer cannot pre-frame. */
  websocketFrame(): unknown {
    if (this.frame === undefined && this.prepareFrame !== undefined) {
      const binary = typeof this.data !== "string";
      this.frame = this.prepareFrame(this.websocketData, { binary, compress: this.compress });
    }
    return this.frame;
  }
}
