import { z } from "@hono/zod-openapi";
import { PROBLEM_TYPES, type ProblemType, problemTypeUri } from "./problem.ts";

/** RFC 9457 problem document, registered once as the `Problem` component. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: problemTypeUri("validation") }),
    title: z.string().openapi({ example: PROBLEM_TYPES.validation.title }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "The request body has 1 invalid field" }),
    instance: z.string().openapi({ example: "/api/v2/auth/register" }),
    request_id: z.string().openapi({ example: "01936f3e-5a4b-7c2d-9e8f-0a1b2c3d4e5f" }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ example: [{ path: "email", message: "Invalid email address" }] }),
  })
  .openapi("Problem", {
    description: "An RFC 9457 problem document. Extension members may appear.",
  });

const problemContent = { "application/problem+json": { schema: ProblemSchema } } as const;

export type ProblemResponse = {
  description: string;
  content: typeof problemContent;
};

/** One status, one or more problem types that answer with it (their titles, joined). */
const describe = (...problems: [ProblemType, ...ProblemType[]]): ProblemResponse => ({
  description: problems
    .map((p, i) =>
      i === 0 ? PROBLEM_TYPES[p].title : `${PROBLEM_TYPES[p].title.toLowerCase()} (\`${p}\`)`,
    )
    .join(", or "),
  content: problemContent,
});

/** Error response for a named problem (or several sharing a status), for route-specific statuses. */
export const errorResponse = describe;

/** `response` with one more problem type that answers with its status. */
export const withProblem = (response: ProblemResponse, problem: ProblemType): ProblemResponse => ({
  ...response,
  description: `${response.description}, or ${PROBLEM_TYPES[problem].title.toLowerCase()} (\`${problem}\`)`,
});

type StatusOf<P extends ProblemType> = (typeof PROBLEM_TYPES)[P]["status"];

/**
 * The problem responses for a set of problem types: one per status, whose
 * description names every problem type that answers with it.
 */
export function problemResponses<P extends ProblemType>(
  problems: readonly P[],
): { [S in StatusOf<P>]: ProblemResponse } {
  const byStatus = new Map<number, [ProblemType, ...ProblemType[]]>();
  for (const p of new Set(problems)) {
    const status = PROBLEM_TYPES[p].status;
    const same = byStatus.get(status);
    if (same) same.push(p);
    else byStatus.set(status, [p]);
  }
  return Object.fromEntries([...byStatus].map(([status, ps]) => [status, describe(...ps)])) as {
    [S in StatusOf<P>]: ProblemResponse;
  };
}

/**
 * What the middleware in front of every route can answer once configuration is
 * read (src/app.ts): a secret missing or invalid (500 `misconfigured`), a body over
 * the limit (413), the time budget spent (504), and an unexpected error (500).
 */
export const EVERY_ROUTE_PROBLEMS = [
  "internal",
  "misconfigured",
  "payload_too_large",
  "timeout",
] as const satisfies readonly ProblemType[];

/**
 * …and in front of every `/api` route: the IP deny list and admin allowlist (403),
 * the global rate limiter (429), the media-type check (415), and the request
 * validators (400 malformed JSON or a bad request, 422).
 */
export const API_PROBLEMS = [
  ...EVERY_ROUTE_PROBLEMS,
  "bad_request",
  "malformed_json",
  "forbidden",
  "unsupported_media_type",
  "validation",
  "rate_limited",
] as const satisfies readonly ProblemType[];

/**
 * …and on `/api` routes that need a caller: credentials refused (401; 400 for two
 * at once; 429 after too many failed attempts from an address; 503 when a signed
 * request's nonce cannot be checked), a scope or role missing (403), and the per-key
 * concurrency cap (429).
 */
export const SECURED_API_PROBLEMS = [
  ...API_PROBLEMS,
  "unauthorized",
  "service_unavailable",
] as const satisfies readonly ProblemType[];

/**
 * Error responses of an operations route (health, status), plus its own problems:
 * spread into its `responses`. One spread per route group, so no route can leave
 * out a status the middleware in front of it can answer.
 */
export const opsErrors = <P extends ProblemType = never>(...own: P[]) =>
  problemResponses([...EVERY_ROUTE_PROBLEMS, ...own]);

/** Error responses of a public `/api` route (sign-up, sign-in, tokens), plus its own problems. */
export const publicApiErrors = <P extends ProblemType = never>(...own: P[]) =>
  problemResponses([...API_PROBLEMS, ...own]);

/** Error responses of an `/api` route that needs a caller (a token or an API key), plus its own problems. */
export const apiErrors = <P extends ProblemType = never>(...own: P[]) =>
  problemResponses([...SECURED_API_PROBLEMS, ...own]);

/** Standard JSON content block for a response schema. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * Documents a zod string format's own regular expression as the JSON Schema
 * `pattern`. `format` alone promises less than zod checks: `email` admits quoted
 * local parts and IP-literal domains, `uuid` any version and variant, `date-time`
 * a lower-case `t`/`z` and leap seconds — all refused here with a 422.
 *
 * @example id: withFormatPattern(z.uuid()).openapi({ param: { name: "id", in: "path" } })
 */
export function withFormatPattern<T extends z.ZodStringFormat>(schema: T): T {
  const pattern = schema._zod.def.pattern;
  if (!pattern || pattern.flags) throw new Error(`no flag-free pattern for ${schema.format}`);
  return schema.openapi({ pattern: pattern.source });
}

/**
 * The JSON Schema counterpart of `.trim().min(1)`: a value of white space alone
 * trims to nothing and is refused, so at least one non-space character is required.
 */
export const NON_BLANK = "\\S";

const LABEL = "[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*";
const FINAL_LABEL = "[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*";
const IPV4 = z.regexes.ipv4.source.slice(1, -1);
const IPV6 = z.regexes.ipv6.source.slice(1, -1);

/**
 * The http(s) URLs the documentation promises to accept: a host name (whose last
 * label starts with a letter, so the URL parser never reads it as an IPv4 number),
 * a dotted-quad IPv4 or a bracketed IPv6 literal, an optional port of up to four
 * digits, and any path, query and fragment without white space. Deliberately a
 * subset of what the WHATWG URL parser accepts (no IDN or punycode labels, no
 * `--`), so that nothing this pattern admits is refused as malformed.
 */
export const HTTP_URL_PATTERN = `^https?://(?:(?:${LABEL}\\.)*${FINAL_LABEL}\\.?|${IPV4}|\\[${IPV6}\\])(?::[0-9]{1,4})?(?:[/?#]\\S*)?$`;
