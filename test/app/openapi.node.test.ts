import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { securityFor } from "../../src/middleware/auth.ts";

// Node project: the validator compiles JSON Schema with new Function(), which workerd forbids.
const env = { ENVIRONMENT: "development", CORS_ORIGINS: "", LOG_LEVEL: "error", DB: {}, CACHE: {} };

async function document() {
  const res = await createApp().request("https://panel.test/openapi.json", {}, env);
  expect(res.status).toBe(200);
  return res.json() as Promise<{
    openapi: string;
    security?: unknown[];
    paths: Record<
      string,
      Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
    >;
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  }>;
}

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("declares both security schemes and the Problem schema", async () => {
    const doc = await document();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "apiKeyAuth",
      "bearerAuth",
    ]);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it("documents, for every operation, a 5xx problem and — when secured — 401 and 403", async () => {
    const doc = await document();
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ id: `${m.toUpperCase()} ${path}`, op })),
    );
    expect(ops.length).toBeGreaterThan(15);
    for (const { id, op } of ops) {
      expect(Object.keys(op.responses), id).toContain("500");
      if (op.security?.length) {
        expect(Object.keys(op.responses), id).toEqual(expect.arrayContaining(["401", "403"]));
      }
    }
  });

  it("defaults to bearer (then API key) auth, and marks unguarded operations as public", async () => {
    const doc = await document();
    // Bearer first: documentation tools (Scalar) preselect it.
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }]);
    // A top-level requirement applies to every operation that states none, so each
    // operation states its own; the public ones an explicit empty list.
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods))
        expect(Array.isArray(op.security), `${method} ${path}`).toBe(true);
    for (const [method, path] of [
      ["post", "/api/v2/auth/login"],
      ["post", "/api/v2/auth/register"],
      ["get", "/health/live"],
    ] as const)
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([]);
    expect(doc.paths["/api/v2/auth/me"]?.get?.security).toEqual(securityFor());
  });

  it("lists the v2 identity routes", async () => {
    const doc = await document();
    for (const p of [
      "/api/v2/auth/register",
      "/api/v2/auth/login",
      "/api/v2/auth/refresh",
      "/api/v2/auth/logout",
      "/api/v2/auth/me",
      "/api/v2/auth/oauth/{provider}",
      "/api/v2/users",
      "/api/v2/users/{id}",
      "/api/v2/api-keys",
      "/api/v2/api-keys/{id}",
      "/api/v2/api-keys/{id}/rotate",
      "/api/v2/audit-logs",
      "/api/v2/audit-logs/verify",
      "/health/live",
      "/health/ready",
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});
