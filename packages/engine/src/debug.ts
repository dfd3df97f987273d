// The engine's debug loggers (DEBUG=volley:engine*): created once, switched by the patterns.
import { createDebug } from "@volley/websocket";

/** Handshakes, refusals with their reason, session closes with their reason. */
export const debug = createDebug("volley:engine");
/** Polling → websocket upgrades: probe, switch, cancellation. */
export const debugUpgrade = createDebug("volley:engine:upgrade");
/** Missed heartbeats. */
export const debugHeartbeat = createDebug("volley:engine:heartbeat");
