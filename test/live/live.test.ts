import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLOSE_TOKEN_EXPIRED, type LiveEvent, LiveEventSchema } from "../../src/live/events.ts";
import { LiveHub } from "../../src/live/hub.ts";
import { liveHub, publishLive } from "../../src/live/publish.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { AlertSchema } from "../../src/routes/admin/alerts.ts";
import { AdminStatsSchema } from "../../src/routes/admin/stats.ts";
import { ServerSchema } from "../../src/routes/servers/schemas.ts";
import { clearAlert, raiseAlert, toAlertDto } from "../../src/services/alerts/alerts.ts";
import { fetchWith } from "../app/broken-env.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../helpers.ts";
import { createServer } from "../routes/servers/fixtures.ts";

const LIVE = "/api/v2/admin/live";

let admin: Session;
let operator: Session;
let viewer: Session;
const open: WebSocket[] = [];

beforeAll(async () => {
  [admin, operator, viewer] = await Promise.all([
    seedUser({ role: "admin" }),
    seedUser({ role: "operator" }),
    seedUser({ role: "viewer" }),
  ]);
});

afterEach(async () => {
  for (const ws of open.splice(0)) ws.close(1000, "test done");
  // Let the hub see the closes before the next test counts sockets.
  await waitFor(async () => (await liveHub(env).ping()) === 0);
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 3_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A socket on the live channel, with every message it received. */
interface Client {
  ws: WebSocket;
  res: Response;
  messages: LiveEvent[];
  closed: { code: number; reason: string } | null;
  next(type: string): Promise<LiveEvent>;
}

async function connect(headers: Record<string, string>, path = LIVE): Promise<Client> {
  const res = await api(path, { headers: { upgrade: "websocket", ...headers } });
  expect(res.status, `body: ${res.status === 101 ? "" : await res.clone().text()}`).toBe(101);
  const ws = res.webSocket!;
  const client: Client = {
    ws,
    res,
    messages: [],
    closed: null,
    async next(type) {
      let found: LiveEvent | undefined;
      await waitFor(() => {
        found = client.messages.find((m) => m.type === type);
        return found !== undefined;
      });
      client.messages.splice(client.messages.indexOf(found!), 1);
      return found!;
    },
  };
  ws.addEventListener("message", (e) => {
    if (typeof e.data === "string" && e.data !== "pong")
      client.messages.push(Message.parse(JSON.parse(e.data)) as LiveEvent);
  });
  ws.addEventListener("close", (e) => {
    client.closed = { code: e.code, reason: e.reason };
  });
  ws.accept();
  open.push(ws);
  await client.next("hello");
  return client;
}

/** Every message: the events, plus the channel's own `hello` and `error`. */
const Message = LiveEventSchema.extend({ type: z.string() });

const bearer = (token: string) => ({ "sec-websocket-protocol": `bearer, ${token}` });

describe("GET /api/v2/admin/live: who may open it", () => {
  it("refuses a request without a token with 401 before any upgrade", async () => {
    const res = await api(LIVE, { headers: { upgrade: "websocket" } });
    await expectProblem(res, 401, "unauthorized");
    expect(res.webSocket).toBeNull();
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("refuses a wrong or forged token in the subprotocol or the query with 401", async () => {
    const forged = `${admin.access_token.slice(0, -4)}AAAA`;
    for (const res of [
      await api(LIVE, { headers: { upgrade: "websocket", ...bearer(forged) } }),
      await api(`${LIVE}?access_token=${encodeURIComponent("not-a-token")}`, {
        headers: { upgrade: "websocket" },
      }),
      await api(LIVE, { headers: { upgrade: "websocket" }, token: forged }),
    ]) {
      await expectProblem(res, 401, "unauthorized");
      expect(res.webSocket).toBeNull();
    }
  });

  it("refuses viewers and operators with 403", async () => {
    for (const s of [viewer, operator]) {
      const res = await api(LIVE, { headers: { upgrade: "websocket", ...bearer(s.access_token) } });
      const body = await expectProblem(res, 403, "forbidden");
      expect(body.detail).toMatch(/admin/);
      expect(res.webSocket).toBeNull();
    }
  });

  it("is 426 for an admin who does not ask for a WebSocket", async () => {
    const res = await api(LIVE, { token: admin.access_token });
    await expectProblem(res, 426, "upgrade-required");
    expect(res.headers.get("upgrade")).toBe("websocket");
  });

  it("is 400 when a token comes both in a header and as a subprotocol", async () => {
    const res = await api(LIVE, {
      headers: { upgrade: "websocket", ...bearer(admin.access_token) },
      token: admin.access_token,
    });
    await expectProblem(res, 400, "bad-request");
  });

  it("opens for an admin by subprotocol (selecting `bearer`, never echoing the token), query or header", async () => {
    const a = await connect(bearer(admin.access_token));
    expect(a.res.headers.get("sec-websocket-protocol")).toBe("bearer");
    const b = await connect({}, `${LIVE}?access_token=${admin.access_token}`);
    expect(b.res.headers.get("sec-websocket-protocol")).toBeNull();
    const c = await connect({ authorization: `Bearer ${admin.access_token}` });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    const sessions = await liveHub(env).sessions();
    expect(sessions).toHaveLength(3);
    for (const s of sessions) {
      expect(s.user_id).toBe(admin.user.id);
      expect(s.role).toBe("admin");
      // The token's own expiry: ~15 minutes from now.
      expect(s.expires_at).toBeGreaterThan(Date.now() + 10 * 60_000);
      expect(s.expires_at).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1_000);
    }
  });
});

describe("broadcasts", () => {
  it("reaches every connected socket once per event, and drops a repeated key", async () => {
    const [a, b] = await Promise.all([
      connect(bearer(admin.access_token)),
      connect(bearer(admin.access_token)),
    ]);
    await publishLive(env, { type: "alert.raised", data: { id: "a1" }, key: "alert.raised:a1" });
    await publishLive(env, { type: "alert.raised", data: { id: "a1" }, key: "alert.raised:a1" });
    for (const c of [a, b]) {
      const event = await c.next("alert.raised");
      expect(event.data).toEqual({ id: "a1" });
      expect(Date.parse(event.at)).not.toBeNaN();
    }
    await publishLive(env, { type: "job.failed", data: { id: "j1" } });
    await Promise.all([a.next("job.failed"), b.next("job.failed")]);
    expect([...a.messages, ...b.messages].filter((m) => m.type === "alert.raised")).toEqual([]);
  });

  it("pushes server.changed when a server is created, updated and deleted through the API", async () => {
    const c = await connect(bearer(admin.access_token));
    const created = await createServer(operator.access_token, { name: "live-1" });
    const first = await c.next("server.changed");
    expect(first.data.action).toBe("created");
    expect(ServerSchema.parse(first.data.server)).toEqual(created);
    expect(JSON.stringify(first.data)).not.toMatch(/"credentials/);

    await expectStatus(
      await api(`/api/v2/servers/${created.id}`, {
        method: "PATCH",
        token: operator.access_token,
        body: { port: 8443 },
      }),
      200,
    );
    const updated = await c.next("server.changed");
    expect(updated.data).toMatchObject({
      action: "updated",
      server: { id: created.id, port: 8443 },
    });

    await expectStatus(
      await api(`/api/v2/servers/${created.id}`, {
        method: "DELETE",
        token: operator.access_token,
      }),
      204,
    );
    expect((await c.next("server.changed")).data).toMatchObject({
      action: "deleted",
      server: { id: created.id },
    });
  });

  it("answers a text ping with pong and refuses other messages without closing", async () => {
    const c = await connect(bearer(admin.access_token));
    const pong = new Promise((resolve) =>
      c.ws.addEventListener("message", (e) => e.data === "pong" && resolve(true)),
    );
    c.ws.send("ping");
    expect(await pong).toBe(true);
    c.ws.send("hello?");
    expect((await c.next("error")).data).toEqual({ detail: "read-only channel" });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("publishLive never rejects, even when the hub cannot be reached", async () => {
    const broken = {
      idFromName: () => ({}),
      get: () => ({ publish: () => Promise.reject(new Error("hub down")) }),
    } as unknown as DurableObjectNamespace<LiveHub>;
    await expect(publishLive({ LIVE: broken }, { type: "job.failed", data: {} })).resolves.toBe(
      undefined,
    );
  });
});

describe("alerts", () => {
  it("pushes alert.raised when raiseAlert commits, once per episode, and alert.cleared on clear", async () => {
    const c = await connect(bearer(admin.access_token));
    const pending: Promise<unknown>[] = [];
    const deps = {
      env,
      ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p) },
      logger: createLogger({}, "error"),
    };
    const spike = { metric: "errors_4xx" as const, value: 300, mean: 5, zScore: 12, threshold: 4 };
    const { alert } = await raiseAlert(deps, spike);
    // A second raise while the episode is open commits nothing and pushes nothing.
    expect((await raiseAlert(deps, { ...spike, value: 900 })).raised).toBe(false);
    await Promise.all(pending);
    const raised = await c.next("alert.raised");
    expect(AlertSchema.parse(raised.data)).toEqual(toAlertDto(alert));
    expect(raised.at).toBe(alert.raisedAt);

    await clearAlert(deps, "errors_4xx");
    await Promise.all(pending);
    const cleared = await c.next("alert.cleared");
    expect(cleared.data).toMatchObject({ id: alert.id, status: "cleared" });
    expect(c.messages.filter((m) => m.type.startsWith("alert."))).toEqual([]);
  });
});

describe("the stats tick and hibernation", () => {
  it("ticks only while a socket is connected, and stops when the last one leaves", async () => {
    const stub = liveHub(env);
    const c = await connect(bearer(admin.access_token));
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tick = await c.next("stats.tick");
    // Exactly what GET /api/v2/admin/stats answers (same schema, same 10-second cache).
    expect(AdminStatsSchema.parse(tick.data)).toEqual(
      await expectBody(
        await api("/api/v2/admin/stats", { token: admin.access_token }),
        200,
        AdminStatsSchema,
      ),
    );
    // The alarm re-armed itself for the next tick.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    c.ws.close(1000, "bye");
    await waitFor(async () => (await stub.ping()) === 0);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps who holds each socket across eviction: a fresh object reads it from the sockets", async () => {
    const [a, b] = await Promise.all([
      connect(bearer(admin.access_token)),
      connect({}, `${LIVE}?access_token=${admin.access_token}`),
    ]);
    const stub = liveHub(env);
    const sent = await runInDurableObject(stub, (_instance, state) => {
      // What the runtime does after hibernation: a new instance, nothing in memory,
      // the same accepted sockets.
      const revived = new LiveHub(state, env);
      expect(revived.sessions().map((s) => s.user_id)).toEqual([admin.user.id, admin.user.id]);
      return revived.publish({ type: "alert.cleared", at: new Date().toISOString(), data: {} });
    });
    expect(sent).toBe(2);
    await Promise.all([a.next("alert.cleared"), b.next("alert.cleared")]);
  });

  it("closes a socket whose token has expired with 4001 at the next tick", async () => {
    const c = await connect(bearer(admin.access_token));
    const stub = liveHub(env);
    await runInDurableObject(stub, (_i, state) => {
      for (const ws of state.getWebSockets())
        ws.serializeAttachment({ ...ws.deserializeAttachment(), expires_at: Date.now() - 1 });
    });
    await runDurableObjectAlarm(stub);
    await waitFor(() => c.closed !== null);
    expect(c.closed?.code).toBe(CLOSE_TOKEN_EXPIRED);
  });
});

describe("readiness", () => {
  it("reports the LIVE hub, and is 503 naming it when it fails", async () => {
    const ok = await expectStatus<{ checks: { live: { status: string } } }>(
      await api("/health/ready"),
      200,
    );
    expect(ok.checks.live.status).toBe("ok");
    const broken = {
      idFromName: () => ({}),
      get: () => ({ ping: () => Promise.reject(new Error("hub down")) }),
    } as unknown as DurableObjectNamespace<LiveHub>;
    const body = await expectProblem(await fetchWith({ LIVE: broken }, "/health/ready"), 503);
    expect(body.detail).toContain("live");
  });
});
