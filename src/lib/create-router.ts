import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { errorResponse, type ProblemResponse, withProblem } from "./openapi.ts";
import { ApiError, type FieldError } from "./problem.ts";

type Issue = { path: PropertyKey[]; message: string; code?: string; keys?: string[] };

/** Turns zod issues into one `{path, message}` per bad field; body paths are bare. */
function toFieldErrors(target: string, issues: readonly Issue[]): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const prefix =
      target === "json" || target === "form" ? "" : `${target === "param" ? "path" : target}`;
    return {
      path: prefix ? (path ? `${prefix}.${path}` : prefix) : path || "(body)",
      message: issue.message,
    };
  });
}

/** The query parameters zod found that the route does not declare (strict query schemas). */
const unknownKeys = (issues: readonly Issue[]) =>
  issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? (issue.keys ?? []) : []));

type RouteLike = {
  request?: { query?: unknown };
  responses: Record<string | number, unknown>;
};

/**
 * Makes a route's query schema strict, so a parameter the route does not declare
 * (a typo such as `?limt=5`, a filter it does not have) is refused instead of being
 * silently ignored, and documents that 400 on the route. A route whose query is
 * declared with `z.looseObject` keeps it: that is the opt-out for a URL whose
 * parameters someone else controls (an OAuth provider's callback).
 */
export function strictQueryRoute<R extends RouteLike>(route: R): R {
  const query = route.request?.query;
  if (!(query instanceof z.ZodObject) || query._zod.def.catchall !== undefined) return route;
  return {
    ...route,
    request: { ...route.request, query: query.strict() },
    responses: {
      ...route.responses,
      400: withProblem(
        (route.responses[400] as ProblemResponse | undefined) ?? errorResponse("bad_request"),
        "unknown_query_parameter",
      ),
    },
  };
}

/**
 * Every router is built here so every route validates and fails the same way:
 * a zod failure becomes a 422 problem with one entry per bad field, and a query
 * parameter the route does not declare is a 400 `unknown_query_parameter`
 * (every route's query schema is made strict at registration, see strictQueryRoute).
 */
/** The 400 for query parameters an operation does not declare (also for route middleware that reads the query). */
export const unknownQueryParameters = (unknown: string[]) =>
  new ApiError("unknown_query_parameter", {
    detail: `This operation has no query parameter ${unknown.map((k) => JSON.stringify(k)).join(", ")}`,
    errors: unknown.map((key) => ({
      path: `query.${key}`,
      message: "is not a parameter of this operation",
    })),
  });

export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (result.success) return;
      const unknown = result.target === "query" ? unknownKeys(result.error.issues) : [];
      if (unknown.length) throw unknownQueryParameters(unknown);
      const errors = toFieldErrors(result.target, result.error.issues);
      throw new ApiError("validation", {
        detail: `The request has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}`,
        errors,
      });
    },
  });
  // Wrapped once here rather than in each route file, so no route can forget.
  const register = router.openapi;
  router.openapi = ((route, handler, hook) =>
    register(strictQueryRoute(route), handler, hook)) as typeof register;
  return router;
}
