// What a node accepts from another: every message type's shape is checked before anything acts on it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClusterAdapterError } from "../src/cluster/errors.js";
import { MessageType, validateMessage } from "../src/cluster/messages.js";
import { resolveClusterOptions as resolveOptions } from "../src/cluster/options.js";

const base = { uid: "u1", nsp: "/" };
const opts = { rooms: ["a"], except: [], flags: {} };

function refused(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => validateMessage(value),
    (err: unknown) =>
      err instanceof ClusterAdapterError && err.code === "MALFORMED_MESSAGE" && pattern.test(err.message),
  );
}

describe("message validation", () => {
  test("accepts well-formed messages of every type", () => {
    const good = [
      { type: MessageType.BROADCAST, packet: { type: 2, data: ["ev", 1] }, opts },
      { type: MessageType.HEARTBEAT },
      { type: MessageType.INITIAL_HEARTBEAT },
      { type: MessageType.ADAPTER_CLOSE },
      { type: MessageType.FETCH_SOCKETS, requestId: "r", opts, idsOnly: false },
      {
        type: MessageType.FETCH_SOCKETS_RESPONSE,
        requestId: "r",
        sockets: [{ id: "s", handshake: {}, rooms: ["s"], data: null }],
      },
      { type: MessageType.SOCKETS_JOIN, opts, rooms: ["b"] },
      {
        type: MessageType.SOCKETS_JOIN,
        opts: { rooms: [42], except: [7, "x"], flags: {} },
        rooms: [37, "b"],
      },
      {
        type: MessageType.FETCH_SOCKETS,
        requestId: "r",
        opts: { rooms: [37], except: [], flags: {} },
        idsOnly: true,
      },
      { type: MessageType.SOCKETS_LEAVE, opts, rooms: ["b"] },
      { type: MessageType.DISCONNECT_SOCKETS, opts, close: true },
      { type: MessageType.SERVER_SIDE_EMIT, data: ["ev"] },
      { type: MessageType.SERVER_SIDE_EMIT, requestId: "r", data: ["ev", 1] },
      { type: MessageType.SERVER_SIDE_EMIT_RESPONSE, requestId: "r", data: 1 },
      { type: MessageType.BROADCAST_WITH_ACK, requestId: "r", packet: { type: 2, data: ["ev"] }, opts },
      { type: MessageType.BROADCAST_CLIENT_COUNT, requestId: "r", count: 3 },
      { type: MessageType.BROADCAST_ACK, requestId: "r", data: [1] },
    ];
    for (const message of good) assert.equal(validateMessage({ ...base, ...message }).type, message.type);
  });

  test("refuses what is malformed, naming the problem", () => {
    refused(null, /not an object/);
    refused([], /not an object/);
    refused({ nsp: "/", type: 2 }, /uid/);
    refused({ uid: "u", type: 2 }, /nsp/);
    refused({ ...base, type: 99 }, /unknown message type 99/);
    refused({ ...base, type: "1" }, /unknown message type/);
    refused(
      { ...base, type: MessageType.BROADCAST, packet: { type: 2, data: [1] }, opts },
      /event packet data/,
    );
    refused({ ...base, type: MessageType.BROADCAST, packet: { data: ["e"] }, opts }, /packet has no type/);
    refused(
      { ...base, type: MessageType.BROADCAST, packet: { type: 2, data: ["e"] }, opts: { rooms: "a" } },
      /broadcast options/,
    );
    refused({ ...base, type: MessageType.FETCH_SOCKETS, opts, idsOnly: false }, /requestId/);
    refused(
      { ...base, type: MessageType.FETCH_SOCKETS_RESPONSE, requestId: "r", sockets: [{ id: 1 }] },
      /invalid socket/,
    );
    refused({ ...base, type: MessageType.SOCKETS_JOIN, opts, rooms: [null] }, /rooms/);
    refused({ ...base, type: MessageType.SOCKETS_JOIN, opts, rooms: [Number.NaN] }, /rooms/);
    refused(
      {
        ...base,
        type: MessageType.FETCH_SOCKETS,
        requestId: "r",
        opts: { rooms: [{}], except: [], flags: {} },
        idsOnly: true,
      },
      /broadcast options/,
    );
    refused({ ...base, type: MessageType.DISCONNECT_SOCKETS, opts, close: "yes" }, /close/);
    refused({ ...base, type: MessageType.SERVER_SIDE_EMIT, data: [] }, /\[event, \.\.\.args\]/);
    refused({ ...base, type: MessageType.BROADCAST_CLIENT_COUNT, requestId: "r", count: -1 }, /count/);
    refused({ ...base, type: MessageType.BROADCAST_ACK, requestId: "r", data: 1 }, /data/);
  });
});

describe("options", () => {
  test("defaults", () => {
    const o = resolveOptions();
    assert.equal(o.requestsTimeout, 5000);
    assert.equal(o.heartbeatInterval, 5000);
    assert.equal(o.heartbeatTimeout, 10_000);
    assert.equal(o.livenessInterval, 500);
    assert.equal(o.outageBufferMaxPackets, 1000);
    assert.equal(o.outageBufferMaxBytes, 4 * 1024 * 1024);
  });

  test("bad values are refused with the option's name", () => {
    assert.throws(() => resolveOptions({ requestsTimeout: 0 }), /option requestsTimeout/);
    assert.throws(() => resolveOptions({ heartbeatInterval: Number.NaN }), /option heartbeatInterval/);
    assert.throws(
      () => resolveOptions({ heartbeatInterval: 100, heartbeatTimeout: 100 }),
      /heartbeatTimeout \(100\) must be greater/,
    );
    assert.throws(() => resolveOptions({ livenessInterval: -1 }), /option livenessInterval/);
    assert.throws(() => resolveOptions({ outageBufferMaxPackets: 1.5 }), /option outageBufferMaxPackets/);
  });
});
