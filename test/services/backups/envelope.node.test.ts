import { describe, expect, it } from "vitest";
import { getKeyring } from "../../../src/lib/crypto.ts";
import { decryptStream, encryptStream } from "../../../src/services/backups/envelope.ts";

const KEY = "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=";

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const from = (...parts: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });

/** Encrypts `plain` in chunks of `chunk` bytes and returns the header and each chunk record. */
async function seal(plain: Uint8Array, file: string, chunk = 16) {
  const ring = await getKeyring(KEY);
  const bytes = await collect(from(plain).pipeThrough(encryptStream(ring.current, file, chunk)));
  const headerLength = 4 + 1 + bytes[4]!;
  const records: Uint8Array[] = [];
  let at = headerLength;
  while (at < bytes.length) {
    const len = new DataView(bytes.buffer, at + 12, 4).getUint32(0);
    records.push(bytes.slice(at, at + 16 + len));
    at += 16 + len;
  }
  return { ring, header: bytes.slice(0, headerLength), records, bytes };
}

const open = async (
  ring: Awaited<ReturnType<typeof getKeyring>>,
  file: string,
  ...parts: Uint8Array[]
) =>
  new TextDecoder().decode(
    await collect(from(...parts).pipeThrough(decryptStream(ring.all, file))),
  );

const text = new TextEncoder().encode(`${"0123456789abcdef".repeat(5)}tail`);

describe("chunked AES-256-GCM envelope", () => {
  it("round-trips, fed in pieces of any size, with a fresh nonce per chunk", async () => {
    const { ring, bytes, records } = await seal(text, "servers.ndjson.gz");
    expect(records).toHaveLength(6);
    const nonces = new Set(records.map((r) => Buffer.from(r.subarray(0, 12)).toString("hex")));
    expect(nonces.size).toBe(records.length);
    const pieces = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.slice(i, i + 7));
    expect(await open(ring, "servers.ndjson.gz", ...pieces)).toBe(new TextDecoder().decode(text));
  });

  it("an empty stream still has one (final) chunk", async () => {
    const { ring, bytes, records } = await seal(new Uint8Array(0), "empty");
    expect(records).toHaveLength(1);
    expect(await open(ring, "empty", bytes)).toBe("");
  });

  it("detects reordered chunks", async () => {
    const { ring, header, records } = await seal(text, "f");
    const [a, b, ...rest] = records;
    await expect(open(ring, "f", header, b!, a!, ...rest)).rejects.toThrow(
      /chunk 0 failed authentication/,
    );
  });

  it("detects a truncated tail, a dropped middle chunk and an appended chunk", async () => {
    const { ring, header, records } = await seal(text, "f");
    await expect(open(ring, "f", header, ...records.slice(0, -1))).rejects.toThrow(
      /failed authentication/,
    );
    await expect(open(ring, "f", header, records[0]!, ...records.slice(2))).rejects.toThrow(
      /failed authentication/,
    );
    await expect(open(ring, "f", header, ...records, records[0]!)).rejects.toThrow(
      /failed authentication/,
    );
    await expect(open(ring, "f", header)).rejects.toThrow(/no chunks/);
  });

  it("detects a chunk swapped in from another file at the same position", async () => {
    const one = await seal(text, "users.ndjson.gz");
    const two = await seal(text, "servers.ndjson.gz");
    const mixed = [two.records[0]!, ...one.records.slice(1)];
    await expect(open(one.ring, "users.ndjson.gz", one.header, ...mixed)).rejects.toThrow(
      /chunk 0 failed authentication/,
    );
    // And a whole object renamed to another file.
    await expect(open(one.ring, "servers.ndjson.gz", one.bytes)).rejects.toThrow(
      /failed authentication/,
    );
  });

  it("names the key it needs when it is not in the keyring", async () => {
    const { bytes } = await seal(text, "f");
    const other = await getKeyring("c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ=");
    const kid = (await getKeyring(KEY)).current.id;
    await expect(open(other, "f", bytes)).rejects.toThrow(`unknown key ${kid}`);
  });

  it("refuses bytes that are not an encrypted object", async () => {
    const ring = await getKeyring(KEY);
    await expect(
      open(ring, "f", new TextEncoder().encode("plain gzip would be here, not EPB1")),
    ).rejects.toThrow(/not an encrypted backup object/);
  });
});
