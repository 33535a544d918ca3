import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApp } from "../../src/app.ts";
import { validValue } from "./json-schema-arbitrary.ts";
import { type Operation, operations, validParam } from "./operations.ts";

/**
 * The document and the validators agree: every value the OpenAPI document calls
 * valid — a body, a path or a query — is accepted by the zod schema the route
 * validates with. A refinement without its JSON Schema counterpart (uniqueItems,
 * minProperties, a pattern) fails here, naming the schema and the value. Runs in
 * Node against the route definitions themselves, so it is fast and exact; the fuzz
 * run (api.test.ts) checks the same through the Worker.
 */

const env = { ENVIRONMENT: "development", CORS_ORIGINS: "", LOG_LEVEL: "error", DB: {}, CACHE: {} };
const app = createApp();
const doc = (await (await app.request("https://panel.test/openapi.json", {}, env)).json()) as never;
const byId = new Map(operations(doc).map((op) => [op.id, op]));

type RouteDef = {
  method: string;
  path: string;
  request?: {
    params?: z.ZodType;
    query?: z.ZodType;
    body?: { content: Record<string, { schema: z.ZodType }> };
  };
};
const routes = app.openAPIRegistry.definitions.flatMap((d) =>
  d.type === "route" ? [d.route as unknown as RouteDef] : [],
);

/** Wire values for every declared parameter of one location, optional ones sometimes. */
const wireRecord = (params: Operation["params"]) =>
  fc.record(Object.fromEntries(params.map((p) => [p.name, validParam(p)])), {
    requiredKeys: params.filter((p) => p.required).map((p) => p.name),
  });

async function acceptsAll(schema: z.ZodType, values: fc.Arbitrary<unknown>, what: string) {
  await fc.assert(
    fc.asyncProperty(values, async (value) => {
      const result = await schema.safeParseAsync(value);
      expect(
        result.success,
        `${what} refused ${JSON.stringify(value)}: ${JSON.stringify(result.error?.issues)}`,
      ).toBe(true);
    }),
    { numRuns: 150, seed: 20261122 },
  );
}

describe("OpenAPI document ⇔ zod validators", () => {
  it("covers every route", () => {
    expect(routes.length).toBe(byId.size);
  });

  for (const route of routes) {
    const id = `${route.method.toUpperCase()} ${route.path}`;
    const { params, query, body } = route.request ?? {};
    const json = body?.content["application/json"]?.schema;
    if (!params && !query && !json) continue;

    it(`${id}: every documented-valid request passes validation`, async () => {
      const op = byId.get(id)!;
      expect(op, id).toBeDefined();
      if (json) await acceptsAll(json, validValue(op.body!.schema), `${id} body`);
      if (params) await acceptsAll(params, wireRecord(op.params), `${id} path`);
      if (query) await acceptsAll(query, wireRecord(op.query), `${id} query`);
    });
  }
});
