import { z } from "zod";

/** What the live channel pushes. The dashboard ignores types it does not know. */
export const LIVE_EVENT_TYPES = [
  "server.changed",
  "alert.raised",
  "alert.cleared",
  "job.failed",
  "stats.tick",
] as const;

export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

export const LiveEventSchema = z.object({
  type: z.enum(LIVE_EVENT_TYPES),
  /** When it happened (ISO 8601). */
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/** One message on the live channel: `{ type, at, data }`. */
export type LiveEvent = z.infer<typeof LiveEventSchema>;

/**
 * What a publisher hands to {@link publishLive}. `key` names the fact (e.g.
 * `alert.raised:<id>`): when several isolates or retries report the same fact, the
 * hub broadcasts it once. `at` defaults to now.
 */
export interface LiveEventInput {
  type: LiveEventType;
  data: Record<string, unknown>;
  at?: string;
  key?: string;
}

/** Who holds a socket; kept on the socket itself (serializeAttachment), so it survives hibernation. */
export const LiveSessionSchema = z.object({
  user_id: z.string(),
  role: z.string(),
  /** When the access token that opened the socket expires (epoch ms): the socket is closed then. */
  expires_at: z.number(),
  connected_at: z.string(),
});

export type LiveSession = z.infer<typeof LiveSessionSchema>;

/** Close code when the access token that opened the socket expired: reconnect with a fresh one. */
export const CLOSE_TOKEN_EXPIRED = 4001;

/** Header through which the Worker hands the authenticated session to the hub. */
export const SESSION_HEADER = "x-live-session";
