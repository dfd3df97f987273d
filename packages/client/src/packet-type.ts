// Socket.IO 5 packet types for the client's codec and Socket, as plain constants so the bundler inlines
// the digits (an object would travel in the browser bundle). They equal @volley/protocol's `PacketType`,
// the reference (checked by test/parser.test.ts).
// https://github.com/socketio/socket.io-protocol#exchange-protocol
export const CONNECT = 0;
export const DISCONNECT = 1;
export const EVENT = 2;
export const ACK = 3;
export const CONNECT_ERROR = 4;
export const BINARY_EVENT = 5;
export const BINARY_ACK = 6;
