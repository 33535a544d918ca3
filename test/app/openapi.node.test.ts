import { z } from "@hono/zod-openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { CIDR_PATTERN } from "../../src/lib/cidr.ts";
import {
  API_PROBLEMS,
  EVERY_ROUTE_PROBLEMS,
  HTTP_URL_PATTERN,
  SECURED_API_PROBLEMS,
} from "../../src/lib/openapi.ts";
import { PROBLEM_TYPES } from "../../src/lib/problem.ts";
import { PLAIN_NAME_PATTERN } from "../../src/lib/text.ts";
import { securityFor } from "../../src/middleware/auth.ts";

// Node project: the validator compiles JSON Schema with new Function(), which workerd forbids.
const env = { ENVIRONMENT: "development", CORS_ORIGINS: "", LOG_LEVEL: "error", DB: {}, CACHE: {} };

async function document() {
  const res = await createApp().request("https://panel.test/openapi.json", {}, env);
  expect(res.status).toBe(200);
  return res.json() as Promise<{
    openapi: string;
    security?: unknown[];
    tags: { name: string; description?: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, Schema> };
  }>;
}

type Schema = { [keyword: string]: unknown };

/** The schema at a dotted path of members (`properties.tags`). */
const at = (schema: Schema | undefined, path: string): Schema =>
  path.split(".").reduce((node, key) => node[key] as Schema, schema ?? {});
type Operation = {
  operationId?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; schema: Schema }[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema?: unknown }> }
  >;
};

/** Every schema object in `node`, depth first. */
function* schemas(node: unknown): Generator<Schema> {
  if (Array.isArray(node)) for (const item of node) yield* schemas(item);
  else if (node && typeof node === "object") {
    yield node as Schema;
    for (const value of Object.values(node)) yield* schemas(value);
  }
}

