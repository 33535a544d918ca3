import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { type AuditEntry, appendAudit } from "../services/audit/audit-log.ts";
import { clientIp } from "./client-ip.ts";

type RouteAudit = Omit<AuditEntry, "actorType" | "ip" | "userAgent" | "requestId"> &
  Partial<Pick<AuditEntry, "actorType">>;

/**
 * The single helper every mutating route calls: fills actor, IP, user agent and
 * request id from the request, then appends to the hash-chained audit log.
 * Awaited (not waitUntil): a mutation without its audit row must not look successful.
 */
export function audit(c: Context<AppEnv>, entry: RouteAudit) {
  const p = c.get("principal");
  return appendAudit(c.get("db"), {
    actorType: entry.actorType ?? (p ? (p.kind === "api_key" ? "api_key" : "user") : "anonymous"),
    actorId:
      entry.actorId !== undefined
        ? entry.actorId
        : p
          ? p.kind === "api_key"
            ? p.keyId
            : p.userId
          : null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    summary: entry.summary ?? null,
    ip: clientIp(c),
    userAgent: c.req.header("user-agent") ?? null,
    requestId: c.get("requestId"),
  });
}
