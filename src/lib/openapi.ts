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
