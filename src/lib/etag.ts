import type { Context } from "hono";
import { sha256Hex } from "./encoding.ts";
import { ApiError } from "./problem.ts";

/**
 * Strong ETags. A resource's tag is its id and `version` (bumped by every write),
 * so it changes exactly when the stored representation does; a list's tag is a
 * hash of the body it would send.
 */
export const resourceEtag = (id: string, version: number): string =>
  `"${id.slice(-12)}.${version}"`;

export const bodyEtag = async (body: string): Promise<string> =>
  `"${(await sha256Hex(body)).slice(0, 32)}"`;

const tagsOf = (header: string) => header.split(",").map((t) => t.trim().replace(/^W\//, ""));

/** True when `If-None-Match` matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function notModified(c: Context, etag: string): boolean {
  const header = c.req.header("if-none-match");
  if (!header) return false;
  return header.trim() === "*" || tagsOf(header).includes(etag.replace(/^W\//, ""));
}

/**
 * The version a write must find: the current one when `If-Match` is absent, `*` or
 * current; a stale `If-Match` is a 412 (strong comparison, RFC 9110 §13.1.1).
 */
export function versionFromIfMatch(c: Context, id: string, currentVersion: number): number {
  const header = c.req.header("if-match");
  if (!header || header.trim() === "*") return currentVersion;
  const current = resourceEtag(id, currentVersion);
  if (header.split(",").some((t) => t.trim() === current)) return currentVersion;
  throw new ApiError("precondition_failed", {
    detail: "The resource has changed since you read it (If-Match does not match its ETag)",
    headers: { ETag: current },
  });
}
