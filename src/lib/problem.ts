import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed set of problem types edgepanel emits (RFC 9457). The `type` URI is
 * relative (`/problems/<slug>`), which RFC 9457 §3.1.1 allows; every slug is
 * documented in docs/errors.md.
 */
export const PROBLEM_TYPES = {
  bad_request: { status: 400, title: "Bad request" },
  malformed_json: { status: 400, title: "Malformed JSON" },
  unknown_query_parameter: { status: 400, title: "Unknown query parameter" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Forbidden" },
  quota_exceeded: { status: 403, title: "Quota exceeded" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  precondition_failed: { status: 412, title: "Precondition failed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation: { status: 422, title: "Validation failed" },
  upgrade_required: { status: 426, title: "Upgrade required" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal server error" },
  misconfigured: { status: 500, title: "Server misconfigured" },
  bad_gateway: { status: 502, title: "Upstream failed" },
  service_unavailable: { status: 503, title: "Service unavailable" },
  timeout: { status: 504, title: "Request timed out" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ApiErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extension members merged into the problem document (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type routes and middleware throw. `onError` turns it into an
 * `application/problem+json` response; nothing else formats errors.
 *
 * @example throw new ApiError("not_found", { detail: "No server with that id" })
 */
export class ApiError extends HTTPException {
  readonly problem: ProblemType;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(problem: ProblemType, options: ApiErrorOptions = {}) {
    const { status, title } = PROBLEM_TYPES[problem];
    super(status, { message: options.detail ?? title, cause: options.cause });
    this.name = "ApiError";
    this.problem = problem;
    this.detail = options.detail ?? title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export const problemTypeUri = (problem: ProblemType): string =>
  `/problems/${problem.replaceAll("_", "-")}`;

/** Maps a bare HTTP status (from Hono's own HTTPExceptions) to our closed set. */
export function problemForStatus(status: number): ProblemType {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 412:
      return "precondition_failed";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "validation";
    case 429:
      return "rate_limited";
    case 502:
      return "bad_gateway";
    case 503:
      return "service_unavailable";
    case 504:
      return "timeout";
    default:
      return "internal";
  }
}

/** Builds the problem document for a request; `request_id` comes from the request-id middleware. */
function buildProblem(
  c: Context,
  problem: ProblemType,
  options: Omit<ApiErrorOptions, "headers" | "cause"> = {},
): ProblemDocument {
  const { status, title } = PROBLEM_TYPES[problem];
  const doc: ProblemDocument = {
    type: problemTypeUri(problem),
    title,
    status,
    detail: options.detail ?? title,
    // The path as the client sent it. `c.req.path` is decoded (spaces, controls, any
    // Unicode), which is no URI reference (RFC 9457 §3.1.5) and would echo raw input.
    instance: new URL(c.req.url).pathname,
    request_id: (c.get("requestId") as string | undefined) ?? "",
    ...options.extensions,
  };
  if (options.errors?.length) doc.errors = options.errors;
  return doc;
}

/**
 * Renders a problem as an `application/problem+json` response. Built through
 * `c.body` so headers middleware set earlier (request id, CORS…) are kept even
 * when the error is thrown before any response existed.
 */
export function problemResponse(
  c: Context,
  problem: ProblemType,
  options: Omit<ApiErrorOptions, "cause"> = {},
): Response {
  const doc = buildProblem(c, problem, options);
  const headers: Record<string, string> = {
    // Errors are never cacheable by shared caches: they may depend on credentials.
    "Cache-Control": "no-store",
    // A 401 must say how to authenticate (RFC 9110 §15.5.2), whoever raised it; a
    // more specific challenge (error="invalid_token"…) in options.headers wins.
    ...(doc.status === 401 ? { "WWW-Authenticate": 'Bearer realm="edgepanel"' } : {}),
    ...options.headers,
    "Content-Type": "application/problem+json; charset=utf-8",
  };
  return c.body(JSON.stringify(doc), doc.status as ContentfulStatusCode, headers);
}
