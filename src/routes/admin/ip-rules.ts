import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { CIDR_DESCRIPTION, CIDR_PATTERN, ipInAny, parseCidr } from "../../lib/cidr.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { auditOnly } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { loadIpRules, saveIpRules } from "../../services/ip-rules/ip-rules.ts";

const IpRulesSchema = z
  .object({
    deny: z.array(z.string()).openapi({ example: ["203.0.113.0/24", "2001:db8:bad::/48"] }),
    updated_at: z.string().nullable(),
  })
  .openapi("IpRules");

const PutBody = z
  .object({
    deny: z
      .array(
        z
          .string()
          .trim()
          .refine((v) => parseCidr(v) !== null, {
            message: "must be an IPv4 or IPv6 address or CIDR",
          })
          .openapi({ pattern: CIDR_PATTERN, description: CIDR_DESCRIPTION }),
      )
      .max(1000),
  })
  .strict()
  .openapi("PutIpRulesRequest");

export const getIpRulesRoute = createRoute({
  method: "get",
  path: "/admin/ip-rules",
  tags: ["Admin"],
  operationId: "getIpRules",
  summary: "The global IP deny list (admin)",
  description:
    "The global deny list: client networks (CIDR) whose API requests are refused with a 403. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  responses: { 200: jsonContent(IpRulesSchema, "The deny list"), ...apiErrors() },
});

export const getIpRulesHandler: RouteHandler<typeof getIpRulesRoute, AppEnv> = async (c) => {
  const { rules } = await loadIpRules(c.env.CACHE);
  c.header("Cache-Control", "private, no-store");
  return c.json(rules, 200);
};

export const putIpRulesRoute = createRoute({
  method: "put",
  path: "/admin/ip-rules",
  tags: ["Admin"],
  operationId: "putIpRules",
  summary: "Replace the global IP deny list (admin)",
  description:
    "Replaces the global deny list. The instance that answers applies it at once, every other within 90 seconds. A list that would block the caller's own address is refused with a 409, so an admin cannot lock themselves out. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { body: { required: true, content: { "application/json": { schema: PutBody } } } },
  responses: {
    200: jsonContent(IpRulesSchema, "The new deny list"),
    ...apiErrors("conflict"),
  },
});

export const putIpRulesHandler: RouteHandler<typeof putIpRulesRoute, AppEnv> = async (c) => {
  const { deny } = c.req.valid("json");
  // An admin locking themselves out is almost always a mistake.
  if (ipInAny(clientIp(c), deny)) {
    throw new ApiError("conflict", { detail: "This deny list would block your own IP address" });
  }
  const before = (await loadIpRules(c.env.CACHE)).rules;
  const rules = await saveIpRules(c.env.CACHE, [...new Set(deny)]);
  await auditOnly(c, {
    action: "ip_rules.updated",
    resourceType: "ip_rules",
    summary: { before: { deny: before.deny }, after: { deny: rules.deny } },
  });
  return c.json(rules, 200);
};
