import { methodNotAllowed } from "hono/method-not-allowed";
import { createRouter } from "./lib/create-router.ts";
import { methodNotAllowedResponse, notFound, onError } from "./lib/on-error.ts";
import { type AccessLogOptions, accessLog } from "./middleware/access-log.ts";
import { authenticate } from "./middleware/auth.ts";
import { bodyLimit, MiB } from "./middleware/body-limit.ts";
import { compression } from "./middleware/compression.ts";
import { concurrencyLimit } from "./middleware/concurrency.ts";
import { config } from "./middleware/config.ts";
import { requireJsonBody } from "./middleware/content-type.ts";
import { cors } from "./middleware/cors.ts";
import { d1Session } from "./middleware/d1-session.ts";
import { ipRules } from "./middleware/ip-rules.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestContext } from "./middleware/request-context.ts";
import { serverTiming } from "./middleware/server-timing.ts";
import { requestTimeout } from "./middleware/timeout.ts";
import { adminRouter } from "./routes/admin/index.ts";
import { apiKeysRouter } from "./routes/api-keys/index.ts";
import { auditLogsRouter } from "./routes/audit-logs/index.ts";
import { authRouter } from "./routes/auth/index.ts";
import { mountDocs } from "./routes/docs/index.ts";
import { livenessRouter, readinessRouter } from "./routes/health/index.ts";
import { jobsRouter } from "./routes/jobs/index.ts";
import { metricsRouter } from "./routes/metrics/index.ts";
import { serversRouter } from "./routes/servers/index.ts";
import { statusRouter } from "./routes/status/index.ts";
import { submissionsRouter } from "./routes/submissions/index.ts";
import { usersRouter } from "./routes/users/index.ts";
import { v1Router } from "./routes/v1/servers.ts";
import { webhooksRouter } from "./routes/webhooks/index.ts";

export interface AppOptions {
  accessLog?: AccessLogOptions;
}

/**
 * Builds the whole API. Production (src/index.ts) and tests use this same factory.
 *
 * Middleware order is deliberate:
 * request context (request id, trace; security headers on the way out) → access log
 * (sees every outcome, errors included) → Server-Timing → [/health/live answers here] → config (secrets validated; 500
 * problem if missing) → D1 session (read replicas, bookmark) → CORS →
 * IP deny list / admin allowlist →
 * 405 detection → body limit → content type → time budget → compression →
 * authentication (/api/* only; route guards decide who may call) → routes.
 */
export function createApp(options: AppOptions = {}) {
  const app = createRouter();

  app.use(requestContext());
  app.use(accessLog(options.accessLog));
  app.use(serverTiming());
  // Liveness is routed before configuration is read, so it never depends on it: a
  // missing or bad secret must not make the platform restart a Worker that runs. (A
  // handler registered before a middleware ends the chain ahead of it.) Every other
  // route answers that case with the 500 `misconfigured` problem.
  const live = app.route("/", livenessRouter);
  app.use(config());
  app.use(d1Session());
  app.use(cors());
  // Deny list and admin allowlist guard the API; health probes and docs stay reachable.
  app.use("/api/*", ipRules());
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }));
  // Submission files stream to R2; the route counts them (10 MiB) as they arrive.
  app.use(bodyLimit({ maxSize: MiB, streamed: [["/api/v2/submissions", 11 * MiB]] }));
  app.use(requireJsonBody());
  app.use(requestTimeout());
  app.use(compression({ threshold: 1024 }));

  // Authentication runs for the API only: ops routes and docs stay anonymous.
  app.use("/api/*", authenticate());
  // Global limit by identity (API key > user > IP); routes add stricter policies.
  app.use("/api/*", rateLimit());
  app.use("/api/*", concurrencyLimit());

  const v2 = createRouter()
    .route("/", authRouter)
    .route("/", usersRouter)
    .route("/", apiKeysRouter)
    .route("/", auditLogsRouter)
    .route("/", serversRouter)
    .route("/", adminRouter)
    .route("/", jobsRouter)
    .route("/", webhooksRouter)
    .route("/", submissionsRouter);
  // Chained so the route types flow into AppType for the typed client.
  const routes = live
    .route("/", readinessRouter)
    .route("/", metricsRouter)
    .route("/", statusRouter)
    .route("/api/v2", v2)
    .route("/api/v1", v1Router);
  mountDocs(app);

  app.onError(onError);
  app.notFound(notFound);
  return routes;
}

/** The full route table's type: what `hono/client` needs (see packages/client and scripts/client-schema.ts). */
export type AppType = ReturnType<typeof createApp>;
