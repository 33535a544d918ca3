import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { asc, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { statusPageTags } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { nowIso } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { nameSchema } from "../../lib/text.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { purgeStatusPage } from "../../services/status/purge.ts";
import { TagSchema } from "../status/schemas.ts";

const StatusTagSchema = z
  .object({
    tag: z.string(),
    display_name: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("StatusPageTag");

const toDto = (r: typeof statusPageTags.$inferSelect) => ({
  tag: r.tag,
  display_name: r.displayName,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

const TagParam = z.object({ tag: TagSchema.openapi({ param: { name: "tag", in: "path" } }) });
const PublishBody = z
  .object({
    display_name: nameSchema(64).optional().openapi({
      example: "EU West",
      description: "What the page calls the group (default: the tag)",
    }),
  })
  .strict()
  .openapi("PublishStatusTagRequest");

const purgeAfter = (c: Context<AppEnv>) => () =>
  purgeStatusPage(c.env, c.get("config"), c.get("trace").traceparent);

export const listStatusTagsRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "get",
  path: "/admin/status-tags",
  operationId: "listStatusTags",
  summary: "Server tags published on the public status page",
  description:
    "Every tag shown as a server group on /status, with the name the page gives it. Admins only.",
  responses: {
    200: jsonContent(
      z.object({ data: z.array(StatusTagSchema) }).openapi("StatusPageTagList"),
      "Every published tag",
    ),
    ...apiErrors(),
  },
});

export const listStatusTagsHandler: RouteHandler<typeof listStatusTagsRoute, AppEnv> = async (
  c,
) => {
  const rows = await c
    .get("db")
    .select()
    .from(statusPageTags)
    .orderBy(asc(statusPageTags.tag))
    .all();
  return c.json({ data: rows.map(toDto) }, 200);
};

export const publishStatusTagRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "put",
  path: "/admin/status-tags/{tag}",
  operationId: "publishStatusTag",
  summary: "Publish a server tag on the status page (or rename it there)",
  description:
    "Shows the servers carrying this tag as one group on /status: current state, 90-day uptime bars, uptime and latency. Its history is rolled up from the probes already recorded. Anyone can read the status page: publish only tags whose name and health you mean to show. Admins only.",
  request: {
    params: TagParam,
    body: { required: false, content: { "application/json": { schema: PublishBody } } },
  },
  responses: {
    200: jsonContent(StatusTagSchema, "Already published: the display name is updated"),
    201: jsonContent(StatusTagSchema, "Published"),
    ...apiErrors(),
  },
});

export const publishStatusTagHandler: RouteHandler<typeof publishStatusTagRoute, AppEnv> = async (
  c,
) => {
  const { tag } = c.req.valid("param");
  const body = c.req.valid("json") ?? {};
  const db = c.get("db");
  const existing = await db.select().from(statusPageTags).where(eq(statusPageTags.tag, tag)).get();
  const now = nowIso();
  const displayName = body.display_name ?? existing?.displayName ?? tag;
  const unit = requestWrite(c);
  const written = unit.write(
    db
      .insert(statusPageTags)
      .values({
        tag,
        displayName,
        publishedBy: c.get("principal")?.userId ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({ target: statusPageTags.tag, set: { displayName, updatedAt: now } })
      .returning(),
  );
  unit.audit({
    action: existing ? "status_tag.renamed" : "status_tag.published",
    resourceType: "status_tag",
    resourceId: tag,
    summary: { display_name: displayName, ...(existing ? { before: existing.displayName } : {}) },
  });
  unit.afterCommit(purgeAfter(c));
  const [row] = (await unit.commit())(written);
  return c.json(toDto(row!), existing ? 200 : 201);
};

export const unpublishStatusTagRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "delete",
  path: "/admin/status-tags/{tag}",
  operationId: "unpublishStatusTag",
  summary: "Remove a server tag from the status page",
  description:
    "Stops showing the group on /status (its roll-up history is kept, so publishing it again shows its bars at once). A tag that is not published is a 404. Admins only.",
  request: { params: TagParam },
  responses: { 204: { description: "Unpublished" }, ...apiErrors("not_found") },
});

export const unpublishStatusTagHandler: RouteHandler<
  typeof unpublishStatusTagRoute,
  AppEnv
> = async (c) => {
  const { tag } = c.req.valid("param");
  const db = c.get("db");
  const unit = requestWrite(c).onlyIf(
    // Audited only when there was something to remove.
    sql`exists (select 1 from ${statusPageTags} where ${statusPageTags.tag} = ${tag})`,
  );
  unit.audit({ action: "status_tag.unpublished", resourceType: "status_tag", resourceId: tag });
  const deleted = unit.write(
    db
      .delete(statusPageTags)
      .where(eq(statusPageTags.tag, tag))
      .returning({ tag: statusPageTags.tag }),
  );
  unit.afterCommit(purgeAfter(c));
  if (!(await unit.commit())(deleted).length)
    throw new ApiError("not_found", { detail: "That tag is not published" });
  return c.body(null, 204);
};
