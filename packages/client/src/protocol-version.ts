/** Socket.IO protocol revision spoken by this client (socket.io-client exports it as `protocol`). */
export const PROTOCOL_VERSION = 5;
