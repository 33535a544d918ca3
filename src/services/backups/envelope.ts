import { utf8 } from "../../lib/encoding.ts";

/**
 * The encrypted object format of backups and audit archives: a header, then the
 * stream cut into chunks of {@link CHUNK_BYTES}, each sealed with AES-256-GCM under
 * a fresh random nonce.
 *
 *   header   "EPB1" | key-id length (1 byte) | key id (ASCII)
 *   chunk    nonce (12 bytes) | ciphertext length (4 bytes, big endian) | ciphertext + tag
 *
 * Each chunk's additional data is `edgepanel-backup/v1 \n <file> \n <index> \n <final>`:
 * a chunk moved to another position or another file, a dropped tail (the new last
 * chunk was sealed as not final) or an appended chunk fails authentication.
 * Streaming keeps memory at one chunk whatever the object's size.
 */
export const CHUNK_BYTES = 64 * 1024;
const MAGIC = utf8.encode("EPB1");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface SealingKey {
  id: string;
  key: CryptoKey;
}

export class EnvelopeError extends Error {
  override name = "EnvelopeError";
}

const aad = (file: string, index: number, final: boolean) =>
  utf8.encode(`edgepanel-backup/v1\n${file}\n${index}\n${final ? 1 : 0}`);

/** Encrypts a byte stream for the object `file` (its name within the backup). */
export function encryptStream(
  sealing: SealingKey,
  file: string,
  chunkBytes = CHUNK_BYTES,
): TransformStream<Uint8Array, Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  let index = 0;
  const seal = async (plain: Uint8Array, final: boolean) => {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad(file, index++, final) },
        sealing.key,
        plain as Uint8Array<ArrayBuffer>,
      ),
    );
    const out = new Uint8Array(NONCE_BYTES + 4 + sealed.length);
    out.set(nonce, 0);
    new DataView(out.buffer).setUint32(NONCE_BYTES, sealed.length);
    out.set(sealed, NONCE_BYTES + 4);
    return out;
  };
  return new TransformStream({
    start(controller) {
      const kid = utf8.encode(sealing.id);
      const header = new Uint8Array(MAGIC.length + 1 + kid.length);
      header.set(MAGIC, 0);
      header[MAGIC.length] = kid.length;
      header.set(kid, MAGIC.length + 1);
      controller.enqueue(header);
    },
    async transform(bytes, controller) {
      pending = concat(pending, bytes);
      // Strictly more than a chunk: the last chunk must stay behind to be sealed as final.
      while (pending.length > chunkBytes) {
        controller.enqueue(await seal(pending.subarray(0, chunkBytes), false));
        pending = pending.slice(chunkBytes);
      }
    },
    async flush(controller) {
      controller.enqueue(await seal(pending, true));
    },
  });
}

/** The key id in an encrypted object's header, or null when the bytes are not one. */
export function headerKeyId(head: Uint8Array): string | null {
  if (head.length < MAGIC.length + 1 || !MAGIC.every((b, i) => head[i] === b)) return null;
  const len = head[MAGIC.length]!;
  if (head.length < MAGIC.length + 1 + len) return null;
  return new TextDecoder().decode(head.subarray(MAGIC.length + 1, MAGIC.length + 1 + len));
}

/**
 * Decrypts an object written by {@link encryptStream} for `file`, with the key its
 * header names (looked up in `keys`). Fails with {@link EnvelopeError} on an unknown
 * key, a tampered, reordered, swapped, truncated or extended chunk.
 */
export function decryptStream(
  keys: ReadonlyMap<string, CryptoKey>,
  file: string,
): TransformStream<Uint8Array, Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  let key: CryptoKey | undefined;
  let index = 0;
  // The chunk read last: whether it is final is known only when another follows or the stream ends.
  let held: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
  const open = async (chunk: { nonce: Uint8Array; sealed: Uint8Array }, final: boolean) => {
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: chunk.nonce as Uint8Array<ArrayBuffer>,
            additionalData: aad(file, index++, final),
          },
          key!,
          chunk.sealed as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch {
      throw new EnvelopeError(
        `${file}: chunk ${index - 1} failed authentication (tampered, reordered, swapped or truncated)`,
      );
    }
  };
  return new TransformStream({
    async transform(bytes, controller) {
      buffer = concat(buffer, bytes);
      if (!key) {
        const kid = headerKeyId(buffer);
        if (kid === null) {
          if (buffer.length >= MAGIC.length + 1 + 255 || !startsLikeHeader(buffer))
            throw new EnvelopeError(`${file}: not an encrypted backup object`);
          return;
        }
        const found = keys.get(kid);
        if (!found) throw new EnvelopeError(`${file}: encrypted with unknown key ${kid}`);
        key = found;
        buffer = buffer.slice(MAGIC.length + 1 + utf8.encode(kid).length);
      }
      for (;;) {
        if (buffer.length < NONCE_BYTES + 4) return;
        const len = new DataView(buffer.buffer, buffer.byteOffset).getUint32(NONCE_BYTES);
        if (len < TAG_BYTES || len > TAG_BYTES + 16 * CHUNK_BYTES)
          throw new EnvelopeError(`${file}: corrupt chunk length at chunk ${index}`);
        if (buffer.length < NONCE_BYTES + 4 + len) return;
        const chunk = {
          nonce: buffer.slice(0, NONCE_BYTES),
          sealed: buffer.slice(NONCE_BYTES + 4, NONCE_BYTES + 4 + len),
        };
        buffer = buffer.slice(NONCE_BYTES + 4 + len);
        if (held) controller.enqueue(await open(held, false));
        held = chunk;
      }
    },
    async flush(controller) {
      if (!key) throw new EnvelopeError(`${file}: empty or truncated object`);
      if (buffer.length) throw new EnvelopeError(`${file}: trailing bytes after the last chunk`);
      if (!held) throw new EnvelopeError(`${file}: no chunks (truncated)`);
      controller.enqueue(await open(held, true));
    },
  });
}

function startsLikeHeader(buffer: Uint8Array): boolean {
  const n = Math.min(buffer.length, MAGIC.length);
  for (let i = 0; i < n; i++) if (buffer[i] !== MAGIC[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
