import type { ServerRow } from "../db/schema.ts";
import type { Bindings } from "../env.ts";
import { toServerDto } from "../routes/servers/schemas.ts";
import { publishLive } from "./publish.ts";

export type ServerChange = "created" | "updated" | "deleted" | "status_changed";

/**
 * `server.changed` on the live channel: the server as the API shows it (the same
 * DTO as `GET /api/v2/servers/{id}`, so no credential ever reaches a socket) and
 * what happened to it. Call after the write committed; never rejects.
 */
export const publishServerChange = (
  env: Pick<Bindings, "LIVE">,
  action: ServerChange,
  row: ServerRow,
  extra: Record<string, unknown> = {},
) =>
  publishLive(env, {
    type: "server.changed",
    data: { action, server: toServerDto(row), ...extra },
    key: `server:${row.id}:v${row.version}:${action}`,
  });
