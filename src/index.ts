import { withSentry } from "@sentry/cloudflare";
import { createApp } from "./app.ts";
import { AuditSequencer as AuditSequencerObject } from "./audit/sequencer.ts";
import { runScheduled } from "./cron/index.ts";
import type { Bindings } from "./env.ts";
import { MetricsStore as MetricsStoreObject } from "./metrics/durable-object.ts";
import { sentryEnabled, sentryOptions, withSentryObject } from "./observability/sentry.ts";
import { handleQueue } from "./queues/consumer.ts";
import { RateLimiter as RateLimiterObject } from "./rate-limit/durable-object.ts";

// Durable Objects report to Sentry when SENTRY_DSN is set (decided per object, at construction).
export const AuditSequencer = withSentryObject(AuditSequencerObject);
export const MetricsStore = withSentryObject(MetricsStoreObject);
export const RateLimiter = withSentryObject(RateLimiterObject);

// Built once per isolate: routing tables and middleware are immutable after setup.
const app = createApp();

const handlers = {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueue(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Bindings>;

// The same handlers under Sentry, used only when SENTRY_DSN is set: without it a
// request pays nothing for error reporting.
const reported = withSentry((env: Bindings) => sentryOptions(env), { ...handlers });

// Wrangler needs the default export to be the Worker's handlers.
export default {
  fetch: (request, env, ctx) =>
    sentryEnabled(env) ? reported.fetch(request, env, ctx) : handlers.fetch(request, env, ctx),
  queue: (batch, env, ctx) =>
    sentryEnabled(env) ? reported.queue(batch, env, ctx) : handlers.queue(batch, env, ctx),
  scheduled: (controller, env, ctx) =>
    sentryEnabled(env)
      ? reported.scheduled(controller, env, ctx)
      : handlers.scheduled(controller, env, ctx),
} satisfies ExportedHandler<Bindings>;
