import { createApp } from "./app.ts";
import type { Bindings } from "./env.ts";

export { RateLimiter } from "./rate-limit/durable-object.ts";

// Built once per isolate: routing tables and middleware are immutable after setup.
const app = createApp();

// Wrangler needs the default export to be the Worker's handlers.
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Bindings>;
