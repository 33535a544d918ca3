import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * Timestamps are RFC 3339 UTC strings with milliseconds (`toISOString()`): they
 * sort lexically, read well in raw SQL and need no conversion on the way out.
 */
const timestamps = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
};

export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Normalised (trimmed, lower-cased) so uniqueness is case-insensitive. */
    email: text("email").notNull().unique(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull().default("viewer"),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null for OAuth-only users. */
    passwordHash: text("password_hash"),
    emailVerifiedAt: text("email_verified_at"),
    /** Set when an admin deactivates the user; their tokens and keys stop working. */
    disabledAt: text("disabled_at"),
    ...timestamps,
  },
  (t) => [
    check("users_role_check", sql`${t.role} in ('admin', 'operator', 'viewer')`),
    index("users_role_idx").on(t.role, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Every token minted by rotation from one login shares a family; reuse revokes it whole. */
    familyId: text("family_id").notNull(),
    /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: text("expires_at").notNull(),
    createdAt: text("created_at").notNull(),
    /** Set when this token was exchanged for a new one; presenting it again is theft. */
    rotatedAt: text("rotated_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [
    index("refresh_tokens_family_idx").on(t.familyId),
    index("refresh_tokens_user_idx").on(t.userId),
    index("refresh_tokens_expires_idx").on(t.expiresAt),
  ],
);

export const SCOPES = ["servers:read", "servers:write", "webhooks:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first 12 characters (`ep_live_` + 4), shown in lists so users can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 (hex) of the whole key. */
    keyHash: text("key_hash").notNull().unique(),
    scopes: text("scopes", { mode: "json" }).$type<Scope[]>().notNull(),
    expiresAt: text("expires_at"),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    allowedCidrs: text("allowed_cidrs", { mode: "json" }).$type<string[]>(),
    maxConcurrency: integer("max_concurrency"),
    requireSignature: integer("require_signature", { mode: "boolean" }).notNull().default(false),
    /** HMAC key for request signing, AES-256-GCM encrypted (see lib/crypto.ts). */
    signingSecretEnc: text("signing_secret_enc"),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
    /** Set on the old key by a rotation: the key that replaced it. */
    replacedBy: text("replaced_by"),
    ...timestamps,
  },
  (t) => [
    index("api_keys_owner_idx").on(t.ownerId, t.id),
    index("api_keys_expires_idx").on(t.expiresAt),
  ],
);

export const OAUTH_PROVIDERS = ["google", "github"] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

export const oauthAccounts = sqliteTable(
  "oauth_accounts",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: OAUTH_PROVIDERS }).notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    email: text("email").notNull(),
    /** Provider tokens, AES-256-GCM encrypted with a key id (lib/crypto.ts). */
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("oauth_accounts_provider_account_idx").on(t.provider, t.providerAccountId),
    index("oauth_accounts_user_idx").on(t.userId),
  ],
);

