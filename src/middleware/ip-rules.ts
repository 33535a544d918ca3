import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { cidrContains, ipInAny, parseIp } from "../lib/cidr.ts";
import { clientIp } from "../lib/client-ip.ts";
import { ApiError } from "../lib/problem.ts";
import { loadIpRules } from "../services/ip-rules/ip-rules.ts";

const ADMIN_AREA = /^\/api\/v2\/(admin(\/|$)|users(\/|$)|audit-logs(\/|$))/;

/**
 * IP allow/deny lists on `CF-Connecting-IP`: the global deny list (KV, edited by
 * admins at /api/v2/admin/ip-rules) for every API request, and ADMIN_IP_ALLOWLIST for
 * the admin area (/api/v2/admin/*, /api/v2/users*, /api/v2/audit-logs*).
 * Per-key `allowed_cidrs` are checked where keys are authenticated.
 */
export const ipRules = (): MiddlewareHandler<AppEnv> =>
  async function ipRules(c, next) {
    const ip = clientIp(c);
    const parsed = parseIp(ip);
    const { parsed: deny } = await loadIpRules(c.env.CACHE);
    if (parsed && deny.some((cidr) => cidrContains(cidr, parsed))) {
      throw new ApiError("forbidden", { detail: "Requests from your IP address are blocked" });
    }
    const allow = c.get("config").ADMIN_IP_ALLOWLIST;
    if (allow.length && ADMIN_AREA.test(c.req.path) && !ipInAny(ip, allow)) {
      throw new ApiError("forbidden", {
        detail: "The admin area is not reachable from your IP address",
      });
    }
    await next();
  };
