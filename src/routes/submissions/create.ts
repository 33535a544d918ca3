import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { toFieldErrors } from "../../lib/create-router.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
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
import { insertSubmission } from "../../services/submissions/store.ts";
import { verifyTurnstile } from "../../services/submissions/turnstile.ts";
import { emitEvent } from "../../services/webhooks/events.ts";
import {
  CreatedSubmissionSchema,
  createSubmissionBody,
  HONEYPOT_FIELD,
  SubmissionFields,
  type SubmissionInput,
  WIDGET_TOKEN_FIELD,
} from "./schemas.ts";

export const createSubmissionRoute = createRoute({
  method: "post",
  path: "/submissions",
  tags: ["Submissions"],
  operationId: "createSubmission",
  summary:
    "Submit the public form (no authentication; Turnstile token required; optional file ≤ 10 MiB as multipart). At most 5 a minute per IP.",
  middleware: [rateLimit({ policy: "submissions" })] as const,
  request: { body: createSubmissionBody },
  responses: {
    201: jsonContent(CreatedSubmissionSchema, "Received"),
    403: errorResponse("forbidden"),
    503: errorResponse("service_unavailable"),
    ...commonErrors,
  },
});

/** A plain form field is at most this long (bytes); the message's 5,000 characters fit. */
const MAX_FIELD_BYTES = 64 * 1024;

interface Received {
  fields: Record<string, unknown>;
  file: StoredFile | null;
}

const invalid = (errors: { path: string; message: string }[]) =>
  new ApiError("validation", {
    detail: `The request has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}`,
    errors,
  });

/**
 * Reads a multipart body: plain fields into memory (64 KiB each at most), the file
 * straight into R2 as it arrives. The file, if stored, is the caller's to delete
 * when the submission goes no further.
 */
async function readForm(c: Context<AppEnv>, boundary: string, id: string): Promise<Received> {
  const body = c.req.raw.body;
  if (!body) return { fields: {}, file: null };
  const fields: Record<string, unknown> = {};
  let file: StoredFile | null = null;
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
          throw invalid([
            {
              path: "file",
              message:
                stored.error === "empty"
                  ? "is empty"
                  : "must be a PDF, PNG, JPEG, GIF, WebP, plain-text or CSV file (judged by its content)",
            },
          ]);
        }
        file = stored.value;
      } else if (part.filename === null) {
        const value = await readText(part.chunks, MAX_FIELD_BYTES);
        if (value === null)
          throw invalid([{ path: part.name, message: `must be at most ${MAX_FIELD_BYTES} bytes` }]);
        fields[part.name] = value;
      }
    }
  } catch (error) {
    if (file) await c.env.FILES.delete(file.key);
    if (error instanceof MultipartError)
      throw new ApiError("bad_request", { detail: `Malformed multipart body: ${error.message}` });
    throw error;
  }
  return { fields, file };
}

async function readJson(c: Context<AppEnv>): Promise<Received> {
  let fields: unknown;
  try {
    fields = await c.req.json();
  } catch {
    throw new ApiError("malformed_json", { detail: "The request body is not valid JSON" });
  }
  if (!fields || typeof fields !== "object" || Array.isArray(fields))
    throw invalid([{ path: "(body)", message: "must be a JSON object" }]);
  const unknown = Object.keys(fields).filter((k) => !(k in SubmissionFields.shape));
  if (unknown.length)
    throw invalid(unknown.map((k) => ({ path: k, message: "is not a field of this request" })));
  return { fields: fields as Record<string, unknown>, file: null };
}

export const createSubmissionHandler: RouteHandler<typeof createSubmissionRoute, AppEnv> = async (
  c,
) => {
  const id = uuidv7();
  const boundary = multipartBoundary(c.req.header("content-type"));
  const { fields, file } = boundary ? await readForm(c, boundary, id) : await readJson(c);
  let committed = false;
  try {
    if (typeof fields[HONEYPOT_FIELD] === "string" && fields[HONEYPOT_FIELD].trim() !== "") {
      // A bot: it is told all went well, so it has nothing to learn from; nothing is kept.
      increment("submissions_honeypot_total");
      c.get("logger").info("submission refused by the honeypot");
      return c.json({ id, created_at: nowIso(), file: null }, 201);
    }
    const parsed = SubmissionFields.safeParse(fields);
    if (!parsed.success) throw invalid(toFieldErrors("json", parsed.error.issues));
    const input = parsed.data;
    const token = input.turnstile_token ?? input[WIDGET_TOKEN_FIELD];
    await checkTurnstile(c, token, id);
    const created = await saveSubmission(c, id, input, file);
    committed = true;
    return c.json(created, 201);
  } finally {
    if (file && !committed) await c.env.FILES.delete(file.key);
  }
};

async function checkTurnstile(c: Context<AppEnv>, token: string | undefined, id: string) {
  const secret = c.get("config").TURNSTILE_SECRET;
  if (!secret) throw new ApiError("service_unavailable", { detail: "The form is not configured" });
  const verdict = await verifyTurnstile(secret, token, {
    ip: clientIp(c),
    traceparent: c.get("trace").traceparent,
    idempotencyKey: id,
  });
  if (verdict.ok) return;
  increment("submissions_turnstile_total", { outcome: verdict.error });
  if (verdict.error === "unavailable") {
    c.get("logger").error("turnstile verification unavailable; refusing", {
      error: verdict.detail,
    });
    throw new ApiError("service_unavailable", {
      detail: "The captcha cannot be checked right now; try again shortly",
      headers: { "Retry-After": "5" },
    });
  }
  throw new ApiError("forbidden", {
    detail:
      verdict.error === "missing"
        ? "Complete the captcha: send its token as turnstile_token (or cf-turnstile-response)"
        : "The captcha was not solved; reload it and try again",
  });
}

/** One batch: the row, its audit entry, the `submission.created` event and the confirmation e-mail job. */
async function saveSubmission(
  c: Context<AppEnv>,
  id: string,
  input: SubmissionInput,
  file: StoredFile | null,
) {
  const createdAt = nowIso();
  const fileDto = file
    ? { name: file.name, content_type: file.contentType, size: file.size, sha256: file.sha256 }
    : null;
  const unit = requestWrite(c);
  unit.audit({
    action: "submission.created",
    resourceType: "submission",
    resourceId: id,
    summary: { after: { has_file: file !== null } },
  });
  emitEvent(
    unit,
    "submission.created",
    {
      id,
      name: input.name,
      email: input.email,
      message: input.message,
      created_at: createdAt,
      file: fileDto,
    },
    { ownerId: null },
  );
  // A deterministic job id: the confirmation exists once per submission, and the
  // consumer's claim plus the outbox's (job, recipient) key send it once.
  unit.enqueue([
    {
      type: "email.send",
      jobId: `submission-confirmation.${id}`,
      payload: {
        to: [input.email],
        subject: "We received your message",
        text: `Hello ${input.name},\n\nThank you for your message; we will get back to you soon.\n\nReference: ${id}\n`,
      },
    },
  ]);
  unit.write(
    insertSubmission(unit.db, {
      id,
      name: input.name,
      email: input.email,
      message: input.message,
      ip: clientIp(c),
      userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
      fileKey: file?.key ?? null,
      fileName: file?.name ?? null,
      fileType: file?.contentType ?? null,
      fileSize: file?.size ?? null,
      fileSha256: file?.sha256 ?? null,
      createdAt,
    }),
  );
  await unit.commit();
  return { id, created_at: createdAt, file: fileDto };
}
