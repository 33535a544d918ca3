import type { Bindings } from "../env.ts";
import type { LiveEventInput } from "./events.ts";

/** The one hub every isolate publishes to (src/live/hub.ts). */
export const liveHub = (env: Pick<Bindings, "LIVE">) => env.LIVE.get(env.LIVE.idFromName("global"));

/**
 * Pushes an event to every connected dashboard. Fire-and-forget: callers hand the
 * promise to `waitUntil`, and it never rejects — a dashboard missing an update
 * must not turn a committed write into an error (the next stats tick and the
 * page's own refresh catch up).
 *
 * @example c.executionCtx.waitUntil(publishLive(c.env, { type: "server.changed", data }));
 */
export async function publishLive(
  env: Pick<Bindings, "LIVE">,
  { type, data, at = new Date().toISOString(), key }: LiveEventInput,
): Promise<void> {
  try {
    await liveHub(env).publish({ type, at, data }, key);
  } catch (error) {
    console.warn(
      JSON.stringify({ level: "warn", msg: "live publish failed", type, error: String(error) }),
    );
  }
}
