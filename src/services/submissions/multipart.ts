/**
 * A streaming `multipart/form-data` reader (RFC 7578): parts are handed out one at a
 * time and each part's body is read chunk by chunk, so an upload goes on to storage
 * as it arrives instead of being buffered whole (`Request.formData()` would hold the
 * entire body). The only bytes kept back are the few that might begin the next
 * boundary.
 */

const encoder = new TextEncoder();
const headerDecoder = new TextDecoder();

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultipartError";
  }
}

export interface MultipartLimits {
  /** Bytes of one part's header block. */
  maxHeaderBytes?: number;
  /** Parts in one body. */
  maxParts?: number;
}

export interface MultipartPart {
  /** The form field's name (`Content-Disposition: form-data; name=…`). */
  name: string;
  /** The original file name for file fields (possibly ""), null for plain fields. */
  filename: string | null;
  /** The part's declared type: informational only, never trusted for files. */
  contentType: string | null;
  /** The body, chunk by chunk. Read it to the end (or not at all) before asking for the next part. */
  chunks: AsyncGenerator<Uint8Array, void, undefined>;
}

/** The `boundary` parameter of a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

class Bytes {
  buf: Uint8Array = new Uint8Array(0);
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #ended = false;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** Appends the next chunk; false at the end of the body. */
  async more(): Promise<boolean> {
    if (this.#ended) return false;
    const { done, value } = await this.#reader.read();
    if (done) {
      this.#ended = true;
      return false;
    }
    this.buf = concat(this.buf, value);
    return true;
  }
  async atLeast(n: number): Promise<boolean> {
    while (this.buf.length < n) if (!(await this.more())) return false;
    return true;
  }
  consume(n: number): void {
    this.buf = this.buf.subarray(n);
  }
  release(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/** `name` and `filename` of a Content-Disposition value (quoted or token, RFC 5987 `filename*` preferred). */
function dispositionParams(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string; star?: string } = {};
  const re = /;\s*(name|filename)(\*?)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/gi;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1]!.toLowerCase() as "name" | "filename";
    const raw = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : (m[4] ?? "");
    if (m[2] === "*" && key === "filename") {
      const ext = /^utf-8''(.*)$/i.exec(raw);
      try {
        out.star = decodeURIComponent(ext ? ext[1]! : raw);
      } catch {
        // A malformed extended value: the plain filename, if any, stands.
      }
    } else out[key] = raw;
  }
  return {
    ...(out.name !== undefined ? { name: out.name } : {}),
    ...(out.star !== undefined
      ? { filename: out.star }
      : out.filename !== undefined
        ? { filename: out.filename }
        : {}),
  };
}

function parseHeaders(block: Uint8Array): Omit<MultipartPart, "chunks"> {
  let disposition: string | undefined;
  let contentType: string | null = null;
  for (const line of headerDecoder.decode(block).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === "content-disposition") disposition = value;
    else if (field === "content-type") contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition))
    throw new MultipartError("a part has no Content-Disposition: form-data header");
  const { name, filename } = dispositionParams(disposition);
  if (name === undefined) throw new MultipartError("a part has no field name");
  return { name, filename: filename ?? null, contentType };
}

const CRLF = encoder.encode("\r\n");
const CRLFCRLF = encoder.encode("\r\n\r\n");

/**
 * Reads a multipart body part by part. Throws {@link MultipartError} on a malformed
 * body (which the caller answers with a 400); a part the caller did not read is
 * skipped. The stream is released when the generator ends, whichever way.
 */
export async function* readMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  { maxHeaderBytes = 8 * 1024, maxParts = 20 }: MultipartLimits = {},
): AsyncGenerator<MultipartPart, void, undefined> {
  const first = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const bytes = new Bytes(body);
  try {
    // Preamble: anything before the first boundary is ignored (bounded).
    for (;;) {
      const at = indexOf(bytes.buf, first);
      if (at >= 0) {
        bytes.consume(at + first.length);
        break;
      }
      if (bytes.buf.length > 1024 + first.length)
        throw new MultipartError("no boundary at the start");
      if (!(await bytes.more())) throw new MultipartError("no boundary in the body");
    }
    for (let count = 0; ; count++) {
      if (!(await bytes.atLeast(2))) throw new MultipartError("the body ends after a boundary");
      if (bytes.buf[0] === 0x2d && bytes.buf[1] === 0x2d) return; // "--": the closing boundary
      // Transport padding (RFC 2046), then the line break that ends the boundary line.
      while ((await bytes.atLeast(1)) && (bytes.buf[0] === 0x20 || bytes.buf[0] === 0x09))
        bytes.consume(1);
      if (!(await bytes.atLeast(2)) || bytes.buf[0] !== CRLF[0] || bytes.buf[1] !== CRLF[1])
        throw new MultipartError("a boundary line does not end with CRLF");
      if (count >= maxParts) throw new MultipartError(`more than ${maxParts} parts`);
      // Headers end at the first empty line; the CRLF above may already be it.
      let headers: Omit<MultipartPart, "chunks">;
      for (;;) {
        const end = indexOf(bytes.buf, CRLFCRLF);
        if (end >= 0) {
          headers = parseHeaders(bytes.buf.subarray(2, end));
          bytes.consume(end + 4);
          break;
        }
        if (bytes.buf.length > maxHeaderBytes)
          throw new MultipartError("a part's headers are too long");
        if (!(await bytes.more()))
          throw new MultipartError("the body ends inside a part's headers");
      }
      let finished = false;
      async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
        const keep = delimiter.length - 1;
        for (;;) {
          const at = indexOf(bytes.buf, delimiter);
          if (at >= 0) {
            const last = bytes.buf.subarray(0, at);
            bytes.consume(at + delimiter.length);
            finished = true;
            if (last.length) yield last;
            return;
          }
          // Everything but a possible start of the delimiter can go.
          if (bytes.buf.length > keep) {
            const out = bytes.buf.subarray(0, bytes.buf.length - keep);
            bytes.consume(out.length);
            yield out;
          }
          if (!(await bytes.more())) throw new MultipartError("the body ends inside a part");
        }
      }
      const part = chunks();
      yield { ...headers, chunks: part };
      // Skip what the caller left unread. A caller that stopped halfway (returned
      // from the chunks) has given up on the body: nothing after it can be parsed.
      if (!finished) for await (const _ of part);
      if (!finished) throw new MultipartError("a part was abandoned halfway");
    }
  } finally {
    bytes.release();
  }
}

/** A plain field's value as text, refused past `maxBytes` (bytes, not characters). */
export async function readText(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<string | null> {
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxBytes) return null;
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
