import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import {
  INCIDENT_IMPACTS,
  INCIDENT_STATUSES,
  type IncidentRow,
  type IncidentStatus,
  incidents,
  incidentUpdates,
  STATUS_COMPONENTS,
  statusPageTags,
} from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { ApiError } from "../../lib/problem.ts";
import { isPlainText, nameSchema, PLAIN_TEXT_MESSAGE } from "../../lib/text.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { findIncident, listIncidents, withUpdates } from "../../services/incidents/incidents.ts";
import { purgeStatusPage } from "../../services/status/purge.ts";
import { IncidentSchema, TagSchema } from "../status/schemas.ts";

// What the refinement below refuses, as a portable JSON Schema pattern: the plain-name
// set of src/lib/text.ts minus tab and line feed, and at least one non-space character.
const MESSAGE_DISALLOWED =
  "\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
const MESSAGE_PATTERN = `^[^${MESSAGE_DISALLOWED}]*[^\\s${MESSAGE_DISALLOWED}][^${MESSAGE_DISALLOWED}]*$`;

/** Several paragraphs of plain text: line breaks and tabs allowed, other control characters not. */
const MessageSchema = z
  .string()
  .trim()
  .min(1)
  .max(5_000)
  .refine((s) => isPlainText(s.replace(/[\n\t]/g, " ")), { message: PLAIN_TEXT_MESSAGE })
  .openapi({
    example: "We are seeing elevated error rates on the API and are investigating.",
    pattern: MESSAGE_PATTERN,
    description:
      "Plain text, line breaks and tabs allowed: not blank, no other control characters, no bidirectional overrides or isolates.",
  });

const Fields = {
  title: nameSchema(200).openapi({ example: "Elevated API error rates" }),
  impact: z.enum(INCIDENT_IMPACTS).openapi({ example: "minor" }),
  component: z.enum(STATUS_COMPONENTS).nullable().openapi({ description: "Affected component" }),
  tag: TagSchema.nullable().openapi({ description: "Affected server group: a published tag" }),
};

const CreateBody = z
  .object({
    ...Fields,
    component: Fields.component.optional(),
    tag: Fields.tag.optional(),
    status: z.enum(INCIDENT_STATUSES).default("investigating"),
    message: MessageSchema,
  })
  .strict()
  .openapi("CreateIncidentRequest");

const PatchBody = z
  .object({
    title: Fields.title.optional(),
    impact: Fields.impact.optional(),
    component: Fields.component.optional(),
    tag: Fields.tag.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one field" })
  .openapi("UpdateIncidentRequest", { minProperties: 1 });

const UpdateBody = z
  .object({
    status: z
      .enum(INCIDENT_STATUSES)
      .optional()
      .openapi({ description: "The status the update moves the incident to (default: unchanged)" }),
    message: MessageSchema,
  })
  .strict()
  .openapi("CreateIncidentUpdateRequest");

const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
const ListQuery = PaginationQuery.extend({
  status: z
    .enum(["open", "resolved"])
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
});

/**
 * A tag an incident names must be published: the page cannot show it otherwise. A
 * well-formed tag that is not (yet) published conflicts with the page's state: 409.
 */
async function checkTag(c: Context<AppEnv>, tag: string | null | undefined) {
  if (!tag) return;
  const found = await c
    .get("db")
    .select()
    .from(statusPageTags)
    .where(eq(statusPageTags.tag, tag))
    .get();
  if (!found)
    throw new ApiError("conflict", {
      detail: `The tag ${JSON.stringify(tag)} is not published on the status page: publish it first`,
    });
}

const purgeAfter = (c: Context<AppEnv>) => () =>
  purgeStatusPage(c.env, c.get("config"), c.get("trace").traceparent);

async function respond(c: Context<AppEnv>, id: string) {
  const row = await findIncident(c.get("db"), id);
  if (!row) throw new ApiError("not_found", { detail: "No incident with that id" });
  const [dto] = await withUpdates(c.get("db"), [row]);
  return dto!;
}

export const createIncidentRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "post",
  path: "/admin/incidents",
  operationId: "createIncident",
  summary: "Post an incident on the public status page",
  description:
    "Opens an incident with its first update. It appears on /status, /status.json and the Atom feed at once (the cached copies are purged). A `tag` must be published on the status page (409 otherwise). Admins only.",
  request: { body: { required: true, content: { "application/json": { schema: CreateBody } } } },
  responses: {
    201: jsonContent(IncidentSchema, "Created (Location)"),
    ...apiErrors("conflict"),
  },
});

export const createIncidentHandler: RouteHandler<typeof createIncidentRoute, AppEnv> = async (
  c,
) => {
  const b = c.req.valid("json");
  await checkTag(c, b.tag);
  const db = c.get("db");
  const now = nowIso();
  const actor = c.get("principal")?.userId ?? null;
  const id = uuidv7();
  const unit = requestWrite(c);
  unit.write(
    db.insert(incidents).values({
      id,
      title: b.title,
      status: b.status,
      impact: b.impact,
      component: b.component ?? null,
      tag: b.tag ?? null,
      createdBy: actor,
      resolvedAt: b.status === "resolved" ? now : null,
      createdAt: now,
      updatedAt: now,
    }),
  );
  unit.write(
    db.insert(incidentUpdates).values({
      id: uuidv7(),
      incidentId: id,
      status: b.status,
      message: b.message,
      createdBy: actor,
      createdAt: now,
    }),
  );
  unit.audit({
    action: "incident.created",
    resourceType: "incident",
    resourceId: id,
    summary: {
      title: b.title,
      status: b.status,
      impact: b.impact,
      component: b.component ?? null,
      tag: b.tag ?? null,
    },
  });
  unit.afterCommit(purgeAfter(c));
  await unit.commit();
  c.header("Location", `/api/v2/admin/incidents/${id}`);
  return c.json(await respond(c, id), 201);
};

