// The official adapter's messages as `redis-cli monitor` showed them between two socket.io 4.8
// servers with @socket.io/redis-adapter 8.3 (uids OiA6lM / Nq_9DC, request ids as they were): a
// Volley node must write the same bytes on the same channels for the same operation, and read them
// back as the same operation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ClusterMessage, ClusterMessageType as T } from "volley";
import { SocketIoChannels } from "../src/compat/socketio-channels.js";
import { decodePayload, parseBroadcast, parseRequest, parseResponse } from "../src/compat/socketio-wire.js";
import { broadcastFromSocketIo, requestFromSocketIo, toSocketIo } from "../src/compat/translate.js";

/** A payload as redis-cli prints it (\xNN escapes; \a and \t for 7 and 9). */
function seen(text: string): Buffer {
  const raw = text
    .replace(/\\a/g, "\x07")
    .replace(/\\t/g, "\t")
    .replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(raw, "latin1");
}

const channels = new SocketIoChannels("socket.io", "/");
const uid = "OiA6lM";
const noFlags = { rooms: [], except: [], flags: {} };

const observed: Array<{ what: string; channel: string; payload: string; msg: ClusterMessage }> = [
  {
    what: "io.emit with binary",
    channel: "socket.io#/#",
    payload:
      "\\x93\\xa6OiA6lM\\x83\\xa4type\\x02\\xa4data\\x94\\xa5hello\\x01\\xa3two\\xc4\\x03\\x01\\x02\\x03\\xa3nsp\\xa1/\\x83\\xa5rooms\\x90\\xa6except\\x90\\xa5flags\\x80",
    msg: {
      type: T.BROADCAST,
      uid,
      nsp: "/",
      packet: { type: 2, data: ["hello", 1, "two", Buffer.from([1, 2, 3])] },
      opts: noFlags,
    },
  },
  {
    what: "to one room, except a socket",
    channel: "socket.io#/#r1#",
    payload:
      "\\x93\\xa6OiA6lM\\x83\\xa4type\\x02\\xa4data\\x92\\xa4room\\x81\\xa1a\\x01\\xa3nsp\\xa1/\\x83\\xa5rooms\\x91\\xa2r1\\xa6except\\x91\\xb4YOLGVoI1PHD0Uyu-AAAA\\xa5flags\\x80",
    msg: {
      type: T.BROADCAST,
      uid,
      nsp: "/",
      packet: { type: 2, data: ["room", { a: 1 }] },
      opts: { rooms: ["r1"], except: ["YOLGVoI1PHD0Uyu-AAAA"], flags: {} },
    },
  },
  {
    what: "to two rooms, volatile, compress false",
    channel: "socket.io#/#",
    payload:
      "\\x93\\xa6OiA6lM\\x83\\xa4type\\x02\\xa4data\\x92\\xa3vol\\x01\\xa3nsp\\xa1/\\x83\\xa5rooms\\x92\\xa2r1\\xa2r2\\xa6except\\x90\\xa5flags\\x82\\xa8volatile\\xc3\\xa8compress\\xc2",
    msg: {
      type: T.BROADCAST,
      uid,
      nsp: "/",
      packet: { type: 2, data: ["vol", 1] },
      opts: { rooms: ["r1", "r2"], except: [], flags: { volatile: true, compress: false } },
    },
  },
  {
    what: "emitWithAck with timeout 2000",
    channel: "socket.io-request#/#",
    payload:
      "\\x85\\xa3uid\\xa6OiA6lM\\xa9requestId\\xa6nQWr-k\\xa4type\\a\\xa6packet\\x83\\xa4type\\x02\\xa4data\\x92\\xa5ackme\\a\\xa3nsp\\xa1/\\xa4opts\\x83\\xa5rooms\\x90\\xa6except\\x90\\xa5flags\\x81\\xa7timeout\\xcd\\a\\xd0",
    msg: {
      type: T.BROADCAST_WITH_ACK,
      uid,
      nsp: "/",
      requestId: "nQWr-k",
      packet: { type: 2, data: ["ackme", 7] },
      opts: { rooms: [], except: [], flags: { timeout: 2000 } },
    },
  },
  {
    what: "fetchSockets",
    channel: "socket.io-request#/#",
    payload: '{"uid":"OiA6lM","requestId":"EmWzcL","type":5,"opts":{"rooms":[],"except":[]}}',
    msg: { type: T.FETCH_SOCKETS, uid, nsp: "/", requestId: "EmWzcL", opts: noFlags, idsOnly: false },
  },
  {
    what: "socketsJoin",
    channel: "socket.io-request#/#",
    payload:
      '{"uid":"OiA6lM","type":2,"opts":{"rooms":["qBWspDUcs6DvFksPAAAB"],"except":[]},"rooms":["j1","j2"]}',
    msg: {
      type: T.SOCKETS_JOIN,
      uid,
      nsp: "/",
      opts: { rooms: ["qBWspDUcs6DvFksPAAAB"], except: [], flags: {} },
      rooms: ["j1", "j2"],
    },
  },
  {
    what: "socketsLeave",
    channel: "socket.io-request#/#",
    payload: '{"uid":"OiA6lM","type":3,"opts":{"rooms":["qBWspDUcs6DvFksPAAAB"],"except":[]},"rooms":["j1"]}',
    msg: {
      type: T.SOCKETS_LEAVE,
      uid,
      nsp: "/",
      opts: { rooms: ["qBWspDUcs6DvFksPAAAB"], except: [], flags: {} },
      rooms: ["j1"],
    },
  },
  {
    what: "disconnectSockets(true)",
    channel: "socket.io-request#/#",
    payload: '{"uid":"OiA6lM","type":4,"opts":{"rooms":["qBWspDUcs6DvFksPAAAB"],"except":[]},"close":true}',
    msg: {
      type: T.DISCONNECT_SOCKETS,
      uid,
      nsp: "/",
      opts: { rooms: ["qBWspDUcs6DvFksPAAAB"], except: [], flags: {} },
      close: true,
    },
  },
  {
    what: "serverSideEmit",
    channel: "socket.io-request#/#",
    payload: '{"uid":"OiA6lM","type":6,"data":["ping-srv",1,{"z":2}]}',
    msg: { type: T.SERVER_SIDE_EMIT, uid, nsp: "/", data: ["ping-srv", 1, { z: 2 }] },
  },
  {
    what: "serverSideEmitWithAck",
    channel: "socket.io-request#/#",
    payload: '{"uid":"OiA6lM","requestId":"Y_jlWJ","type":6,"data":["ping-srv",3]}',
    msg: { type: T.SERVER_SIDE_EMIT, uid, nsp: "/", requestId: "Y_jlWJ", data: ["ping-srv", 3] },
  },
];

