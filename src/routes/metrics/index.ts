import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import pkg from "../../../package.json" with { type: "json" };
import type { AppEnv } from "../../env.ts";
import { createRouter } from "../../lib/create-router.ts";
import { sha256Hex } from "../../lib/encoding.ts";
import { errorResponse, opsErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../../observability/exposition.ts";
import { flusher, metricsStub } from "../../observability/flush.ts";

export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  operationId: "getMetrics",
  summary: "Prometheus metrics of the whole deployment",
  description:
    "The deployment's counters and histograms in the Prometheus text exposition format 0.0.4: requests by route template and status, latency histograms, cache lookups, rate-limit decisions, jobs, queue lag, webhook deliveries, authentication failures and build info. Figures are every instance's, at most a few seconds old. Send `Authorization: Bearer <METRICS_TOKEN>`. Scrape every 15–60 seconds.",
  security: [{ metricsToken: [] }],
  responses: {
    200: {
      description: "The exposition",
      content: { "text/plain": { schema: z.string() } },
    },
    401: errorResponse("unauthorized"),
    ...opsErrors(),
  },
});

/** Compares digests of equal length, so neither the token's content nor its length leaks through timing. */
async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export const metricsHandler: RouteHandler<typeof metricsRoute, AppEnv> = async (c) => {
  const expected = c.get("config").METRICS_TOKEN;
  const header = c.req.header("authorization") ?? "";
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (!expected || !given || !(await tokenMatches(given, expected))) {
    throw new ApiError("unauthorized", {
      detail: "Send the metrics token as a bearer token",
      headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
    });
  }
  // This isolate's own recent counts go out first, so a scrape sees its own requests.
  await flusher.flush(c.env.METRICS);
  const snapshot = await metricsStub(c.env.METRICS).snapshot();
  const body = renderExposition(snapshot, {
    version: pkg.version,
    commit: c.env.BUILD_COMMIT ?? "unknown",
  });
  return c.text(body, 200, {
    "Content-Type": EXPOSITION_CONTENT_TYPE,
    "Cache-Control": "no-store",
  });
};

export const metricsRouter = createRouter().openapi(metricsRoute, metricsHandler);

metricsRouter.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
  type: "http",
  scheme: "bearer",
  description: "The deployment's METRICS_TOKEN (not a user's token): for Prometheus scrapers.",
});
