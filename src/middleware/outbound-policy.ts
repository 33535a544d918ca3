import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { withPolicyEnvironment } from "../outbound/policy-environment.ts";

/**
 * For routes whose body carries a user-supplied outbound URL (health checks,
 * webhooks): runs the validators and the handler with this deployment's
 * `ENVIRONMENT` in scope, so `outboundUrlSchema` applies the right policy.
 * Put it last in the route's `middleware`, before the validators run.
 */
export const outboundPolicy = (): MiddlewareHandler<AppEnv> =>
  async function outboundPolicy(c, next) {
    await withPolicyEnvironment(c.get("config").ENVIRONMENT, next);
  };
