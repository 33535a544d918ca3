import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { ApiError, type FieldError } from "../../lib/problem.ts";
import { increment } from "../../observability/metrics.ts";
import {
  fileKey,
  MAX_FILE_BYTES,
  type StoredFile,
  storeFile,
} from "../../services/submissions/files.ts";
import {
  MultipartError,
  multipartBoundary,
  readMultipart,
  readText,
} from "../../services/submissions/multipart.ts";
import { HONEYPOT_FIELD, SubmissionFields } from "./schemas.ts";

/** A plain form field is at most this long (bytes); the message's 5,000 characters fit. */
const MAX_FIELD_BYTES = 64 * 1024;

/** What the form middleware hands the handler: the submission's id and its stored file. */
export interface Upload {
  id: string;
  file: StoredFile | null;
  /** Set by the handler once the submission committed; otherwise the file is deleted. */
  committed: boolean;
}

// Per request, keyed by its Context: gone with the request, never shared.
const uploads = new WeakMap<Context, Upload>();

/** The upload of this request (a JSON request gets an id and no file). */
export function uploadOf(c: Context<AppEnv>): Upload {
  let upload = uploads.get(c);
  if (!upload) {
    upload = { id: uuidv7(), file: null, committed: false };
    uploads.set(c, upload);
  }
  return upload;
}

export const invalid = (errors: FieldError[]) =>
  new ApiError("validation", {
    detail: `The request has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}`,
    errors,
  });

/**
 * Reads a multipart body: plain fields into memory (64 KiB each at most), the file
 * straight into R2 as it arrives (never the whole body in memory). Deletes the
 * file again if the body turns out to be malformed.
 */
async function readForm(c: Context<AppEnv>, boundary: string, id: string) {
  const fields: Record<string, string> = {};
  let file: StoredFile | null = null;
  const body = c.req.raw.body;
  if (!body) return { fields, file };
  try {
    for await (const part of readMultipart(body, boundary)) {
      if (part.name === "file" && part.filename !== null) {
        if (file) throw invalid([{ path: "file", message: "send at most one file" }]);
        // A file input left empty still sends a part, with no name and no bytes.
        if (part.filename === "") continue;
        const stored = await storeFile(c.env.FILES, fileKey(id), part.chunks, part.filename);
        if (!stored.ok) {
          if (stored.error === "too_large")
            throw new ApiError("payload_too_large", {
              detail: `The file exceeds the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit`,
            });
          const message =
            stored.error === "empty"
              ? "is empty"
              : "must be a PDF, PNG, JPEG, GIF, WebP, plain-text or CSV file (judged by its content)";
          throw invalid([{ path: "file", message }]);
        }
        file = stored.value;
      } else if (part.filename === null && part.name in SubmissionFields.shape) {
        const value = await readText(part.chunks, MAX_FIELD_BYTES);
        if (value === null)
          throw invalid([{ path: part.name, message: `must be at most ${MAX_FIELD_BYTES} bytes` }]);
        fields[part.name] = value;
      }
      // Other fields (a submit button's name…) are skipped unread.
    }
  } catch (error) {
    if (file) await c.env.FILES.delete(file.key);
    if (error instanceof MultipartError)
      throw new ApiError("bad_request", { detail: `Malformed multipart body: ${error.message}` });
    throw error;
  }
  return { fields, file };
}

async function honeypotFilled(c: Context<AppEnv>, fields?: Record<string, unknown>) {
  let values = fields;
  if (!values) {
    try {
      // Read once: the validator after this reads the same cached body.
      values = (await c.req.json()) as Record<string, unknown>;
    } catch {
      return false; // the validator answers malformed JSON
    }
  }
  const trap = values?.[HONEYPOT_FIELD];
  return typeof trap === "string" && trap.trim() !== "";
}

/**
 * Route middleware of `POST /submissions`, ahead of the route's validator:
 * - a multipart body is read as a stream (its file goes to R2 as it arrives) and
 *   handed on as the equivalent JSON body, so both kinds are validated alike;
 * - a filled-in honeypot ends the request with a 201 and nothing kept (a bot learns
 *   nothing), counted in metrics;
 * - a stored file whose submission does not commit (refused captcha, invalid field,
 *   any error) is deleted when the request ends.
 */
export const submissionForm = (): MiddlewareHandler<AppEnv> =>
  async function submissionForm(c, next) {
    const upload = uploadOf(c);
    const boundary = multipartBoundary(c.req.header("content-type"));
    let fields: Record<string, string> | undefined;
    if (boundary) {
      const form = await readForm(c, boundary, upload.id);
      fields = form.fields;
      upload.file = form.file;
    }
    try {
      if (await honeypotFilled(c, fields)) {
        increment("submissions_honeypot_total");
        c.get("logger").info("submission refused by the honeypot");
        return c.json({ id: upload.id, created_at: nowIso(), file: null }, 201);
      }
      if (fields) {
        const headers = new Headers(c.req.raw.headers);
        headers.set("content-type", "application/json");
        headers.delete("content-length");
        c.req.raw = new Request(c.req.raw.url, {
          method: "POST",
          headers,
          body: JSON.stringify(fields),
        });
      }
      await next();
    } finally {
      if (upload.file && !upload.committed) await c.env.FILES.delete(upload.file.key);
    }
  };
