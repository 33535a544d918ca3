import { toHex } from "../../lib/encoding.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { R2ObjectWriter } from "./r2-writer.ts";
import {
  ALLOWED_TYPES,
  detectKind,
  type FileKind,
  SNIFF_BYTES,
  sanitizeFileName,
  textChecker,
} from "./sniff.ts";

/** The largest file a submission may carry. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface StoredFile {
  key: string;
  name: string;
  kind: FileKind;
  contentType: string;
  size: number;
  sha256: string;
}

export type StoreError = "too_large" | "type_not_allowed" | "empty";

/** `submissions/{id}/{uuid}`: the client's file name never reaches the key. */
export const fileKey = (submissionId: string) =>
  `submissions/${submissionId}/${crypto.randomUUID()}`;

/**
 * Streams one uploaded file into the FILES bucket: its type is decided from its
 * first bytes against the allowlist before anything is stored, its size is counted
 * as it arrives (past `maxBytes` the upload stops), and its SHA-256 is computed on
 * the way. On any failure nothing is left in the bucket.
 */
export async function storeFile(
  bucket: R2Bucket,
  key: string,
  chunks: AsyncIterable<Uint8Array>,
  clientName: string,
  maxBytes = MAX_FILE_BYTES,
): Promise<Result<StoredFile, StoreError>> {
  const name = sanitizeFileName(clientName);
  const iterator = chunks[Symbol.asyncIterator]();
  // The head: enough bytes to decide the type (or the whole file if it is shorter).
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  if (headBytes === 0) return err("empty");
  const sample = new Uint8Array(Math.min(headBytes, SNIFF_BYTES));
  let at = 0;
  for (const chunk of head) {
    if (at >= sample.length) break;
    const piece = chunk.subarray(0, sample.length - at);
    sample.set(piece, at);
    at += piece.length;
  }
  const kind = detectKind(sample, name, ended && headBytes <= SNIFF_BYTES);
  if (!kind) return err("type_not_allowed");
  if (headBytes > maxBytes) return err("too_large");

  const contentType = ALLOWED_TYPES[kind];
  const isText = kind === "txt" || kind === "csv";
  const stillText = isText ? textChecker() : null;
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  const writer = new R2ObjectWriter(bucket, key, {
    // Stored with the detected type; downloads add attachment and nosniff anyway.
    httpMetadata: { contentType: isText ? `${contentType}; charset=utf-8` : contentType },
    customMetadata: { name, kind },
  });
  let size = 0;
  const add = async (chunk: Uint8Array): Promise<StoreError | null> => {
    size += chunk.length;
    if (size > maxBytes) return "too_large";
    if (stillText && !stillText(chunk)) return "type_not_allowed";
    await hasher.write(chunk);
    await writer.write(chunk);
    return null;
  };
  try {
    for (const chunk of head) {
      const problem = await add(chunk);
      if (problem) return await fail(writer, problem);
    }
    for (
      let next = ended ? null : await iterator.next();
      next && !next.done;
      next = await iterator.next()
    ) {
      const problem = await add(next.value);
      if (problem) return await fail(writer, problem);
    }
    if (stillText && !stillText(null)) return await fail(writer, "type_not_allowed");
    await hasher.close();
    const sha256 = toHex(new Uint8Array(await digest.digest));
    await writer.close({ sha256 });
    return ok({ key, name, kind, contentType, size, sha256 });
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function fail(writer: R2ObjectWriter, problem: StoreError) {
  await writer.abort();
  return err(problem);
}