const responses: Array<{ what: string; payload: string; msg: ClusterMessage }> = [
  {
    what: "client count",
    payload: '{"type":8,"requestId":"nQWr-k","clientCount":1}',
    msg: { type: T.BROADCAST_CLIENT_COUNT, uid, nsp: "/", requestId: "nQWr-k", count: 1 },
  },
  {
    what: "a client's ack",
    payload: "\\x83\\xa4type\\t\\xa9requestId\\xa6nQWr-k\\xa6packet\\xa5ack-7",
    msg: { type: T.BROADCAST_ACK, uid, nsp: "/", requestId: "nQWr-k", data: ["ack-7"] },
  },
  {
    what: "a client's binary ack",
    payload: "\\x83\\xa4type\\t\\xa9requestId\\xa6E66U4i\\xa6packet\\xc4\\x01\\x05",
    msg: { type: T.BROADCAST_ACK, uid, nsp: "/", requestId: "E66U4i", data: [Buffer.from([5])] },
  },
  {
    what: "server-side ack",
    payload: '{"type":6,"requestId":"Y_jlWJ","data":"pong-from-b"}',
    msg: { type: T.SERVER_SIDE_EMIT_RESPONSE, uid, nsp: "/", requestId: "Y_jlWJ", data: "pong-from-b" },
  },
];

describe("the official adapter's messages, byte for byte", () => {
  for (const o of observed) {
    test(`${o.what}: written as observed, read back as the same operation`, () => {
      const out = toSocketIo(o.msg, channels, "/");
      assert.equal(out?.channel, o.channel);
      assert.deepEqual(out?.payload, seen(o.payload));
      const decoded = decodePayload(seen(o.payload));
      const back =
        o.channel === channels.request
          ? requestFromSocketIo(parseRequest(decoded), "/")
          : broadcastFromSocketIo(parseBroadcast(decoded));
      assert.deepEqual(back, o.msg);
    });
  }

  for (const r of responses) {
    test(`response, ${r.what}: written as observed, read back`, () => {
      const out = toSocketIo(r.msg, channels, "/");
      assert.equal(out?.channel, "socket.io-response#/#");
      assert.deepEqual(out?.payload, seen(r.payload));
      const parsed = parseResponse(decodePayload(seen(r.payload)));
      assert.equal(parsed.requestId, (r.msg as { requestId: string }).requestId);
    });
  }

  test("responses the official adapter writes to the other requests", () => {
    assert.deepEqual(
      parseResponse(decodePayload(Buffer.from('{"requestId":"nXLlKX","rooms":["q","r1","j2"]}'))),
      {
        kind: "rooms",
        requestId: "nXLlKX",
        rooms: ["q", "r1", "j2"],
      },
    );
    assert.deepEqual(
      parseResponse(decodePayload(Buffer.from('{"requestId":"r0","sockets":["3q-XL2qvctbxKs7dAAAA"]}'))),
      {
        kind: "socketIds",
        requestId: "r0",
        ids: ["3q-XL2qvctbxKs7dAAAA"],
      },
    );
    assert.deepEqual(
      parseRequest(decodePayload(Buffer.from('{"uid":"OiA6lM","requestId":"nXLlKX","type":1}'))),
      {
        uid,
        requestId: "nXLlKX",
        type: 1,
      },
    );
  });

  test("channel names, as subscribed by the official adapter", () => {
    const chat = new SocketIoChannels("socket.io", "/chat");
    assert.equal(chat.allPattern, "socket.io#/chat#*");
    assert.equal(chat.request, "socket.io-request#/chat#");
    assert.equal(chat.response, "socket.io-response#/chat#");
    assert.equal(chat.responseTo("xPqdjU"), "socket.io-response#/chat#xPqdjU#");
    assert.equal(chat.room("r1"), "socket.io#/chat#r1#");
    // Glob characters of a key or namespace match only themselves.
    assert.equal(new SocketIoChannels("a*b", "/[x]").allPattern, "a\\*b#/\\[x\\]#*");
  });

  test("Volley's own node bookkeeping is not sent", () => {
    for (const type of [T.HEARTBEAT, T.INITIAL_HEARTBEAT, T.ADAPTER_CLOSE] as const) {
      assert.equal(toSocketIo({ type, uid, nsp: "/" }, channels, "/"), undefined);
    }
  });
});
