// The settings a connection starts with, on either side: from the server's options and the
// negotiated handshake, or from the client's options and the server's answer.
import type { PerMessageDeflate } from "./deflate.js";
import type { MaskGenerator } from "./frame-writer.js";

/** Settings a connection is set up with, on either side. */
export interface ConnectionSetup {
  isServer: boolean;
  maxPayload: number;
  maxFragments: number;
  maxUnparsedBytes: number;
  closeTimeout: number;
  autoPong: boolean;
  protocol: string;
  extensions: string;
  deflate: PerMessageDeflate | null;
  /** Client side: fills each frame's masking key instead of the default random one. */
  generateMask?: MaskGenerator | null;
}
