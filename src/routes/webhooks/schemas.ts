import { z } from "@hono/zod-openapi";
import {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_DISABLED_REASONS,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_TEST_EVENT,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../../db/schema.ts";
import { HTTP_URL_PATTERN, withFormatPattern } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { outboundUrlSchema } from "../../outbound/url-schema.ts";

const EventTypeSchema = z.enum([...WEBHOOK_EVENT_TYPES, "*"]).openapi({
  description: "An event type, or `*` for every type (including ones added later)",
  example: "server.created",
});

const EventsSchema = z
  .array(EventTypeSchema)
  .min(1, "subscribe to at least one event type (or `*`)")
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .refine((t) => new Set(t).size === t.length, { message: "event types must be unique" })
  .openapi({ uniqueItems: true, example: ["server.created", "server.deleted"] });

// The document states the production rule (https only); development also takes http.
const HTTPS_URL_PATTERN = HTTP_URL_PATTERN.replace("^https?://", "^https://");
const UrlSchema = outboundUrlSchema(
  "webhook",
  "that edgepanel POSTs signed events to",
  "https://hooks.example.com/edgepanel",
).openapi({ pattern: HTTPS_URL_PATTERN });

const DescriptionSchema = z.string().trim().max(256).nullable().openapi({ example: "Deploy bot" });

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.enum(WEBHOOK_DISABLED_REASONS).nullable().openapi({
      description:
        "`manual` (turned off through the API) or `failing` (every delivery failed for 3 days, or 50 in a row)",
    }),
    disabled_at: z.string().nullable(),
    consecutive_failures: z.number().int().openapi({
      description: "Deliveries that ended `failed` since the last success",
    }),
    failing_since: z.string().nullable().openapi({
      description: "The first failed attempt since the last success; null while healthy",
    }),
    previous_secret_expires_at: z.string().nullable().openapi({
      description:
        "While set and in the future, deliveries carry a signature by the previous secret too",
    }),
    owner_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (`whsec_…`). Shown only in this response: store it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookWithSecret");

export const toWebhookDto = (e: WebhookEndpointRow): z.infer<typeof WebhookSchema> => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  enabled: e.enabled,
  disabled_reason: e.disabledReason,
  disabled_at: e.disabledAt,
  consecutive_failures: e.consecutiveFailures,
  failing_since: e.failingSince,
  previous_secret_expires_at: e.previousSecretExpiresAt,
  owner_id: e.ownerId,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
});

export const WebhookListSchema = listOf(WebhookSchema, "WebhookList");

export const CreateWebhookBody = z
  .object({
    url: UrlSchema,
    events: EventsSchema,
    description: DescriptionSchema.optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateWebhookRequest");

export const UpdateWebhookBody = z
  .object({
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    description: DescriptionSchema.optional(),
    enabled: z.boolean().optional().openapi({
      description: "`true` re-enables a disabled endpoint and clears its failure streak",
    }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one field to change" })
  .openapi("UpdateWebhookRequest", { minProperties: 1 });

const uuidParam = (name: string) =>
  withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name, in: "path" },
  });

export const WebhookIdParam = z.object({ id: uuidParam("id") });
export const DeliveryIdParam = z.object({
  id: uuidParam("id"),
  delivery_id: uuidParam("delivery_id"),
});

export const ListWebhooksQuery = PaginationQuery;

export const ListDeliveriesQuery = PaginationQuery.extend({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  event: z.enum([...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT]).optional(),
});

export const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int().nullable(),
    response_body: z.string().nullable().openapi({
      description: "The first 1 KiB of the receiver's response",
    }),
    error: z.string().nullable().openapi({
      description:
        "Null on a 2xx; else `http_<status>`, `timeout` (10 s), `network`, `circuit_open` (skipped after repeated failures), `url_refused` (the outbound URL policy refused the URL; nothing was sent) or `endpoint_disabled`",
    }),
    attempted_at: z.string(),
  })
  .openapi("WebhookAttempt");

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: "Also the `webhook-id` header of every attempt" }),
    event_type: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    redelivery_of: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The body sent" }),
    attempts: z.array(AttemptSchema),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

export const DeliveryListSchema = listOf(DeliverySchema, "WebhookDeliveryList");

export const toAttemptDto = (a: WebhookAttemptRow): z.infer<typeof AttemptSchema> => ({
  attempt: a.attempt,
  status_code: a.statusCode,
  duration_ms: a.durationMs,
  response_body: a.responseBody,
  error: a.error,
  attempted_at: a.attemptedAt,
});

export const toDeliveryDto = (
  d: WebhookDeliveryRow & { payload: Record<string, unknown>; attemptLog: WebhookAttemptRow[] },
): z.infer<typeof DeliverySchema> => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.eventType,
  status: d.status,
  attempt_count: d.attempts,
  next_attempt_at: d.nextAttemptAt,
  last_status_code: d.lastStatusCode,
  redelivery_of: d.redeliveryOf,
  payload: d.payload,
  attempts: d.attemptLog.map(toAttemptDto),
  created_at: d.createdAt,
  updated_at: d.updatedAt,
  finished_at: d.finishedAt,
});

export const QueuedDeliverySchema = z
  .object({
    job_id: z.string(),
    status: z.literal("queued"),
    event_id: z.string(),
    delivery_id: z.string(),
  })
  .openapi("QueuedWebhookDelivery", { description: "Poll the job at the Location header" });
