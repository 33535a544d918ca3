import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { nowIso } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { increment } from "../../observability/metrics.ts";
import type { StoredFile } from "../../services/submissions/files.ts";
import { insertSubmission } from "../../services/submissions/store.ts";
import { verifyTurnstile } from "../../services/submissions/turnstile.ts";
import { emitEvent } from "../../services/webhooks/events.ts";
import { submissionForm, uploadOf } from "./form.ts";
import {
  CreatedSubmissionSchema,
  createSubmissionBody,
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
  description:
    "Receives the public form, with no authentication: JSON, or multipart/form-data with an optional file of at most 10 MiB streamed to R2 and typed by its content (PDF, PNG, JPEG, GIF, WebP, text, CSV). A Turnstile token is required (403 when missing or refused, 503 when Turnstile cannot be asked); a filled-in honeypot field gets a 201 and nothing is stored; at most 5 a minute per IP. A stored submission records an audit entry, the submission.created webhook event and the confirmation e-mail job in one transaction.",
  middleware: [rateLimit({ policy: "submissions" }), submissionForm()] as const,
  request: { body: createSubmissionBody },
  responses: {
    201: jsonContent(CreatedSubmissionSchema, "Received"),
    ...publicApiErrors("forbidden", "service_unavailable"),
  },
});

export const createSubmissionHandler: RouteHandler<typeof createSubmissionRoute, AppEnv> = async (
  c,
) => {
  // The body type mixes a zod schema (JSON) and a plain JSON Schema (the form, which
  // arrives here as JSON): @hono/zod-openapi cannot type that, so the cast says it.
  const input = (c.req.valid as (target: "json") => SubmissionInput)("json");
  const upload = uploadOf(c);
  await checkTurnstile(c, input.turnstile_token ?? input[WIDGET_TOKEN_FIELD], upload.id);
  const created = await saveSubmission(c, upload.id, input, upload.file);
  upload.committed = true;
  return c.json(created, 201);
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
