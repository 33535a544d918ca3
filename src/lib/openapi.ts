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

/** One status, one or more problem types that answer with it (their titles, joined). */
const describe = (...problems: [ProblemType, ...ProblemType[]]) => ({
  description: problems
    .map((p, i) =>
      i === 0 ? PROBLEM_TYPES[p].title : `${PROBLEM_TYPES[p].title.toLowerCase()} (\`${p}\`)`,
    )
    .join(", or "),
  content: problemContent,
});

/** Error responses every route can produce; spread into each route's `responses`. */
export const commonErrors = {
  400: describe("bad_request"),
  413: describe("payload_too_large"),
  415: describe("unsupported_media_type"),
  422: describe("validation"),
  429: describe("rate_limited"),
  500: describe("internal"),
  504: describe("timeout"),
} as const;

/** Extra error responses for authenticated routes. */
export const authErrors = {
  401: describe("unauthorized"),
  403: describe("forbidden"),
} as const;

/** Error response for a named problem (or several sharing a status), for route-specific statuses. */
export const errorResponse = describe;

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
