// The Redis adapter's debug logger (DEBUG=volley:redis); cluster-wide events (nodes, requests,
// errors) are logged by the ClusterAdapter it extends, under volley:server:cluster.
import { createDebug } from "volley";

/** Redis connections coming back after an outage. */
export const debug = createDebug("volley:redis");
