import { createApp } from "./app.ts";
import { runScheduled } from "./cron/index.ts";
import type { Bindings } from "./env.ts";
import { handleQueue } from "./queues/consumer.ts";

export { AuditSequencer } from "./audit/sequencer.ts";
export { LiveHub } from "./live/hub.ts";
export { MetricsStore } from "./metrics/durable-object.ts";
export { RateLimiter } from "./rate-limit/durable-object.ts";

// Built once per isolate: routing tables and middleware are immutable after setup.
const app = createApp();

// Wrangler needs the default export to be the Worker's handlers.
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueue(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Bindings>;
