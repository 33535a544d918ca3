import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ServerSchema } from "../../../src/routes/servers/schemas.ts";
import { clearCredentialCaches } from "../../../src/services/auth/credential-cache.ts";
import { fetchWith } from "../../app/broken-env.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  PASSWORD,
  PRODUCTION_VARS,
  type Session,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../../helpers.ts";
import { createServer, serverBody } from "./fixtures.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

/** Asserts a 422 whose only entry names health_check_url, and returns its message. */
async function expectUrlRefused(res: Response) {
  const problem = await expectProblem(res, 422, "validation");
  expect(problem.errors).toHaveLength(1);
  expect(problem.errors![0]!.path).toBe("health_check_url");
  expect(problem.errors![0]!.message).toMatch(/^must /);
  return problem.errors![0]!.message;
}

// Refused in every environment, development included (the tests' default).
const ALWAYS_REFUSED = [
  "http://10.0.0.1/",
  "http://169.254.169.254/latest/meta-data/",
  "http://0xa9fea9fe/",
  "http://0.0.0.0:9911/",
  "http://[::ffff:127.0.0.1]/",
  "http://[fd00::1]/",
  "http://100.64.0.1/",
  "http://metadata.google.internal/",
  "https://user:pass@example.com/",
  "ftp://example.com/",
];

describe("health_check_url is checked by the outbound URL policy at the API", () => {
  it.each(ALWAYS_REFUSED)(
    "POST /api/v2/servers refuses %j with a 422 naming the field",
    async (url) => {
      const res = await api("/api/v2/servers", {
        method: "POST",
        token: op.access_token,
        body: serverBody({ health_check_url: url }),
      });
      await expectUrlRefused(res);
    },
  );

  it("PATCH /api/v2/servers/{id} refuses a private URL and leaves the server unchanged", async () => {
    const s = await createServer(op.access_token, { health_check_url: "https://ok.example.com/" });
    const message = await expectUrlRefused(
      await api(`/api/v2/servers/${s.id}`, {
        method: "PATCH",
        token: op.access_token,
        body: { health_check_url: "http://192.168.0.1/admin" },
      }),
    );
    expect(message).toContain("private");
    const after = await expectBody(
      await api(`/api/v2/servers/${s.id}`, { token: op.access_token }),
      200,
      ServerSchema,
    );
    expect(after.health_check_url).toBe("https://ok.example.com/");
  });

  it("the legacy v1 POST and PUT refuse it the same way", async () => {
    const v1 = {
      name: `v1-ssrf-${Date.now().toString(36)}`,
      hostname: "legacy.example.com",
      port: 443,
      env: "production",
      health_check_url: "http://169.254.169.254/",
    };
    await expectUrlRefused(
      await api("/api/v1/servers", { method: "POST", token: op.access_token, body: v1 }),
    );
    const s = await createServer(op.access_token);
    await expectUrlRefused(
      await api(`/api/v1/servers/${s.id}`, {
        method: "PUT",
        token: op.access_token,
        body: { ...v1, health_check_url: "http://[::ffff:a9fe:a9fe]/" },
      }),
    );
  });

  it("development may point at loopback on any port (the demo servers probe the dev server itself)", async () => {
    for (const url of ["http://127.0.0.1:8787/health/live", "http://localhost:9911/"]) {
      await createServer(op.access_token, { health_check_url: url });
    }
  });

  it("public URLs and null are accepted", async () => {
    await createServer(op.access_token, { health_check_url: "https://web-1.example.com:8443/" });
    await createServer(op.access_token, { health_check_url: "http://example.com/healthz" });
    const s = await createServer(op.access_token, { health_check_url: null });
    await expectStatus(
      await api(`/api/v2/servers/${s.id}`, {
        method: "PATCH",
        token: op.access_token,
        body: { health_check_url: "https://8.8.8.8/" },
      }),
      200,
    );
  });

  it("an over-long URL gets one message, not one per rule", async () => {
    const message = await expectUrlRefused(
      await api("/api/v2/servers", {
        method: "POST",
        token: op.access_token,
        body: serverBody({ health_check_url: `http://10.0.0.1/${"a".repeat(2100)}` }),
      }),
    );
    expect(message).toMatch(/2048/);
  });

  it("the OpenAPI document describes the policy on the field", async () => {
    const doc = await expectStatus<{
      components: {
        schemas: Record<string, { properties: Record<string, { description?: string }> }>;
      };
    }>(await api("/openapi.json"), 200);
    for (const name of ["CreateServerRequest", "UpdateServerRequest", "ServerV1Request"]) {
      const description = doc.components.schemas[name]!.properties.health_check_url!.description;
      expect(description, name).toMatch(/loopback/);
      expect(description, name).toMatch(/8443/);
    }
  });
});

async function inProduction(
  path: string,
  init: { method?: string; token?: string; body?: unknown },
) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "cf-connecting-ip": uniqueIp(),
  };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetchWith(PRODUCTION_VARS, path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

describe("in production", () => {
  let token: string;
  beforeAll(async () => {
    const session = await expectStatus<Session>(
      await inProduction("/api/v2/auth/register", {
        method: "POST",
        body: { email: uniqueEmail("prod-op"), password: PASSWORD, name: "Prod Operator" },
      }),
      201,
    );
    await env.DB.prepare("update users set role = 'operator' where id = ?")
      .bind(session.user.id)
      .run();
    clearCredentialCaches();
    token = session.access_token;
  });

  it.each([
    "http://127.0.0.1:9911/",
    "http://[::1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://localhost/",
    "http://app.localhost/",
  ])("refuses loopback %j", async (url) => {
    const message = await expectUrlRefused(
      await inProduction("/api/v2/servers", {
        method: "POST",
        token,
        body: serverBody({ health_check_url: url }),
      }),
    );
    expect(message).toContain("loopback");
  });

  it("refuses ports other than 80, 443 and 8443", async () => {
    const message = await expectUrlRefused(
      await inProduction("/api/v2/servers", {
        method: "POST",
        token,
        body: serverBody({ health_check_url: "https://example.com:22/" }),
      }),
    );
    expect(message).toBe("must use port 80, 443 or 8443");
  });

  it("accepts a public URL", async () => {
    await expectStatus(
      await inProduction("/api/v2/servers", {
        method: "POST",
        token,
        body: serverBody({ health_check_url: "https://example.com:8443/healthz" }),
      }),
      201,
    );
  });
});
