/**
 * Where a request's CPU goes, middleware by middleware (`npm run bench -- --profile
 * breakdown`): the production Worker, plus the global middleware chain of
 * src/app.ts cut after its first k middleware and ended by a constant JSON answer.
 * A request with `x-bench-chain: k` is served by that cut chain; any other by the
 * Worker itself. The CPU difference between k and k−1 is middleware k's cost
 * (its work on the way in and on the way out), and the Worker minus the whole chain
 * is the route's own. The list below mirrors the order in createApp.
 */
import type { MiddlewareHandler } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AppEnv, Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";
import { createRouter } from "../../src/lib/create-router.ts";
import { methodNotAllowedResponse, notFound, onError } from "../../src/lib/on-error.ts";
import { accessLog } from "../../src/middleware/access-log.ts";
import { authenticate } from "../../src/middleware/auth.ts";
import { bodyLimit, MiB } from "../../src/middleware/body-limit.ts";
import { compression } from "../../src/middleware/compression.ts";
import { concurrencyLimit } from "../../src/middleware/concurrency.ts";
import { config } from "../../src/middleware/config.ts";
import { requireJsonBody } from "../../src/middleware/content-type.ts";
import { cors } from "../../src/middleware/cors.ts";
import { d1Session } from "../../src/middleware/d1-session.ts";
import { ipRules } from "../../src/middleware/ip-rules.ts";
import { rateLimit } from "../../src/middleware/rate-limit.ts";
import { requestContext } from "../../src/middleware/request-context.ts";
import { serverTiming } from "../../src/middleware/server-timing.ts";
import { requestTimeout } from "../../src/middleware/timeout.ts";

export { AuditSequencer } from "../../src/audit/sequencer.ts";
export { RateLimiter } from "../../src/rate-limit/durable-object.ts";

type App = ReturnType<typeof createRouter>;
/** The global middleware of createApp, in its order: [name, path or undefined, factory]. */
export const CHAIN: [string, string | undefined, (app: App) => MiddlewareHandler<AppEnv>][] = [
  ["requestContext", undefined, () => requestContext()],
  ["accessLog", undefined, () => accessLog()],
  ["serverTiming", undefined, () => serverTiming()],
  ["config", undefined, () => config()],
  ["d1Session", undefined, () => d1Session()],
  ["cors", undefined, () => cors()],
  ["ipRules", "/api/*", () => ipRules()],
  [
    "methodNotAllowed",
    undefined,
    (app) => methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }),
  ],
  ["bodyLimit", undefined, () => bodyLimit({ maxSize: MiB })],
  ["requireJsonBody", undefined, () => requireJsonBody()],
  ["requestTimeout", undefined, () => requestTimeout()],
  ["compression", undefined, () => compression({ threshold: 1024 })],
  ["authenticate", "/api/*", () => authenticate()],
  ["rateLimit", "/api/*", () => rateLimit()],
  ["concurrencyLimit", "/api/*", () => concurrencyLimit()],
];

const cut = (k: number) => {
  const app = createRouter();
  for (const [, path, make] of CHAIN.slice(0, k)) {
    if (path) app.use(path, make(app));
    else app.use(make(app));
  }
  app.all("*", (c) => c.json({ ok: true }));
  app.onError(onError);
  app.notFound(notFound);
  return app;
};
const chains = CHAIN.map((_, i) => cut(i + 1));
chains.unshift(cut(0));

export default {
  fetch(request, env, ctx) {
    const k = request.headers.get("x-bench-chain");
    if (k === null) return worker.fetch!(request, env, ctx);
    return chains[Number(k)]!.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
