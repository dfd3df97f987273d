/** Where to connect: the server (cached per `id`) and the namespace. */
export interface ParsedUrl {
  /** The absolute URL given to the engine. */
  source: string;
  /** Manager cache key: the origin (scheme, host, port) and the engine path. */
  id: string;
  /** The namespace (the URL's path). */
  nsp: string;
}

/**
 * Resolves `io()` URLs the way socket.io-client does: none = this page's origin, `/nsp` = a namespace of
 * this origin, `//host` = this page's protocol, `host:port` without a scheme = this page's protocol (https
 * outside browsers).
 */
export function parseUrl(uri: string | undefined, enginePath: string): ParsedUrl {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const href = uri || "/";
  let url: URL;
  try {
    // `host:port` and `host/nsp` have no scheme: made protocol-relative, they resolve like `//host`, on
    // this page's protocol (https outside browsers).
    const relative = /^[a-z][\w+.-]*:\/\/|^\//i.test(href) ? href : `//${href}`;
    url = new URL(base ? relative : relative.replace(/^\/\//, "https://"), base);
  } catch {
    throw new TypeError(`invalid URL ${uri}`);
  }
  return { source: url.href, id: url.origin + enginePath, nsp: url.pathname };
}
