import { z } from "@hono/zod-openapi";
import type { SubmissionRow } from "../../db/schema.ts";
import { withFormatPattern } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { isPlainText } from "../../lib/text.ts";
import { EXPORT_FORMATS } from "../../services/submissions/csv.ts";
import { MAX_TOKEN_LENGTH } from "../../services/submissions/turnstile.ts";

/** The honeypot field: hidden from people, so only bots fill it in. */
export const HONEYPOT_FIELD = "website";
/** The field the Turnstile widget adds to a form. */
export const WIDGET_TOKEN_FIELD = "cf-turnstile-response";

/**
 * `s` without the characters names may not hold ({@link isPlainText}: controls, bidi
 * overrides, line separators, lone surrogates), except those in `keep`.
 */
function stripControls(s: string, keep = ""): string {
  let out = "";
  for (const ch of s) if (keep.includes(ch) || isPlainText(ch)) out += ch;
  return out;
}

/** At least one character that is neither white space nor one that is stripped. */
const VISIBLE = "[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]";

/** Control characters are removed (not refused): a pasted message should not bounce over an invisible byte. */
const stripped = (max: number) =>
  z
    .string()
    .transform((v) => stripControls(v).trim())
    .pipe(z.string().min(1, "must not be empty").max(max));

export const SubmissionFields = z.object({
  name: stripped(200).openapi({
    example: "Ada Lovelace",
    pattern: VISIBLE,
    description: "Control characters are removed; blank after that is refused",
  }),
  email: withFormatPattern(z.email({ error: "must be an e-mail address" }))
    .max(254)
    .openapi({ example: "ada@example.com" }),
  message: z
    .string()
    .transform((v) => stripControls(v.replaceAll("\r\n", "\n"), "\n\t").trim())
    .pipe(z.string().min(1, "must not be empty").max(5000))
    .openapi({
      example: "Hello! I would like a demo.",
      pattern: VISIBLE,
      description: "Line breaks and tabs are kept, other control characters removed",
    }),
  turnstile_token: z
    .string()
    .max(MAX_TOKEN_LENGTH)
    .optional()
    .openapi({ description: "The Turnstile widget's token; missing or refused is a 403" }),
  [WIDGET_TOKEN_FIELD]: z.string().max(MAX_TOKEN_LENGTH).optional(),
  [HONEYPOT_FIELD]: z.string().optional().openapi({
    description:
      "Honeypot: hide it from people and leave it empty. A filled-in value gets a 201 and nothing is stored.",
  }),
});

export type SubmissionInput = z.output<typeof SubmissionFields>;

/**
 * The JSON body. A form (multipart) carries the same fields plus `file`; the
 * handler reads it as a stream and validates its fields with {@link SubmissionFields}.
 */
export const SubmissionBody = SubmissionFields.strict().openapi("SubmissionRequest");

/**
 * The route's body. Both kinds are validated by {@link SubmissionBody}: the route's
 * form middleware streams a multipart body's file to R2 and hands its fields on as
 * JSON (a validator reading the form itself would hold the whole body in memory).
 */
export const createSubmissionBody = {
  required: true,
  content: {
    "application/json": { schema: SubmissionBody },
    "multipart/form-data": {
      schema: {
        type: "object" as const,
        required: ["name", "email", "message"],
        properties: {
          name: { type: "string" as const, maxLength: 200, pattern: VISIBLE },
          email: { type: "string" as const, format: "email", maxLength: 254 },
          message: { type: "string" as const, maxLength: 5000, pattern: VISIBLE },
          turnstile_token: { type: "string" as const, maxLength: MAX_TOKEN_LENGTH },
          [WIDGET_TOKEN_FIELD]: {
            type: "string" as const,
            maxLength: MAX_TOKEN_LENGTH,
            description: "The token under the name the Turnstile widget gives its hidden input",
          },
          [HONEYPOT_FIELD]: {
            type: "string" as const,
            description: "Honeypot: hide it from people and leave it empty",
          },
          file: {
            type: "string" as const,
            format: "binary",
            description:
              "Optional, at most 10 MiB: PDF, PNG, JPEG, GIF, WebP, plain text or CSV, judged by the file's content",
          },
        },
      },
    },
  },
};

export const StoredFileSchema = z
  .object({
    name: z.string().openapi({ description: "The original file name, sanitised" }),
    content_type: z.string().openapi({ description: "Decided from the file's content" }),
    size: z.number().int(),
    sha256: z.string(),
  })
  .openapi("SubmissionFile");

export const CreatedSubmissionSchema = z
  .object({ id: z.string(), created_at: z.string(), file: StoredFileSchema.nullable() })
  .openapi("SubmissionReceipt");

export const SubmissionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    message: z.string(),
    ip: z.string().nullable(),
    created_at: z.string(),
    file: StoredFileSchema.extend({
      download_url: z.string().openapi({
        description: "Signed, absolute, valid for 5 minutes; always downloads as an attachment",
      }),
      expires_at: z.string(),
    })
      .nullable()
      .openapi({ description: "The attached file, if any" }),
    snippet: z.string().nullable().openapi({
      description:
        "With `q`: the best-matching passage as HTML, the submitter's text escaped and the matches in <mark>",
    }),
  })
  .openapi("Submission");

export const SubmissionListSchema = listOf(SubmissionSchema, "SubmissionList");

const iso = withFormatPattern(z.iso.datetime({ offset: true }));

export const ListSubmissionsQuery = PaginationQuery.extend({
  since: iso.optional().openapi({ description: "created at or after (RFC 3339)" }),
  until: iso.optional().openapi({ description: "created before (RFC 3339)" }),
  q: z.string().trim().min(1).max(200).optional().openapi({
    description:
      'SQLite FTS5 full-text query over name, e-mail and message: words, "a phrase", prefix*, AND/OR/NOT. Malformed is a 400.',
    example: '"demo request" OR pric*',
    pattern: "\\S",
  }),
});

export const CreateExportBody = z
  .object({
    format: z.enum(EXPORT_FORMATS).openapi({
      description:
        "`csv`: RFC 4180. `xlsx_csv`: for spreadsheets — a UTF-8 BOM, and cells starting with = + - @ tab or CR prefixed with ' so they are not run as formulas",
    }),
    q: z.string().trim().min(1).max(200).optional().openapi({ pattern: "\\S" }),
    since: iso.optional(),
    until: iso.optional(),
  })
  .strict()
  .openapi("CreateSubmissionExportRequest");

export const SignedLinkQuery = z.object({
  expires: z
    .string()
    .regex(/^[0-9]{1,12}$/, "must be a Unix time in seconds")
    .transform(Number)
    .openapi({ param: { name: "expires", in: "query" }, description: "Unix seconds" }),
  signature: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/)
    .openapi({
      param: { name: "signature", in: "query" },
      description: "HMAC-SHA256, base64url",
    }),
});

export const SubmissionIdParam = z.object({
  id: withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name: "id", in: "path" },
  }),
});

export const ExportIdParam = z.object({
  job_id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/)
    .openapi({ param: { name: "job_id", in: "path" } }),
});

export const toStoredFile = (r: SubmissionRow) =>
  r.fileKey
    ? {
        name: r.fileName ?? "file",
        content_type: r.fileType ?? "application/octet-stream",
        size: r.fileSize ?? 0,
        sha256: r.fileSha256 ?? "",
      }
    : null;
