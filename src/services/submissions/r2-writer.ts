/**
 * Writes an object of unknown length to R2 as it is produced. R2 needs the length
 * of a streamed body up front, which neither an upload inside a multipart form nor
 * an export has; so bytes are gathered into parts of {@link PART_SIZE} (R2's
 * minimum for every part but the last) and each full part is uploaded as soon as
 * it is complete. At most one part is held in memory. An object that fits in one
 * part is written with a single `put`; nothing is visible under the key until
 * `close()` succeeds, and `abort()` leaves nothing behind.
 */
export const PART_SIZE = 5 * 1024 * 1024;

export class R2ObjectWriter {
  readonly #bucket: R2Bucket;
  readonly #key: string;
  readonly #options: R2MultipartOptions;
  readonly #partSize: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #upload: R2MultipartUpload | undefined;
  #parts: R2UploadedPart[] = [];
  #size = 0;

  constructor(
    bucket: R2Bucket,
    key: string,
    options: R2MultipartOptions = {},
    partSize = PART_SIZE,
  ) {
    this.#bucket = bucket;
    this.#key = key;
    this.#options = options;
    this.#partSize = partSize;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds bytes; uploads every part that is full. */
  async write(bytes: Uint8Array): Promise<void> {
    if (!bytes.length) return;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#size += bytes.length;
    while (this.#pendingBytes >= this.#partSize) await this.#uploadPart(this.#take(this.#partSize));
  }

  /** Uploads what is left and makes the object visible. */
  async close(putOptions: R2PutOptions = {}): Promise<R2Object> {
    const rest = this.#take(this.#pendingBytes);
    if (!this.#upload) {
      const object = await this.#bucket.put(this.#key, rest, { ...this.#options, ...putOptions });
      if (!object) throw new Error("R2 refused the write");
      return object;
    }
    if (rest.length || !this.#parts.length) await this.#uploadPart(rest);
    return this.#upload.complete(this.#parts);
  }

  /** Drops everything written so far (best effort: a failed abort expires with the upload). */
  async abort(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    const upload = this.#upload;
    this.#upload = undefined;
    if (upload) await upload.abort().catch(() => {});
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#pending[0]!;
      const need = n - filled;
      if (head.length <= need) {
        out.set(head, filled);
        filled += head.length;
        this.#pending.shift();
      } else {
        out.set(head.subarray(0, need), filled);
        this.#pending[0] = head.subarray(need);
        filled += need;
      }
    }
    this.#pendingBytes -= n;
    return out;
  }

  async #uploadPart(bytes: Uint8Array): Promise<void> {
    this.#upload ??= await this.#bucket.createMultipartUpload(this.#key, this.#options);
    this.#parts.push(await this.#upload.uploadPart(this.#parts.length + 1, bytes));
  }
}
