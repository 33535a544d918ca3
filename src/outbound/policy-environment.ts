import { AsyncLocalStorage } from "node:async_hooks";
import type { Environment } from "./url-policy.ts";

/**
 * Which environment's outbound URL policy applies to the code running now.
 *
 * Request validation is a zod schema, and zod cannot be handed the request, yet the
 * policy differs by environment (development may reach loopback). The
 * `outboundPolicy()` middleware runs the rest of its route inside this scope, so the
 * schema can ask. Outside any scope the answer is the strictest, "production": a
 * route that forgets the middleware refuses more, never less.
 *
 * Module state is one AsyncLocalStorage: it holds no data itself, each request's
 * value lives in that request's async context only.
 */
const scope = new AsyncLocalStorage<Environment>();

/** Runs `fn` with `environment`'s outbound URL policy in force. */
export const withPolicyEnvironment = <T>(environment: Environment, fn: () => T): T =>
  scope.run(environment, fn);

/** The environment whose policy applies here; "production" outside a scope. */
export const policyEnvironment = (): Environment => scope.getStore() ?? "production";
