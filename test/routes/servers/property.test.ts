import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api, type Session, seedUser } from "../../helpers.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const validBody = fc.record(
  {
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,40}[A-Za-z0-9]$/),
    host: fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(".")),
      fc.ipV4(),
      fc.ipV6(),
    ),
    port: fc.integer({ min: 1, max: 65535 }),
    environment: fc.constantFrom("production", "staging", "development"),
    tags: fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9:_.-]{0,15}$/), { maxLength: 20 }),
    health_check_url: fc.option(
      fc.webUrl({ validSchemes: ["https", "http"] }).filter((u) => u.length < 2000),
      { nil: undefined },
    ),
  },
  { requiredKeys: ["name", "host", "port", "environment", "tags"] },
);

describe("servers: property-based", () => {
  it("random valid bodies round-trip through create and read", async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(validBody, async (body) => {
        const b = { ...body, name: `${body.name}-${i++}` };
        const res = await api("/api/v2/servers", {
          method: "POST",
          token: op.access_token,
          body: b,
        });
        expect(res.status, await res.clone().text()).toBe(201);
        const created = await res.json<Record<string, unknown>>();
        const read = await (
          await api(`/api/v2/servers/${created.id}`, { token: op.access_token })
        ).json<Record<string, unknown>>();
        expect(read).toMatchObject({
          name: b.name.trim(),
          host: b.host,
          port: b.port,
          environment: b.environment,
          tags: b.tags,
          health_check_url: b.health_check_url ?? null,
        });
      }),
      { numRuns: 60 },
    );
  });

  it("random invalid bodies are 422 problems, never 5xx", async () => {
    const invalid = fc.oneof(
      fc.anything(),
      validBody.chain((b) =>
        fc.constantFrom<Record<string, unknown>>(
          { ...b, port: 0 },
          { ...b, port: 65536 },
          { ...b, port: "443" },
          { ...b, environment: "prod" },
          { ...b, name: "" },
          { ...b, name: "x".repeat(65) },
          { ...b, host: "bad host" },
          { ...b, tags: Array.from({ length: 21 }, (_, k) => `t${k}`) },
          { ...b, tags: ["UPPER"] },
          { ...b, health_check_url: "ftp://x" },
          { ...b, extra: true },
          { name: b.name },
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(invalid, async (body) => {
        const res = await api("/api/v2/servers", {
          method: "POST",
          token: op.access_token,
          body: JSON.stringify(body) ?? "null",
        });
        expect(res.status, await res.clone().text()).toBeLessThan(500);
        expect([400, 422]).toContain(res.status);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
      }),
      { numRuns: 120 },
    );
  });
});