export const auditLogs = sqliteTable(
  "audit_logs",
  {
    /**
     * Position in the chain, assigned by SQLite inside the writing transaction
     * (AUTOINCREMENT: never reused, even after the newest rows are archived), so
     * seq order is commit order and concurrent writers never conflict.
     */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    createdAt: text("created_at").notNull(),
    actorType: text("actor_type", { enum: ["user", "api_key", "system", "anonymous"] }).notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id"),
    /** Before/after summary without secrets. */
    summary: text("summary", { mode: "json" }).$type<Record<string, unknown>>(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    /**
     * SHA-256 of the previous row's `hash` ("0"×64 for the first row ever). Null
     * until the sequencer seals the row (services/audit/seal.ts).
     */
    prevHash: text("prev_hash"),
    /** SHA-256 over this row's content and `prev_hash`; null while unsealed. */
    hash: text("hash"),
  },
  (t) => [
    index("audit_logs_created_idx").on(t.createdAt, t.seq),
    index("audit_logs_actor_idx").on(t.actorId, t.seq),
    index("audit_logs_action_idx").on(t.action, t.seq),
    index("audit_logs_resource_idx").on(t.resourceType, t.resourceId, t.seq),
    // The sequencer's work list and the sealing-lag probe: only unsealed rows.
    index("audit_logs_unsealed_idx").on(t.seq).where(sql`${t.hash} is null`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditLogRow = typeof auditLogs.$inferSelect;

export const ENVIRONMENTS = ["production", "staging", "development"] as const;
export type ServerEnvironment = (typeof ENVIRONMENTS)[number];
export const SERVER_STATUSES = ["unknown", "up", "degraded", "down"] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export const servers = sqliteTable(
  "servers",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    environment: text("environment", { enum: ENVIRONMENTS }).notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: SERVER_STATUSES }).notNull().default("unknown"),
    healthCheckUrl: text("health_check_url"),
    lastCheckedAt: text("last_checked_at"),
    /** Write-only credentials, AES-256-GCM encrypted with a key id (lib/crypto.ts). */
    credentialsEnc: text("credentials_enc"),
    /** Bumped by every write: optimistic concurrency and the ETag. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    // Unique name per owner, case-insensitively.
    uniqueIndex("servers_owner_name_unique").on(t.ownerId, sql`lower(${t.name})`),
    // Keyset pagination: one index per (scope, sort); filters are checked on the range.
    index("servers_owner_name_idx").on(t.ownerId, t.name, t.id),
    index("servers_owner_created_idx").on(t.ownerId, t.createdAt, t.id),
    index("servers_name_idx").on(t.name, t.id),
    index("servers_created_idx").on(t.createdAt, t.id),
    index("servers_health_idx").on(t.healthCheckUrl),
    check("servers_port_check", sql`${t.port} between 1 and 65535`),
    check(
      "servers_environment_check",
      sql`${t.environment} in ('production', 'staging', 'development')`,
    ),
    check("servers_status_check", sql`${t.status} in ('unknown', 'up', 'degraded', 'down')`),
  ],
);

/**
 * Idempotency-Key records. Claimed with a single INSERT on the primary key, which
 * is atomic in D1 and libSQL — KV cannot tell two concurrent first requests apart.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    /** `<principal>:<method> <path>:<Idempotency-Key>` */
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    /**
     * `running` while the first request is in flight; `committed` once its
     * mutation committed (set inside the mutation's own batch); `done` when its
     * response is stored for replay.
     */
    state: text("state", { enum: ["running", "committed", "done"] }).notNull(),
    status: integer("status"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>(),
    body: text("body"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [index("idempotency_keys_expires_idx").on(t.expiresAt)],
);

export type ServerRow = typeof servers.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "dead"] as const;

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    /** The user who caused the job (null for cron and system jobs); they may read it. */
    ownerId: text("owner_id"),
    /** Deliveries started so far (a retry increments it). */
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /**
     * The message's payload, kept so that a job committed with its mutation but
     * never sent (the queue send failed after commit) can be re-sent by the sweep.
     */
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    traceparent: text("traceparent"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
  },
  (t) => [
    index("jobs_owner_idx").on(t.ownerId, t.id),
    index("jobs_status_finished_idx").on(t.status, t.finishedAt),
    // The unsent-job sweep: queued jobs by age.
    index("jobs_status_created_idx").on(t.status, t.createdAt),
  ],
);

export const CHECK_STATUSES = ["up", "degraded", "down"] as const;

export const serverChecks = sqliteTable(
  "server_checks",
  {
    id: text("id").primaryKey(),
    serverId: text("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    /** The probe job that made this check: unique, so a redelivered job cannot record twice. */
    jobId: text("job_id").unique(),
    status: text("status", { enum: CHECK_STATUSES }).notNull(),
    httpStatus: integer("http_status"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    checkedAt: text("checked_at").notNull(),
  },
  (t) => [
    index("server_checks_server_idx").on(t.serverId, t.checkedAt, t.id),
    // The status page's daily roll-up reads one day of checks across all servers.
    index("server_checks_checked_idx").on(t.checkedAt),
  ],
);

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    /** (job, recipient) is unique: a redelivered e-mail job cannot send twice. */
    jobId: text("job_id").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("email_outbox_job_recipient_idx").on(t.jobId, t.recipient),
    index("email_outbox_created_idx").on(t.createdAt),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type ServerCheckRow = typeof serverChecks.$inferSelect;

/**
 * Events a webhook endpoint can subscribe to (SPEC §9). `webhook.test` is not
 * among them: it is sent to one endpoint on request and cannot be subscribed to.
 */
export const WEBHOOK_EVENT_TYPES = [
  "server.created",
  "server.updated",
  "server.deleted",
  "server.status_changed",
  "backup.completed",
  "backup.failed",
  "submission.created",
  "alert.raised",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_TEST_EVENT = "webhook.test";
/** Why an endpoint is disabled: by its owner, or by edgepanel after it kept failing. */
export const WEBHOOK_DISABLED_REASONS = ["manual", "failing"] as const;

export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** Subscribed event types, or `["*"]` for every type. */
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    disabledReason: text("disabled_reason", { enum: WEBHOOK_DISABLED_REASONS }),
    disabledAt: text("disabled_at"),
    /** The `whsec_…` signing secret, AES-256-GCM encrypted (lib/crypto.ts). */
    secretEnc: text("secret_enc").notNull(),
    /** The secret before the last rotation: it signs too until `previous_secret_expires_at`. */
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    /** Deliveries that ended `failed` since the last success (auto-disable at a threshold). */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** The first failed attempt since the last success; null while the endpoint is healthy. */
    failingSince: text("failing_since"),
    /** Bumped by every write: optimistic concurrency and the ETag. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index("webhook_endpoints_owner_idx").on(t.ownerId, t.id),
    index("webhook_endpoints_enabled_idx").on(t.enabled, t.ownerId),
  ],
);

/**
 * One row per event, written in the same batch as the change that caused it. `body`
 * is the exact JSON every delivery sends (signatures cover these bytes).
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    /** Whose resource the event is about; null for system events (admins' endpoints only). */
    ownerId: text("owner_id"),
    body: text("body").notNull(),
    /** The trace of the request (or job) that caused the event, sent as `traceparent`. */
    traceparent: text("traceparent"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_events_created_idx").on(t.createdAt)],
);

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One event to one endpoint (a redelivery is a new row pointing at the original). */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    /** Attempts made so far. */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    redeliveryOf: text("redelivery_of"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    finishedAt: text("finished_at"),
  },
  (t) => [
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_endpoint_status_idx").on(t.endpointId, t.status, t.id),
    index("webhook_deliveries_endpoint_type_idx").on(t.endpointId, t.eventType, t.id),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

/** Every HTTP attempt of a delivery; (delivery, attempt) is unique, so an attempt is recorded once. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms"),
    /** The first 1 KiB of the receiver's response body. */
    responseBody: text("response_body"),
    /** Why no 2xx: `timeout`, `network`, `circuit_open`, `url_refused`, `http_<status>`… */
    error: text("error"),
    attemptedAt: text("attempted_at").notNull(),
  },
  (t) => [uniqueIndex("webhook_attempts_delivery_attempt_idx").on(t.deliveryId, t.attempt)],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

/**
 * Public form submissions. `submissions_fts` (an FTS5 table over name, email and
 * message, kept in sync by triggers) is created in the migration: drizzle has no
 * virtual tables. The file, when there is one, lives in the FILES bucket under
 * `file_key`; the name is the sanitised original, never part of the key.
 */
export const submissions = sqliteTable(
  "submissions",
  {
    /**
     * The FTS index's rowid (an alias of SQLite's rowid, so VACUUM cannot renumber it
     * under the index, as it may an implicit rowid).
     */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    message: text("message").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    fileKey: text("file_key"),
    fileName: text("file_name"),
    /** Decided from the file's first bytes, never from the client's header or name. */
    fileType: text("file_type"),
    fileSize: integer("file_size"),
    fileSha256: text("file_sha256"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("submissions_created_idx").on(t.createdAt, t.id)],
);

export type SubmissionRow = typeof submissions.$inferSelect;

export const BACKUP_STATUSES = ["running", "succeeded", "failed"] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];
export const BACKUP_TRIGGERS = ["manual", "scheduled"] as const;
export const VERIFY_STATUSES = ["passed", "failed"] as const;

/**
 * One backup of the database to the BACKUPS bucket (`backups/{id}/…`). The objects
 * and `manifest.json` are the backup; this row is the index the API lists and the
 * retention and drill jobs read. `progress` is the running job's checkpoint: a
 * continuation job (or a redelivery after a crash) resumes from it.
 */
export const backups = sqliteTable(
  "backups",
  {
    id: text("id").primaryKey(),
    status: text("status", { enum: BACKUP_STATUSES }).notNull(),
    trigger: text("trigger", { enum: BACKUP_TRIGGERS }).notNull(),
    /** The user who asked for it; null for the nightly cron. */
    requestedBy: text("requested_by"),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    /** Bytes stored in R2 (every object, manifest included). */
    sizeBytes: integer("size_bytes"),
    /** Rows per table, as in the manifest. */
    rowCounts: text("row_counts", { mode: "json" }).$type<Record<string, number>>(),
    schemaVersion: text("schema_version"),
    /** The D1 bookmark the snapshot was read at (null outside D1). */
    bookmark: text("bookmark"),
    /** Id of the key the objects are encrypted with; null when stored in the clear. */
    keyId: text("key_id"),
    error: text("error"),
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>(),
    verifyStatus: text("verify_status", { enum: VERIFY_STATUSES }),
    verifiedAt: text("verified_at"),
    verifyError: text("verify_error"),
  },
  (t) => [index("backups_started_idx").on(t.startedAt, t.id)],
);

export type BackupRow = typeof backups.$inferSelect;

export const DRILL_STATUSES = ["running", "passed", "failed"] as const;

/**
 * Restore drills: the newest backup restored into the scratch database
 * (`RESTORE_DRILL`) and checked. RTO is measured; RPO is the age of the newest
 * verified backup when the drill ran.
 */
export const backupDrills = sqliteTable(
  "backup_drills",
  {
    id: text("id").primaryKey(),
    backupId: text("backup_id"),
    status: text("status", { enum: DRILL_STATUSES }).notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    /** Seconds from the drill's start until the restored copy was verified. */
    rtoSeconds: real("rto_seconds"),
    /** Age in seconds of the newest verified backup's snapshot when the drill started. */
    rpoSeconds: integer("rpo_seconds"),
    rowCounts: text("row_counts", { mode: "json" }).$type<Record<string, number>>(),
    error: text("error"),
  },
  (t) => [index("backup_drills_started_idx").on(t.startedAt, t.id)],
);

export type BackupDrillRow = typeof backupDrills.$inferSelect;

/**
 * Audit-log segments moved to R2 (`audit/{yyyy}/{mm}/{from}-{to}.ndjson.gz`). The
 * newest archive's `lastHash` anchors the chain of the rows still in D1.
 */
export const auditArchives = sqliteTable(
  "audit_archives",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull().unique(),
    fromSeq: integer("from_seq").notNull(),
    toSeq: integer("to_seq").notNull(),
    fromCreatedAt: text("from_created_at").notNull(),
    toCreatedAt: text("to_created_at").notNull(),
    rows: integer("rows").notNull(),
    /** prev_hash of the first archived row: the previous archive's lastHash, or genesis. */
    prevHash: text("prev_hash").notNull(),
    firstHash: text("first_hash").notNull(),
    lastHash: text("last_hash").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(),
    keyId: text("key_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("audit_archives_to_seq_idx").on(t.toSeq)],
);

export type AuditArchiveRow = typeof auditArchives.$inferSelect;

/** The platform's own parts, shown on the public status page and probed by the cron. */
export const STATUS_COMPONENTS = ["api", "database", "cache", "storage", "queue"] as const;
export type StatusComponent = (typeof STATUS_COMPONENTS)[number];

/** One probe of a platform component by the `*\/5` cron (the raw history of the status page). */
export const componentChecks = sqliteTable(
  "component_checks",
  {
    id: text("id").primaryKey(),
    component: text("component", { enum: STATUS_COMPONENTS }).notNull(),
    status: text("status", { enum: CHECK_STATUSES }).notNull(),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    checkedAt: text("checked_at").notNull(),
  },
  (t) => [
    index("component_checks_component_idx").on(t.component, t.checkedAt),
    index("component_checks_checked_idx").on(t.checkedAt),
  ],
);

export const PROBE_SUBJECTS = ["component", "server", "tag"] as const;
export type ProbeSubject = (typeof PROBE_SUBJECTS)[number];

/**
 * Daily roll-up of probe history (UTC days), kept by the cron: the status page's
 * 90-day bars read these rows, never the raw checks. A day is recomputed whole from
 * the raw checks, so re-running the roll-up for a day gives the same row.
 */
export const probeDaily = sqliteTable(
  "probe_daily",
  {
    kind: text("kind", { enum: PROBE_SUBJECTS }).notNull(),
    /** Component name, server id or tag. */
    subject: text("subject").notNull(),
    /** `YYYY-MM-DD` (UTC). */
    day: text("day").notNull(),
    checks: integer("checks").notNull(),
    /** Checks that found the subject serving (`up` or `degraded`). */
    successes: integer("successes").notNull(),
    degraded: integer("degraded").notNull(),
    /** Nearest-rank percentiles of the day's measured latencies; null when none was measured. */
    p50Ms: integer("p50_ms"),
    p95Ms: integer("p95_ms"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.subject, t.day] }),
    index("probe_daily_day_idx").on(t.day),
  ],
);

/** Server tags an admin published on the public status page. */
export const statusPageTags = sqliteTable("status_page_tags", {
  tag: text("tag").primaryKey(),
  /** What the page calls the group (defaults to the tag). */
  displayName: text("display_name").notNull(),
  publishedBy: text("published_by"),
  ...timestamps,
});

export const INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const INCIDENT_IMPACTS = ["none", "minor", "major", "critical"] as const;
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];

/** Incidents posted by admins on the public status page. */
export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull(),
    impact: text("impact", { enum: INCIDENT_IMPACTS }).notNull(),
    /** The affected component or published tag; both null: the service as a whole. */
    component: text("component", { enum: STATUS_COMPONENTS }),
    tag: text("tag"),
    createdBy: text("created_by"),
    resolvedAt: text("resolved_at"),
    /** Bumped by every change: the ETag. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index("incidents_created_idx").on(t.createdAt, t.id),
    index("incidents_status_idx").on(t.status, t.createdAt),
    check(
      "incidents_status_check",
      sql`${t.status} in ('investigating', 'identified', 'monitoring', 'resolved')`,
    ),
    check("incidents_impact_check", sql`${t.impact} in ('none', 'minor', 'major', 'critical')`),
  ],
);

/** An incident's timeline: each update states the status it moved the incident to. */
export const incidentUpdates = sqliteTable(
  "incident_updates",
  {
    id: text("id").primaryKey(),
    incidentId: text("incident_id")
      .notNull()
      .references(() => incidents.id, { onDelete: "cascade" }),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull(),
    message: text("message").notNull(),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("incident_updates_incident_idx").on(t.incidentId, t.createdAt, t.id)],
);

export type IncidentRow = typeof incidents.$inferSelect;
export type IncidentUpdateRow = typeof incidentUpdates.$inferSelect;
export const ALERT_METRICS = ["requests", "errors_4xx", "errors_5xx"] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export const ALERT_STATUSES = ["open", "cleared"] as const;

/**
 * Anomaly alerts raised by the METRICS Durable Object: one row per episode (a
 * metric's per-minute rate far from its usual level), open until the rate has been
 * calm for a few minutes. At most one open alert per metric.
 */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    metric: text("metric", { enum: ALERT_METRICS }).notNull(),
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("open"),
    /** The per-minute count that raised the alert, the EWMA mean it was compared with, and its z-score. */
    value: real("value").notNull(),
    mean: real("mean").notNull(),
    zScore: real("z_score").notNull(),
    threshold: real("threshold").notNull(),
    message: text("message").notNull(),
    raisedAt: text("raised_at").notNull(),
    clearedAt: text("cleared_at"),
  },
  (t) => [
    check("alerts_metric_check", sql`${t.metric} in ('requests', 'errors_4xx', 'errors_5xx')`),
    check("alerts_status_check", sql`${t.status} in ('open', 'cleared')`),
    // The list is newest first, optionally by status; ids are time-ordered UUIDv7s.
    index("alerts_status_idx").on(t.status, t.id),
    // One open episode per metric: a second raise for the same metric is refused by the database.
    uniqueIndex("alerts_open_metric_idx").on(t.metric).where(sql`${t.status} = 'open'`),
  ],
);

export type AlertRow = typeof alerts.$inferSelect;