const param = (op: Operation, name: string) => op.parameters?.find((p) => p.name === name)?.schema;

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("declares the security schemes (users' and the metrics scraper's) and the Problem schema", async () => {
    const doc = await document();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "apiKeyAuth",
      "bearerAuth",
      "metricsToken",
    ]);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it("documents on every operation each status the middleware in front of it can answer", async () => {
    const doc = await document();
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ id: `${m.toUpperCase()} ${path}`, path, op })),
    );
    expect(ops.length).toBeGreaterThan(30);
    const groups = { ops: 0, publicApi: 0, securedApi: 0 };
    for (const { id, path, op } of ops) {
      const secured = Boolean(op.security?.length);
      // Liveness answers ahead of every middleware that could refuse it (src/app.ts).
      const [group, problems, statuses] =
        path === "/health/live"
          ? (["ops", ["internal"], [500]] as const)
          : !path.startsWith("/api/")
            ? (["ops", EVERY_ROUTE_PROBLEMS, [413, 500, 504]] as const)
            : secured
              ? ([
                  "securedApi",
                  SECURED_API_PROBLEMS,
                  [400, 401, 403, 413, 415, 422, 429, 500, 503, 504],
                ] as const)
              : (["publicApi", API_PROBLEMS, [400, 403, 413, 415, 422, 429, 500, 504]] as const);
      groups[group]++;
      expect(Object.keys(op.responses), id).toEqual(expect.arrayContaining(statuses.map(String)));
      // Through the group's spread: each status names every problem type that answers with it.
      for (const problem of problems) {
        const { status, title } = PROBLEM_TYPES[problem];
        const documented = op.responses[String(status)];
        expect(documented?.description.toLowerCase(), `${id} ${status}`).toContain(
          title.toLowerCase(),
        );
        expect(
          documented?.content?.["application/problem+json"]?.schema,
          `${id} ${status}`,
        ).toEqual({ $ref: "#/components/schemas/Problem" });
      }
    }
    // /health/live, /health/ready, /metrics, /status.json, /status/feed.atom
    expect(groups.ops).toBe(5);
    expect(groups.publicApi).toBeGreaterThanOrEqual(5);
    expect(groups.securedApi).toBeGreaterThan(20);
  });

  it("describes and tags every operation, with tags declared once at the top", async () => {
    const doc = await document();
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const tag of doc.tags) expect(tag.description, tag.name).toBeTruthy();
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods)) {
        const id = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, id).toBeTruthy();
        expect(op.description?.length ?? 0, id).toBeGreaterThan(40);
        expect(op.tags?.length, id).toBe(1);
        expect(declared.has(op.tags![0]!), `${id}: tag ${op.tags![0]}`).toBe(true);
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

  it("lists every route group", async () => {
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
      "/api/v2/servers",
      "/api/v2/servers/{id}",
      "/api/v2/servers/{id}/checks",
      "/api/v2/admin/ip-rules",
      "/api/v2/admin/cache/purge",
      "/api/v2/jobs/{id}",
      "/api/v1/servers",
      "/api/v1/servers/{id}",
      "/health/live",
      "/health/ready",
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });

  it("carries the constraints the validators enforce", async () => {
    const doc = await document();
    const c = doc.components.schemas;
    // Refinements, as JSON Schema.
    expect(at(c.CreateServerRequest, "properties.tags").uniqueItems).toBe(true);
    expect(at(c.UpdateServerRequest, "properties.tags").uniqueItems).toBe(true);
    expect(at(c.ServerV1Request, "properties.tags").uniqueItems).toBe(true);
    expect(at(c.CreateApiKeyRequest, "properties.scopes").uniqueItems).toBe(true);
    for (const name of ["UpdateServerRequest", "UpdateUserRequest", "CachePurgeRequest"])
      expect(c[name]?.minProperties, name).toBe(1);
    // What JSON Schema cannot say is said in words.
    expect(at(c.CreateApiKeyRequest, "properties.expires_at").description).toMatch(/in the future/);
    expect(at(c.RegisterRequest, "properties.password").description).toMatch(/not be your e-mail/);
    // Formats carry zod's own expression: `format` alone admits more.
    for (const name of ["RegisterRequest", "LoginRequest"])
      expect(at(c[name], "properties.email").pattern, name).toBe(z.regexes.email.source);
    expect(at(c.CreateApiKeyRequest, "properties.expires_at").pattern).toMatch(/^\^/);
    expect(at(c.CreateServerRequest, "properties.host").anyOf).toHaveLength(3);
    expect(at(c.CreateApiKeyRequest, "properties.allowed_cidrs.items").pattern).toBe(CIDR_PATTERN);
    expect(at(c.PutIpRulesRequest, "properties.deny.items").pattern).toBe(CIDR_PATTERN);
    expect(at(c.CachePurgeRequest, "properties.urls.items").pattern).toBe(HTTP_URL_PATTERN);
    expect(at(c.CreateServerRequest, "properties.health_check_url").pattern).toBe(HTTP_URL_PATTERN);
    // Trimmed names: white space alone is refused.
    for (const name of ["CreateServerRequest", "RegisterRequest", "CreateApiKeyRequest"])
      expect(at(c[name], "properties.name").pattern, name).toBe(PLAIN_NAME_PATTERN);
    expect(param(doc.paths["/api/v2/servers"]!.get!, "q")?.pattern).toBe("\\S");
    expect(param(doc.paths["/api/v2/audit-logs"]!.get!, "since")?.pattern).toMatch(/^\^/);
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods)) {
        const id = param(op, "id");
        if (id?.format === "uuid") expect(id.pattern, `${method} ${path}`).toMatch(/^\^/);
      }
  });

  it("documents the 400 for an undeclared query parameter wherever a query is strict", async () => {
    const doc = await document();
    const withQuery = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.parameters?.some((p) => p.in === "query"))
        .map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(withQuery.length).toBeGreaterThan(5);
    for (const { id, op } of withQuery) {
      const description = op.responses["400"]?.description ?? "";
      // The OAuth callback is the one loose query: providers add parameters of their own.
      if (id === "GET /api/v2/auth/oauth/{provider}")
        expect(description, id).not.toMatch(/unknown_query_parameter/);
      else expect(description, id).toMatch(/unknown_query_parameter/);
    }
  });

  it("uses only portable patterns: valid with the u flag, no look-around", async () => {
    const doc = await document();
    const patterns = [...schemas(doc)].flatMap((s) =>
      typeof s.pattern === "string" ? [s.pattern] : [],
    );
    expect(patterns.length).toBeGreaterThan(20);
    for (const pattern of new Set(patterns)) {
      expect(() => new RegExp(pattern, "u"), pattern).not.toThrow();
      expect(pattern, "look-around is not in every regex dialect (RE2, Go)").not.toMatch(
        /\(\?<?[=!]/,
      );
    }
  });
});
