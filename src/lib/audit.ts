import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import type { AuditEntry } from "../services/audit/audit-log.ts";
import { clientIp } from "./client-ip.ts";

export type RouteAudit = Omit<AuditEntry, "actorType" | "ip" | "userAgent" | "requestId"> &
  Partial<Pick<AuditEntry, "actorType">>;

/**
 * The audit entry for a route's mutation: fills actor, IP, user agent and request
 * id from the request. Routes add it to their mutation (`unit.audit(...)`), so it
 * commits in the same batch as the change it records.
 */
export function auditEntry(c: Context<AppEnv>, entry: RouteAudit): AuditEntry {
  const p = c.get("principal");
  return {
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
  };
}
