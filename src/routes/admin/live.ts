import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env.ts";
import { unknownQueryParameters } from "../../lib/create-router.ts";
import { apiErrors, errorResponse } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { type LiveSession, SESSION_HEADER } from "../../live/events.ts";
import { liveHub } from "../../live/publish.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { looksLikeApiKey } from "../../services/api-keys/format.ts";
import { verifyAccessToken } from "../../services/auth/access-token.ts";
import { lookupUser } from "../../services/auth/credential-cache.ts";
import { ROLE_SCOPES } from "../../services/auth/principal.ts";
import { isFamilyRevoked } from "../../services/auth/revocation.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** When the live channel's credential stops being valid (epoch ms). */
    liveExpiresAt?: number;
  }
}

/** A socket opened with an API key (no expiry of its own) is renewed this often. */
const API_KEY_SESSION_MS = 60 * 60 * 1000;

const unauthorized = (detail: string) =>
  new ApiError("unauthorized", {
    detail,
    headers: { "WWW-Authenticate": 'Bearer realm="edgepanel", error="invalid_token"' },
  });

/**
 * The access token a browser can send with a WebSocket: the second of the
 * subprotocols `bearer, <token>` (browsers cannot set Authorization on a
 * WebSocket), or `?access_token=` (RFC 6750 §2.3) for clients that cannot either.
 */
function browserToken(c: Context<AppEnv>): string | undefined {
  const protocols = c.req
    .header("sec-websocket-protocol")
    ?.split(",")
    .map((p) => p.trim());
  if (protocols?.[0]?.toLowerCase() === "bearer" && protocols[1]) return protocols[1];
  return c.req.query("access_token") || undefined;
}

/**
 * Authenticates the live channel's token before the role guard runs. A token in the
 * Authorization header was already checked by the global `authenticate`; this reads
 * the two places only a WebSocket uses, with the same checks (signature, expiry,
 * the user still exists and is enabled, the session not revoked), and notes when
 * the credential expires so the hub can close the socket then.
 */
const liveCredential = (): MiddlewareHandler<AppEnv> =>
  async function liveCredential(c, next) {
    // This reads the query before the route's validator does: refuse what it would.
    const unknown = Object.keys(c.req.queries()).filter((k) => k !== "access_token");
    if (unknown.length) throw unknownQueryParameters(unknown);
    const token = browserToken(c);
    const headerCredential =
      c.req.header("authorization") !== undefined || c.req.header("x-api-key") !== undefined;
    if (token !== undefined && headerCredential)
      throw new ApiError("bad_request", {
        detail: "Send one credential: a header, the bearer subprotocol or access_token, not two",
      });
    if (token !== undefined) {
      if (looksLikeApiKey(token)) throw unauthorized("The live channel takes an access token here");
      const verified = await verifyAccessToken(c.get("config").JWT_SECRET, token);
      if (!verified.ok)
        throw unauthorized(
          verified.error === "expired"
            ? "The access token has expired"
            : "The access token is invalid",
        );
      const claims = verified.value;
      const [user, ended] = await Promise.all([
        lookupUser(c.get("db"), claims.sub),
        claims.fam ? isFamilyRevoked(c.env.CACHE, claims.fam) : false,
      ]);
      if (ended) throw unauthorized("The session of this access token has ended");
      if (!user || user.disabled)
        throw unauthorized("The access token's user no longer exists or is deactivated");
      c.set("principal", {
        kind: "user",
        userId: claims.sub,
        role: user.role,
        scopes: ROLE_SCOPES[user.role],
        tokenId: claims.jti,
      });
      c.set("liveExpiresAt", claims.exp * 1000);
    } else {
      const header = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
      const exp = header && !looksLikeApiKey(header) ? jwtExpiry(header) : undefined;
      c.set("liveExpiresAt", exp ?? Date.now() + API_KEY_SESSION_MS);
    }
    await next();
  };

/** `exp` of a JWT the global middleware has already verified (epoch ms). */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export const liveRoute = createRoute({
  method: "get",
  path: "/admin/live",
  tags: ["Admin"],
  operationId: "openLiveChannel",
  summary: "Live dashboard channel: a WebSocket of server changes, alerts, job failures and stats",
  description: [
    "Upgrades to a WebSocket (admins only) that pushes JSON messages `{type, at, data}`:",
    "`server.changed` (created, updated, deleted, status changed), `alert.raised`, `alert.cleared`,",
    "`job.failed`, and `stats.tick` every 5 seconds with the figures of `GET /api/v2/admin/stats`.",
    "The first message is `hello`. The channel is read-only; a text `ping` is answered `pong`.",
    "Browsers send the access token as the subprotocols `bearer, <token>` (the server selects `bearer`);",
    "other clients may use the Authorization header or `?access_token=`.",
    "Credentials are checked before the upgrade (401, 403); a request without `Upgrade: websocket` is 426.",
    "When the access token expires the server closes the socket with code 4001: reconnect with a fresh token.",
  ].join(" "),
  security: securityFor("admin"),
  middleware: [liveCredential(), requireRole("admin")] as const,
  request: {
    query: z.object({
      access_token: z.string().optional().openapi({
        description:
          "An access token, for clients that can set neither a header nor subprotocols. Prefer the `bearer, <token>` subprotocols: URLs end up in logs.",
      }),
    }),
  },
  responses: {
    101: { description: "Switching Protocols: the WebSocket is open" },
    426: errorResponse("upgrade_required"),
    ...apiErrors(),
  },
});

export const liveHandler: RouteHandler<typeof liveRoute, AppEnv> = async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new ApiError("upgrade_required", {
      detail: "This endpoint is a WebSocket: send Upgrade: websocket",
      headers: { Upgrade: "websocket" },
    });
  const principal = c.get("principal")!;
  const session: LiveSession = {
    user_id: principal.userId,
    role: principal.role,
    expires_at: c.get("liveExpiresAt") ?? Date.now() + API_KEY_SESSION_MS,
    connected_at: new Date().toISOString(),
  };
  const headers = new Headers({ upgrade: "websocket", [SESSION_HEADER]: JSON.stringify(session) });
  const protocol = c.req.header("sec-websocket-protocol");
  if (protocol) headers.set("sec-websocket-protocol", protocol);
  // The hub answers 101 with the client end of the socket; it goes back as it came.
  return liveHub(c.env).fetch("https://live.internal/connect", { headers });
};
