import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env.ts";
import {
  CLOSE_TOKEN_EXPIRED,
  type LiveEvent,
  type LiveSession,
  LiveSessionSchema,
  SESSION_HEADER,
} from "./events.ts";
import { liveStats } from "./stats.ts";

/** How often connected dashboards get a `stats.tick`. */
export const TICK_MS = 5_000;
/** How long a publisher's event key is remembered for de-duplication. */
const DEDUPE_MS = 60_000;

/**
 * The live channel's hub: one object (`LIVE.idFromName("global")`) holding every
 * dashboard's WebSocket. It uses the WebSocket Hibernation API: the runtime keeps the
 * sockets open while the object is evicted from memory, so idle dashboards cost no
 * duration. Nothing the hub needs lives only in memory — who holds a socket is the
 * socket's attachment (serializeAttachment), the socket list comes from
 * `ctx.getWebSockets()`, and the tick is a storage alarm — so an object rebuilt after
 * hibernation carries on where the last one stopped.
 *
 * One object means one broadcast per event however many isolates report it, and one
 * 5-second stats tick however many dashboards are open. The tick alarm runs only while
 * at least one socket is connected.
 */
export class LiveHub extends DurableObject<Bindings> {
  /**
   * Keys of recently broadcast events. In memory only: losing it to an eviction
   * (which needs the object idle) at worst lets a late duplicate through.
   */
  #recent = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    // Answered by the runtime without waking the object: keep-alives cost nothing.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Accepts a WebSocket upgrade the Worker has already authorised (src/routes/admin/live.ts). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    const session = LiveSessionSchema.safeParse(
      JSON.parse(request.headers.get(SESSION_HEADER) ?? "null"),
    );
    if (!session.success) return new Response("Missing session", { status: 400 });

    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [session.data.user_id]);
    server.serializeAttachment(session.data);
    server.send(
      JSON.stringify({
        type: "hello",
        at: new Date().toISOString(),
        data: { connections: this.ctx.getWebSockets().length, tick_ms: TICK_MS },
      }),
    );
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + TICK_MS);

    // A browser that offered `bearer, <token>` as subprotocols fails the handshake
    // unless the server picks one: we pick `bearer`, never echoing the token.
    const offered = request.headers.get("sec-websocket-protocol");
    const headers: HeadersInit = offered?.split(",").some((p) => p.trim() === "bearer")
      ? { "Sec-WebSocket-Protocol": "bearer" }
      : {};
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * Sends `event` to every connected dashboard; returns how many sockets got it.
   * An event whose `key` was broadcast in the last minute is dropped (0).
   */
  publish(event: LiveEvent, key?: string): number {
    const now = Date.now();
    if (key) {
      for (const [k, at] of this.#recent) if (now - at > DEDUPE_MS) this.#recent.delete(k);
      if (this.#recent.has(key)) return 0;
      this.#recent.set(key, now);
    }
    return this.#broadcast(JSON.stringify(event));
  }

  /** Who is connected (from the sockets' attachments). */
  sessions(): LiveSession[] {
    return this.ctx.getWebSockets().flatMap((ws) => {
      const s = LiveSessionSchema.safeParse(ws.deserializeAttachment());
      return s.success ? [s.data] : [];
    });
  }

  /** Readiness probe: the object answers (and how many sockets it holds). */
  ping(): number {
    return this.ctx.getWebSockets().length;
  }

  /**
   * The tick: closes sockets whose token has expired (the page reconnects with a
   * fresh one), broadcasts the stats and schedules the next tick — only while
   * someone is still connected.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const s = LiveSessionSchema.safeParse(ws.deserializeAttachment());
      if (!s.success || s.data.expires_at <= now) {
        try {
          ws.close(CLOSE_TOKEN_EXPIRED, "access token expired");
        } catch {
          // Already closing.
        }
      }
    }
    if (!this.#open().length) return;
    try {
      const data = await liveStats(this.env);
      this.#broadcast(JSON.stringify({ type: "stats.tick", at: data.generated_at, data }));
    } catch (error) {
      // A failed tick is skipped, not fatal: the next one comes in 5 s.
      console.warn(
        JSON.stringify({ level: "warn", msg: "live stats tick failed", error: String(error) }),
      );
    }
    if (this.#open().length) await this.ctx.storage.setAlarm(Date.now() + TICK_MS);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // The channel is one-way; anything but the auto-answered "ping" is refused politely.
    if (message !== "ping")
      ws.send(
        JSON.stringify({
          type: "error",
          at: new Date().toISOString(),
          data: { detail: "read-only channel" },
        }),
      );
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      // 1005/1006 are reserved: they cannot be sent back.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
    if (!this.#open().length) await this.ctx.storage.deleteAlarm();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.webSocketClose(ws, 1011, "error");
  }

  #open(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  #broadcast(message: string): number {
    let sent = 0;
    for (const ws of this.#open()) {
      try {
        ws.send(message);
        sent++;
      } catch {
        // A socket that died between the list and the send: its close handler cleans up.
      }
    }
    return sent;
  }
}
