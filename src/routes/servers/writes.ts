import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import {
  auditView,
  createServer,
  deleteServer,
  type ServerInput,
  type ServerPatch,
  updateServer,
} from "../../services/servers/servers.ts";
import { loadServer } from "./access.ts";
import { nameTaken, staleWrite } from "./errors.ts";
import { enforceServerQuota } from "./quota.ts";

/**
 * The write paths every API version shares (v1 and v2 are thin adapters): do the
 * write, invalidate caches, audit, set the ETag. `api` tags audit rows of legacy calls.
 */
export async function createFor(c: Context<AppEnv>, input: ServerInput, api?: "v1") {
  await enforceServerQuota(c);
  const created = await createServer(
    c.get("db"),
    await keyringFor(c.get("config")),
    requirePrincipal(c).userId,
    input,
  );
  if (!created.ok) throw nameTaken();
  const row = created.value;
  await invalidateServer(c.env, row.ownerId, row.id);
  await audit(c, {
    action: "server.created",
    resourceType: "server",
    resourceId: row.id,
    summary: { after: auditView(row), ...(api ? { api } : {}) },
  });
  c.header("ETag", resourceEtag(row.id, row.version));
  return row;
}

export async function updateFor(c: Context<AppEnv>, id: string, patch: ServerPatch, api?: "v1") {
  const current = await loadServer(c, id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const result = await updateServer(
    c.get("db"),
    await keyringFor(c.get("config")),
    current,
    patch,
    expected,
  );
  if (!result.ok) throw result.error === "name_taken" ? nameTaken() : staleWrite();
  const row = result.value;
  await invalidateServer(c.env, row.ownerId, row.id);
  await audit(c, {
    action: "server.updated",
    resourceType: "server",
    resourceId: row.id,
    summary: { before: auditView(current), after: auditView(row), ...(api ? { api } : {}) },
  });
  c.header("ETag", resourceEtag(row.id, row.version));
  return row;
}

export async function deleteFor(c: Context<AppEnv>, id: string, api?: "v1") {
  const current = await loadServer(c, id);
  const result = await deleteServer(
    c.get("db"),
    current,
    versionFromIfMatch(c, current.id, current.version),
  );
  if (!result.ok) throw staleWrite();
  await invalidateServer(c.env, current.ownerId, current.id);
  await audit(c, {
    action: "server.deleted",
    resourceType: "server",
    resourceId: current.id,
    summary: { before: auditView(current), ...(api ? { api } : {}) },
  });
}