export const listIncidentsRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "get",
  path: "/admin/incidents",
  operationId: "listIncidents",
  summary: "List incidents, newest first",
  description:
    "Every incident with its timeline, newest first; `status=open` or `resolved` filters. Admins only.",
  request: { query: ListQuery },
  responses: {
    200: jsonContent(listOf(IncidentSchema, "IncidentList"), "A page of incidents"),
    ...apiErrors(),
  },
});

export const listIncidentsHandler: RouteHandler<typeof listIncidentsRoute, AppEnv> = async (c) => {
  const { limit, cursor, status } = c.req.valid("query");
  const sort = `incidents:${status ?? "all"}`;
  const k = cursor ? (decodeCursor(cursor, sort, 2).k as [string, string]) : undefined;
  const page = await listIncidents(c.get("db"), {
    limit,
    ...(status ? { status } : {}),
    ...(k ? { after: { createdAt: k[0], id: k[1] } } : {}),
  });
  const last = page.rows.at(-1);
  return c.json(
    {
      data: await withUpdates(c.get("db"), page.rows),
      next_cursor:
        page.more && last ? encodeCursor({ s: sort, k: [last.createdAt, last.id] }) : null,
    },
    200,
  );
};

export const getIncidentRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "get",
  path: "/admin/incidents/{id}",
  operationId: "getIncident",
  summary: "An incident with its timeline",
  description: "One incident, open or resolved, with every update newest first. Admins only.",
  request: { params: IdParam },
  responses: { 200: jsonContent(IncidentSchema, "The incident"), ...apiErrors("not_found") },
});

export const getIncidentHandler: RouteHandler<typeof getIncidentRoute, AppEnv> = async (c) =>
  c.json(await respond(c, c.req.valid("param").id), 200);

/**
 * Applies a change to an incident atomically: the write (with its timeline entry
 * and audit entry) lands only if the incident is still at the version read, and a
 * concurrent change makes it re-read and try again, so no update is lost.
 */
async function change(
  c: Context<AppEnv>,
  id: string,
  build: (row: IncidentRow) => {
    set: Partial<IncidentRow>;
    entry?: { status: IncidentStatus; message: string };
    action: string;
    summary: Record<string, unknown>;
  },
) {
  const db = c.get("db");
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await findIncident(db, id);
    if (!row) throw new ApiError("not_found", { detail: "No incident with that id" });
    const { set, entry, action, summary } = build(row);
    const now = nowIso();
    const status = entry?.status ?? row.status;
    const unit = requestWrite(c).onlyIf(
      sql`exists (select 1 from ${incidents} where ${incidents.id} = ${id} and ${incidents.version} = ${row.version})`,
    );
    unit.audit({ action, resourceType: "incident", resourceId: id, summary });
    if (entry)
      unit.record(incidentUpdates, [
        {
          id: uuidv7(),
          incidentId: id,
          ...entry,
          createdBy: c.get("principal")?.userId ?? null,
          createdAt: now,
        },
      ]);
    const updated = unit.write(
      db
        .update(incidents)
        .set({
          ...set,
          status,
          resolvedAt: status === "resolved" ? (row.resolvedAt ?? now) : null,
          version: row.version + 1,
          updatedAt: now,
        })
        .where(and(eq(incidents.id, id), eq(incidents.version, row.version)))
        .returning({ id: incidents.id }),
    );
    unit.afterCommit(purgeAfter(c));
    if ((await unit.commit())(updated).length) return respond(c, id);
  }
  throw new ApiError("conflict", { detail: "The incident kept changing; try again" });
}

export const updateIncidentRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "patch",
  path: "/admin/incidents/{id}",
  operationId: "updateIncident",
  summary: "Change an incident's title, impact or what it affects",
  description:
    "Changes the title, impact, component or tag of an incident (status changes are posted as updates, with a message). Admins only.",
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: PatchBody } } },
  },
  responses: {
    200: jsonContent(IncidentSchema, "The changed incident"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const updateIncidentHandler: RouteHandler<typeof updateIncidentRoute, AppEnv> = async (
  c,
) => {
  const b = c.req.valid("json");
  await checkTag(c, b.tag);
  const dto = await change(c, c.req.valid("param").id, (row) => ({
    set: b,
    action: "incident.updated",
    summary: {
      before: Object.fromEntries(Object.keys(b).map((k) => [k, row[k as keyof typeof b]])),
      after: b,
    },
  }));
  return c.json(dto, 200);
};

export const postIncidentUpdateRoute = createRoute({
  tags: ["Admin"],
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  method: "post",
  path: "/admin/incidents/{id}/updates",
  operationId: "postIncidentUpdate",
  summary: "Post an update to an incident (and move its status, e.g. to resolved)",
  description:
    "Adds a message to the incident's timeline and moves it to `status` (unchanged when left out). `resolved` resolves it; a later update with another status reopens it. Admins only.",
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: UpdateBody } } },
  },
  responses: {
    201: jsonContent(IncidentSchema, "The incident with the new update first in its timeline"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const postIncidentUpdateHandler: RouteHandler<
  typeof postIncidentUpdateRoute,
  AppEnv
> = async (c) => {
  const b = c.req.valid("json");
  const dto = await change(c, c.req.valid("param").id, (row) => ({
    set: {},
    entry: { status: b.status ?? row.status, message: b.message },
    action: "incident.update_posted",
    summary: { from: row.status, to: b.status ?? row.status },
  }));
  return c.json(dto, 201);
};
