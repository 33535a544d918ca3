import { exports } from "cloudflare:workers";
import { type AppSchema, createClient } from "@edgepanel/client";
import { beforeAll, describe, expect, it } from "vitest";
import type { ServerSchema } from "../../scripts/client-schema.ts";
import { BASE, createKey, type Session, seedUser } from "../helpers.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

/** Exact type equality (expect-type's toEqualTypeOf gives up on types this large). */
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const viaWorker: typeof fetch = (input, init) => exports.default.fetch(input as string, init);

describe("typed client (@edgepanel/client)", () => {
  it("has the server's route types (checked by npm run typecheck)", () => {
    // The package ships its own copy of the route types (packages/client/src/routes.gen.ts).
    // If this line fails to type-check, a route changed: run `npm run client:routes`.
    const inSync: Same<AppSchema, ServerSchema> = true;
    expect(inSync).toBe(true);
  });

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

  it("signs every request with the key's signing secret (require_signature keys)", async () => {
    const key = await createKey(op.access_token, {
      scopes: ["servers:read", "servers:write"],
      require_signature: true,
    });
    const unsigned = createClient(BASE, { apiKey: key.key, fetch: viaWorker });
    expect((await unsigned.api.v2.auth.me.$get()).status).toBe(401);

    const client = createClient(BASE, {
      apiKey: key.key,
      signingSecret: key.signing_secret!,
      fetch: viaWorker,
    });
    // A body and a query string are both covered by the signature.
    const created = await client.api.v2.servers.$post({
      json: { name: "signed-1", host: "signed.example.com", port: 443, environment: "production" },
    });
    expect(created.status, `body: ${await created.clone().text()}`).toBe(201);
    const list = await client.api.v2.servers.$get({ query: { q: "signed-1", limit: "5" } });
    expect(list.status).toBe(200);
    // Each request gets its own nonce, so repeating a call is not a replay.
    expect((await client.api.v2.auth.me.$get()).status).toBe(200);
    expect((await client.api.v2.auth.me.$get()).status).toBe(200);
  });
});
