import type { LiveMessage } from "./types.ts";

export type LiveState = "connecting" | "live" | "reconnecting" | "offline";

/** The server closes with this code when the token that opened the socket expired. */
const CLOSE_TOKEN_EXPIRED = 4001;
const MAX_BACKOFF_MS = 30_000;

/**
 * The dashboard's WebSocket to `/api/v2/admin/live`. The access token travels as the
 * second subprotocol (`bearer, <token>`), never in the URL. A dropped socket is
 * reopened with exponential backoff and jitter (0.5 s doubling to 30 s), so a
 * restart of the server does not bring every dashboard back in the same instant.
 */
export class LiveChannel {
  #ws: WebSocket | null = null;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #stopped = true;

  readonly token: () => string | null;
  readonly refresh: () => Promise<boolean>;
  readonly onMessage: (m: LiveMessage) => void;
  readonly onState: (s: LiveState) => void;

  constructor(
    token: () => string | null,
    refresh: () => Promise<boolean>,
    onMessage: (m: LiveMessage) => void,
    onState: (s: LiveState) => void,
  ) {
    this.token = token;
    this.refresh = refresh;
    this.onMessage = onMessage;
    this.onState = onState;
  }

  start() {
    this.#stopped = false;
    this.#attempt = 0;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#keepAlive);
    this.#ws?.close(1000, "signed out");
    this.#ws = null;
    this.onState("offline");
  }

  #connect() {
    const token = this.token();
    if (!token || this.#stopped) return;
    this.onState(this.#attempt === 0 ? "connecting" : "reconnecting");
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/v2/admin/live`;
    const ws = new WebSocket(url, ["bearer", token]);
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.onState("live");
      clearInterval(this.#keepAlive);
      // Some proxies drop idle sockets; the hub answers "ping" without waking up.
      this.#keepAlive = setInterval(() => ws.send("ping"), 30_000);
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string" || e.data === "pong") return;
      try {
        this.onMessage(JSON.parse(e.data) as LiveMessage);
      } catch {
        // Not ours to break on: ignore a message we cannot read.
      }
    };
    ws.onclose = (e) => {
      clearInterval(this.#keepAlive);
      if (this.#ws !== ws || this.#stopped) return;
      this.onState("reconnecting");
      if (e.code === CLOSE_TOKEN_EXPIRED) {
        void this.refresh().then(() => this.#connect());
        return;
      }
      const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt++);
      this.#retry = setTimeout(
        () => {
          // A refused upgrade looks like any other close; a fresh token costs one call.
          void (this.#attempt > 2 ? this.refresh() : Promise.resolve(true)).then(() =>
            this.#connect(),
          );
        },
        backoff / 2 + Math.random() * (backoff / 2),
      );
    };
  }
}
