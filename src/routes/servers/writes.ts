import type { Context } from "hono";
import { isUniqueViolation } from "../../db/errors.ts";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { type RequestWrite, requestWrite } from "../../lib/mutate.ts";
import { publishServerChange } from "../../live/server-events.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import { belowServerQuota } from "../../services/servers/quota.ts";
import {
  auditView,
  deleteServerIfAt,
  insertServerIf,
  newServerRow,
  patchColumns,
  type ServerInput,
  type ServerPatch,
  serverStillAt,
  updateServerIfAt,
} from "../../services/servers/servers.ts";
import { emitEvent } from "../../services/webhooks/events.ts";
import { loadServer } from "./access.ts";
import { nameTaken, staleWrite } from "./errors.ts";
import { quotaExceeded } from "./quota.ts";
import { toServerDto } from "./schemas.ts";

/** Commits; a name the owner already uses aborts the whole batch and is a 409. */
async function commitNamed(unit: RequestWrite) {
  try {
    return await unit.commit();
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken();
    throw error;
  }
}

/**
 * The write paths every API version shares (v1 and v2 are thin adapters). Each
 * is one batch — the row, its audit entry — then cache invalidation after
 * commit. `api` tags audit rows of legacy calls.
 */
export async function createFor(c: Context<AppEnv>, input: ServerInput, api?: "v1") {
  const ownerId = requirePrincipal(c).userId;
  const row = await newServerRow(await keyringFor(c.get("config")), ownerId, input);
  // The owner's server quota is the batch's condition: exact under concurrency.
  const limit = c.get("config").MAX_SERVERS_PER_OWNER;
  const unit = requestWrite(c).onlyIf(belowServerQuota(ownerId, limit));
  unit.audit({
    action: "server.created",
    resourceType: "server",
    resourceId: row.id,
    summary: { after: auditView(row), ...(api ? { api } : {}) },
  });
  emitEvent(unit, "server.created", toServerDto(row), { ownerId });
  const inserted = unit.write(insertServerIf(unit.db, row, unit.precondition));
  unit.afterCommit(() => invalidateServer(c.env, row.ownerId, row.id));
  if (!(await commitNamed(unit))(inserted).length) throw quotaExceeded(limit);
  c.executionCtx.waitUntil(publishServerChange(c.env, "created", row));
  c.header("ETag", resourceEtag(row.id, row.version));
  return row;
}

export async function updateFor(c: Context<AppEnv>, id: string, patch: ServerPatch, api?: "v1") {
  const current = await loadServer(c, id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const set = await patchColumns(await keyringFor(c.get("config")), current, patch);
  const unit = requestWrite(c).onlyIf(serverStillAt(current.id, expected));
  unit.audit({
    action: "server.updated",
    resourceType: "server",
    resourceId: current.id,
    // The condition pins the row to `current` (every write bumps the version),
    // so `current` + `set` is exactly what the UPDATE produces.
    summary: {
      before: auditView(current),
      after: auditView({ ...current, ...set }),
      ...(api ? { api } : {}),
    },
  });
  emitEvent(unit, "server.updated", toServerDto({ ...current, ...set }), {
    ownerId: current.ownerId,
  });
  const updated = unit.write(updateServerIfAt(unit.db, current.id, expected, set));
  unit.afterCommit(() => invalidateServer(c.env, current.ownerId, current.id));
  const [row] = (await commitNamed(unit))(updated);
  if (!row) throw staleWrite();
  c.executionCtx.waitUntil(publishServerChange(c.env, "updated", row));
  c.header("ETag", resourceEtag(row.id, row.version));
  return row;
}

export async function deleteFor(c: Context<AppEnv>, id: string, api?: "v1") {
  const current = await loadServer(c, id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const unit = requestWrite(c).onlyIf(serverStillAt(current.id, expected));
  unit.audit({
    action: "server.deleted",
    resourceType: "server",
    resourceId: current.id,
    summary: { before: auditView(current), ...(api ? { api } : {}) },
  });
  emitEvent(unit, "server.deleted", toServerDto(current), { ownerId: current.ownerId });
  const deleted = unit.write(deleteServerIfAt(unit.db, current.id, expected));
  unit.afterCommit(() => invalidateServer(c.env, current.ownerId, current.id));
  const [row] = (await unit.commit())(deleted);
  if (!row) throw staleWrite();
  c.executionCtx.waitUntil(publishServerChange(c.env, "deleted", current));
}
