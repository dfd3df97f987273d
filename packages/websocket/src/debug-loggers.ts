// This package's debug logger (DEBUG=volley:websocket): handshakes accepted and refused, protocol
// violations with their close code, closes.
import { createDebug } from "./debug.js";

export const debug = createDebug("volley:websocket");
