import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { securityFor } from "../../middleware/auth.ts";

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/**
 * The OpenAPI 3.1 document generated from the route definitions, with a top-level
 * `security`: what any authenticated route takes, a bearer token (access token or
 * API key) or an `X-API-Key`. Bearer comes first, so documentation tools (Scalar's
 * Authentication panel) preselect it. A top-level requirement applies to every
 * operation that states none, so the operations whose routes declare no
 * `security` — the public ones: health, register, login, refresh, logout, OAuth —
 * get an explicit `security: []` and stay documented as open.
 */
export function buildOpenApiDocument(app: OpenAPIHono<AppEnv>, c: Context<AppEnv>): Document {
  // Typed as OpenAPI 3.0's Info by zod-openapi, which lacks 3.1's `license.identifier`.
  const info = {
    title: "edgepanel API",
    version: "2.0.0",
    description:
      "Server-management panel API on Cloudflare Workers. Errors are RFC 9457 problem documents (application/problem+json). " +
      "A query parameter an operation does not declare is refused with a 400 `unknown_query_parameter` problem. " +
      "String lengths (minLength, maxLength) count UTF-16 code units, as JavaScript does: a character outside the Basic Multilingual Plane (most emoji) counts as two.",
    license: { name: "MIT", identifier: "MIT" },
  };
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info,
    servers: [{ url: new URL(c.req.url).origin, description: "This deployment" }],
    // Declared once here, in the order documentation tools list them (the first
    // group is the one Scalar opens).
    tags: [
      {
        name: "Operations",
        description: "Liveness and readiness probes for load balancers and monitors",
      },
      {
        name: "Auth",
        description: "Accounts, sign-in with a password or Google/GitHub, and tokens",
      },
      {
        name: "Servers",
        description: "The server inventory, its health checks and on-demand probes",
      },
      {
        name: "API keys",
        description: "Keys for scripts and services: scopes, limits, signing and rotation",
      },
      {
        name: "Webhooks",
        description:
          "Signed event deliveries to your endpoints: subscriptions, secrets, the delivery log",
      },
      {
        name: "Jobs",
        description: "Background work started by a request, to poll until it is done",
      },
      {
        name: "Submissions",
        description: "The public form (Turnstile, file uploads), search and CSV exports",
      },
      { name: "Users", description: "Accounts, roles and deactivation (admins)" },
      { name: "Audit", description: "The tamper-evident record of every write (admins)" },
      { name: "Admin", description: "The IP deny list and the response cache (admins)" },
      {
        name: "Backups",
        description: "Encrypted backups to R2, their verification and restore drills (admins)",
      },
      {
        name: "Servers (v1, deprecated)",
        description: "The previous servers API, kept until its sunset date: use Servers",
      },
    ],
    security: securityFor(),
  });
  for (const item of Object.values(doc.paths ?? {}))
    for (const method of METHODS) {
      const op = item?.[method];
      if (op && !op.security) op.security = [];
    }
  return doc;
}
