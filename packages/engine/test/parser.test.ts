import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodePacket,
  decodePayload,
  EngineParseError,
  encodePacket,
  encodePayload,
  type Packet,
} from "@volley/engine/parser";

describe("encodePacket / decodePacket", () => {
  test("every packet type round-trips as text", () => {
    const packets: Packet[] = [
      { type: "open", data: '{"sid":"abc"}' },
      { type: "close" },
      { type: "ping", data: "probe" },
      { type: "pong" },
      { type: "message", data: "héllo ✓" },
      { type: "upgrade" },
      { type: "noop" },
    ];
    const wire = packets.map((p) => encodePacket(p, true));
    assert.deepEqual(wire, ['0{"sid":"abc"}', "1", "2probe", "3", "4héllo ✓", "5", "6"]);
    assert.deepEqual(
      wire.map((w) => decodePacket(w)),
      packets,
    );
  });

  test("binary is raw bytes over websocket and b+base64 over polling", () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.equal(encodePacket({ type: "message", data: bytes }, true), bytes);
    assert.equal(encodePacket({ type: "message", data: bytes }, false), "bAAEC/w==");
    assert.deepEqual(decodePacket("bAAEC/w=="), { type: "message", data: bytes });
    assert.deepEqual(decodePacket(bytes), { type: "message", data: bytes });
  });

  test("ArrayBuffer and typed-array views encode only their own bytes", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = new Uint8Array(backing.buffer, 2, 3);
    assert.equal(encodePacket({ type: "message", data: view }, false), "bAQID");
    assert.equal(encodePacket({ type: "message", data: new Uint8Array([1, 2, 3]).buffer }, false), "bAQID");
  });

  test("malformed packets give a clear EngineParseError", () => {
    assert.throws(() => decodePacket(""), { name: "EngineParseError", message: "empty packet" });
    assert.throws(() => decodePacket("9x"), EngineParseError);
    assert.throws(() => decodePacket("x"), /unknown packet type/);
    assert.throws(() => decodePacket("b!!!"), /invalid base64/);
    assert.throws(() => decodePacket("bAAE"), /invalid base64/);
  });
});

describe("encodePayload / decodePayload", () => {
  test("joins packets with the record separator and splits them back", () => {
    const packets: Packet[] = [
      { type: "message", data: "hello" },
      { type: "message", data: Buffer.from([1, 2, 3, 4]) },
      { type: "ping" },
    ];
    const body = encodePayload(packets);
    assert.equal(body, "4hello\x1ebAQIDBA==\x1e2");
    assert.deepEqual(decodePayload(body), packets);
  });

  test("a single packet has no separator", () => {
    assert.equal(encodePayload([{ type: "noop" }]), "6");
    assert.deepEqual(decodePayload("6"), [{ type: "noop" }]);
  });

  test("malformed bodies are refused", () => {
    assert.throws(() => decodePayload(""), /empty payload/);
    assert.throws(() => decodePayload("4a\x1e"), /empty packet/);
    assert.throws(() => decodePayload("4a\x1ez"), /unknown packet type/);
    assert.throws(
      () => decodePayload("4a\x1e4b\x1e4c", { maxPackets: 2 }),
      /exceeds maxPackets \(2 packets\)/,
    );
  });
});
