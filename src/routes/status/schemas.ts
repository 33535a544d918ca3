import { z } from "@hono/zod-openapi";
import { INCIDENT_IMPACTS, INCIDENT_STATUSES, STATUS_COMPONENTS } from "../../db/schema.ts";
import { TagSchema } from "../servers/schemas.ts";

export const StateSchema = z
  .enum(["operational", "degraded", "outage", "unknown"])
  .openapi("ComponentState", {
    description:
      "`operational`: the latest checks pass; `degraded`: slow, or some of the tagged servers fail; `outage`: failing; `unknown`: no recent check.",
  });

export const DaySchema = z
  .object({
    date: z.string().openapi({ example: "2026-11-30", description: "UTC day (YYYY-MM-DD)" }),
    checks: z.number().int(),
    successes: z.number().int(),
    uptime: z
      .number()
      .nullable()
      .openapi({ description: "successes / checks (0–1); null: no checks" }),
    p50_ms: z.number().int().nullable(),
    p95_ms: z.number().int().nullable(),
    state: z.enum(["up", "partial", "outage", "none"]).openapi({
      description:
        "`up`: every check passed; `partial`: uptime ≥ 95 %; `outage`: below 95 %; `none`: no checks that day",
    }),
  })
  .openapi("StatusDay");

export const SubjectSchema = z
  .object({
    id: z.string().openapi({ example: "database", description: "Component name or server tag" }),
    kind: z.enum(["component", "tag"]),
    name: z.string().openapi({ example: "Database" }),
    state: StateSchema,
    uptime_90d: z.number().nullable().openapi({ description: "0–1; null without checks" }),
    uptime_30d: z.number().nullable(),
    latency: z
      .object({
        date: z.string(),
        p50_ms: z.number().int().nullable(),
        p95_ms: z.number().int().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "Probe latency on the most recent complete day with measurements (today's when there is none yet)",
      }),
    days: z.array(DaySchema).openapi({ description: "90 entries, oldest first" }),
  })
  .openapi("StatusSubject");

export const IncidentUpdateSchema = z
  .object({
    id: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    message: z.string(),
    created_at: z.string(),
  })
  .openapi("IncidentUpdate");

export const IncidentSchema = z
  .object({
    id: z.string(),
    source: z.enum(["manual", "alert"]).openapi({
      description: "`manual`: posted by an admin; `alert`: an open anomaly alert",
    }),
    title: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    impact: z.enum(INCIDENT_IMPACTS),
    component: z.enum(STATUS_COMPONENTS).nullable(),
    tag: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    resolved_at: z.string().nullable(),
    updates: z.array(IncidentUpdateSchema).openapi({ description: "Newest first" }),
  })
  .openapi("Incident");

export type IncidentDto = z.infer<typeof IncidentSchema>;

export const StatusSchema = z
  .object({
    generated_at: z.string(),
    state: StateSchema.openapi({ description: "The worst state among the components and tags" }),
    components: z.array(SubjectSchema),
    tags: z.array(SubjectSchema).openapi({ description: "Server tags published by an admin" }),
    incidents: z.object({
      active: z.array(IncidentSchema),
      recent: z
        .array(IncidentSchema)
        .openapi({ description: "Resolved in the last 90 days, newest first (up to 20)" }),
    }),
  })
  .openapi("Status");

export type StatusDto = z.infer<typeof StatusSchema>;
export type SubjectDto = z.infer<typeof SubjectSchema>;
export type DayDto = z.infer<typeof DaySchema>;

export { TagSchema };
