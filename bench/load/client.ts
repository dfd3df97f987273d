// What the load generator needs from a connected client, whatever the protocol.

/** One connected client of the generator. */
export interface LoadClient {
  /** Sends one echo request of the configured size; `onReply` fires when its answer arrives. */
  sendEcho(): void;
  /** Asks the server to broadcast message `seq` (to everyone, or to `room`). */
  sendTrigger(seq: number, room?: string): void;
  /** Echo answered (the reply was checked: right size, right ack id). */
  onReply: () => void;
  /** A broadcast message `seq` arrived. */
  onTick: (seq: number) => void;
  /** Something arrived that the bench did not expect; counted as an error. */
  onError: (reason: string) => void;
  close(): void;
}

/** Options shared by every client of one run. */
export interface ClientOptions {
  port: number;
  /** Payload size in bytes (WebSocket) or characters (Socket.IO). */
  size: number;
  /** Socket.IO over websocket: offer permessage-deflate (the compression row). */
  deflate?: boolean;
  /**
   * Socket.IO: echoes and broadcast triggers carry a JSON object of about `size` characters instead of a
   * string.
   */
  json?: boolean;
}

export const noop = (): void => {};
