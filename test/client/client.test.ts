import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.ts";
import { BASE, createKey, type Session, userWithRole } from "../helpers.ts";

let op: Session;
beforeAll(async () => {
  await userWithRole("admin");
  op = await userWithRole("operator");
});

const viaWorker: typeof fetch = (input, init) => exports.default.fetch(input as string, init);

describe("typed client (hono/client)", () => {
  it("creates, lists, updates and deletes servers end to end with an API key", async () => {
    const key = await createKey(op.access_token, { scopes: ["servers:read", "servers:write"] });
    const client = createClient(BASE, { apiKey: key.key, fetch: viaWorker });

    const created = await client.api.v2.servers.$post({
      json: {
        name: "typed-1",
        host: "typed.example.com",
        port: 8443,
        environment: "staging",
        tags: ["typed"],
      },
    });
    expect(created.status).toBe(201);
    const server = await created.json();
    if (!("id" in server)) throw new Error("expected a server");
    expect(server.name).toBe("typed-1");

    const list = await client.api.v2.servers.$get({
      query: { tag: "typed", sort: "name", limit: "10" },
    });
    if (list.status !== 200) throw new Error(`expected 200, got ${list.status}`);
    const page = await list.json();
    expect(page.data.map((s) => s.id)).toContain(server.id);

    const patched = await client.api.v2.servers[":id"].$patch({
      param: { id: server.id },
      json: { port: 9443 },
    });
    expect(patched.status).toBe(200);
    const removed = await client.api.v2.servers[":id"].$delete({ param: { id: server.id } });
    expect(removed.status).toBe(204);
    const gone = await client.api.v2.servers[":id"].$get({ param: { id: server.id } });
    expect(gone.status).toBe(404);
  });

  it("works with a user token too", async () => {
    const client = createClient(BASE, { token: op.access_token, fetch: viaWorker });
    const me = await client.api.v2.auth.me.$get();
    expect(me.status).toBe(200);
  });
});
