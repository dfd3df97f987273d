// The "host:port" other servers reach this one at, and its parsing back into a connect target.
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";

/** A place to connect to. */
export interface PeerAddress {
  host: string;
  port: number;
}

/**
 * The address of a listening http server, as peers should dial it: the bound address, or (bound to
 * every interface) the first non-internal IPv4 address of the machine, else 127.0.0.1.
 */
export function advertisedAddressOf(server: HttpServer): string {
  const bound = server.address();
  if (bound === null || typeof bound === "string") {
    throw new TypeError("option server must listen on a TCP port (or give advertiseAddress)");
  }
  const { address, port } = bound as AddressInfo;
  const host = address === "::" || address === "0.0.0.0" ? firstExternalIPv4() : address;
  return formatAddress(host, port);
}

/** "host:port", with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses "host:port" / "[v6]:port"; undefined when it is not one. */
export function parseAddress(address: string): PeerAddress | undefined {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  let host = address.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return host.length === 0 ? undefined : { host, port };
}

function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (!entry.internal && entry.family === "IPv4") return entry.address;
    }
  }
  return "127.0.0.1";
}
