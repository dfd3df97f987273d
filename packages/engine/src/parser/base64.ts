// Isomorphic base64 for binary packets on the polling transport: Node's Buffer where it exists (fast, and
// the server wants Buffers), the browser's atob/btoa otherwise. No Node import reaches the browser build.

type NodeBufferValue = Uint8Array & { toString(encoding: string): string };
type BufferLike = {
  from(text: string, encoding: string): NodeBufferValue;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBufferValue;
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer) {
    // A view over the same memory: no copy.
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  }
  let binary = "";
  // Chunked so String.fromCharCode never receives more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(binary);
}

/** Decodes strict base64; returns undefined when the text is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  if (NodeBuffer) return NodeBuffer.from(text, "base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
