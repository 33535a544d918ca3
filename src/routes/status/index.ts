import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { createRouter } from "../../lib/create-router.ts";
import { htmlPage } from "../../lib/html.ts";
import { jsonContent, opsErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { edgeCache } from "../../middleware/edge-cache.ts";
import { loadStatus } from "../../services/status/page.ts";
import { renderAtom } from "./atom.ts";
import { renderStatusPage } from "./page.ts";
import { StatusSchema } from "./schemas.ts";

/**
 * The public status page, its JSON twin and its Atom feed. The same for every
 * visitor, so each is cached at the edge under the `status` tag; incident and
 * published-tag changes purge it, server writes purge this location's copy, and
 * otherwise it ages out in 30 s.
 */
const cached = () => edgeCache({ tags: ["status"], maxAge: 30 });

/** The status data, or a 503 problem when the database cannot be read (never cached). */
async function statusOr503(c: Context<AppEnv>) {
  try {
    return await loadStatus(c.get("db"));
  } catch (error) {
    c.get("logger").error("status page data unavailable", { error: String(error) });
    throw new ApiError("service_unavailable", {
      detail: "The status data cannot be read right now",
      headers: { "Retry-After": "30", "Cache-Control": "no-store" },
    });
  }
}

export const statusJsonRoute = createRoute({
  method: "get",
  path: "/status.json",
  tags: ["Operations"],
  operationId: "getStatus",
  summary: "Public status: components, published server groups, uptime and incidents",
  description:
    "What the status page at /status shows, for machines: each platform component (API, database, cache, storage, queue) and each server tag an admin published, with its current state, 90 daily entries (checks, uptime, p50/p95 probe latency), 90- and 30-day uptime, and the current and recent incidents. Anonymous; cached at the edge for 30 s.",
  security: [],
  middleware: [cached()] as const,
  responses: {
    200: jsonContent(StatusSchema, "The current status"),
    ...opsErrors("service_unavailable"),
  },
});

const statusJsonHandler: RouteHandler<typeof statusJsonRoute, AppEnv> = async (c) =>
  c.json(await statusOr503(c), 200);

export const statusFeedRoute = createRoute({
  method: "get",
  path: "/status/feed.atom",
  tags: ["Operations"],
  operationId: "getStatusFeed",
  summary: "Incidents as an Atom 1.0 feed",
  description:
    "One entry per current or recent incident (resolved in the last 90 days), updated with each incident update. Anonymous; cached at the edge for 30 s.",
  security: [],
  middleware: [cached()] as const,
  responses: {
    200: {
      description: "An Atom 1.0 feed (RFC 4287)",
      content: { "application/atom+xml": { schema: z.string() } },
    },
    ...opsErrors("service_unavailable"),
  },
});

const statusFeedHandler: RouteHandler<typeof statusFeedRoute, AppEnv> = async (c) => {
  const xml = renderAtom(await statusOr503(c), new URL(c.req.url).origin);
  return c.body(xml, 200, { "Content-Type": "application/atom+xml; charset=utf-8" });
};

export const statusRouter = createRouter()
  .openapi(statusJsonRoute, statusJsonHandler)
  .openapi(statusFeedRoute, statusFeedHandler);

// The page for people, outside the API document (like /docs).
statusRouter.get("/status", cached(), async (c) => {
  let status: Awaited<ReturnType<typeof loadStatus>>;
  try {
    status = await loadStatus(c.get("db"));
  } catch (error) {
    c.get("logger").error("status page data unavailable", { error: String(error) });
    const res = htmlPage(
      c,
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>edgepanel status</title></head><body><h1>edgepanel status</h1><p>The status data cannot be read right now. Try again in a minute.</p></body></html>',
    );
    return new Response(res.body, {
      status: 503,
      headers: {
        ...Object.fromEntries(res.headers),
        "Retry-After": "30",
        "Cache-Control": "no-store",
      },
    });
  }
  return htmlPage(c, String(await renderStatusPage(status)));
});
