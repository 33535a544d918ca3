import { createApp } from "./app.ts";
import { runScheduled } from "./cron/index.ts";
import type { Bindings } from "./env.ts";
import { handleQueue } from "./queues/consumer.ts";

export { RateLimiter } from "./rate-limit/durable-object.ts";

// Built once per isolate: routing tables and middleware are immutable after setup.
const app = createApp();

// Wrangler needs the default export to be the Worker's handlers.
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env) => runScheduled(controller, env),
} satisfies ExportedHandler<Bindings>;
