import { describe, expect, it } from "vitest";
import { strictQueryRoute } from "../../src/lib/create-router.ts";
import { PaginationQuery } from "../../src/lib/pagination.ts";
import { api, expectProblem, expectStatus, seedUser } from "../helpers.ts";

describe("undeclared query parameters", () => {
  it("are a 400 problem naming each one, on every route that takes a query", async () => {
    const admin = await seedUser({ role: "admin" });
    for (const path of [
      "/api/v2/servers?limt=5",
      "/api/v2/users?limit=5&rol=admin",
      "/api/v2/api-keys?page=2",
      "/api/v2/audit-logs?from=2026-01-01T00:00:00Z",
      "/api/v1/servers?perpage=10",
    ]) {
      const body = await expectProblem(
        await api(path, { token: admin.access_token }),
        400,
        "unknown-query-parameter",
      );
      const unknown = [...new URL(path, "https://x").searchParams.keys()].at(-1)!;
      expect(body.errors, path).toEqual([
        { path: `query.${unknown}`, message: "is not a parameter of this operation" },
      ]);
      expect(body.detail).toContain(`"${unknown}"`);
    }
  });

  it("come before the other query problems, and declared parameters still work", async () => {
    const op = await seedUser({ role: "operator" });
    const res = await api("/api/v2/servers?limit=0&x=1&y=2", { token: op.access_token });
    const body = await expectProblem(res, 400, "unknown-query-parameter");
    expect(body.errors?.map((e) => e.path)).toEqual(["query.x", "query.y"]);
    await expectProblem(await api("/api/v2/servers?limit=0", { token: op.access_token }), 422);
    await expectStatus(
      await api("/api/v2/servers?limit=5&sort=name&environment=staging", {
        token: op.access_token,
      }),
      200,
    );
  });

  it("are left alone on the OAuth callback, where the provider adds its own", async () => {
    // Google's callback carries scope, authuser, prompt and iss besides code and state.
    const res = await api(
      "/api/v2/auth/oauth/google?state=s&code=c&scope=email%20openid&authuser=0&prompt=consent&iss=https%3A%2F%2Faccounts.google.com",
    );
    // Past validation: refused only for the missing state cookie.
    await expectProblem(res, 401, "unauthorized");
  });

  it("are not checked on routes that declare no query", async () => {
    const op = await seedUser({ role: "operator" });
    await expectStatus(await api("/api/v2/auth/me?verbose=1", { token: op.access_token }), 200);
  });
});

describe("strictQueryRoute", () => {
  const route = {
    request: { query: PaginationQuery },
    responses: { 200: { description: "ok" } },
  };

  it("makes the query strict and documents the 400", () => {
    const strict = strictQueryRoute(route);
    expect(strict.request.query.safeParse({ limit: "5", other: "1" }).success).toBe(false);
    expect(strict.request.query.safeParse({ limit: "5" }).success).toBe(true);
    expect((strict.responses as Record<number, { description: string }>)[400]?.description).toMatch(
      /unknown_query_parameter/,
    );
    expect(route.request.query.safeParse({ other: "1" }).success).toBe(true); // not mutated
  });

  it("keeps a query declared loose, and routes without a query, as they are", () => {
    const loose = { ...route, request: { query: PaginationQuery.loose() } };
    expect(strictQueryRoute(loose)).toBe(loose);
    const none = { responses: {} };
    expect(strictQueryRoute(none)).toBe(none);
  });
});
