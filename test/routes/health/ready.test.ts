import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ReadySchema } from "../../../src/routes/health/ready.ts";
import { fetchWith, throwingD1 } from "../../app/broken-env.ts";
import { api, expectBody, expectProblem, expectStatus, sealAudit } from "../../helpers.ts";

describe("GET /health/ready", () => {
  it("reports D1 and KV ok with latencies", async () => {
    const body = await expectStatus<{
      status: string;
      checks: Record<string, { status: string; latency_ms: number }>;
    }>(await api("/health/ready"), 200);
    expect(body.status).toBe("ok");
    expect(body.checks.d1!.status).toBe("ok");
    expect(body.checks.kv!.status).toBe("ok");
    expect(body.checks.d1!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it("is a 503 problem naming D1 when D1 throws, without its message", async () => {
    const res = await fetchWith({ DB: throwingD1() }, "/health/ready");
    const text = await res.clone().text();
    const body = await expectProblem(res, 503, "service-unavailable");
    expect(body.detail).toContain("d1");
    const checks = (
      body as unknown as { checks: Record<string, { status: string; error?: string }> }
    ).checks;
    expect(checks.d1!.status).toBe("error");
    expect(checks.kv!.status).toBe("ok");
    expect(text).not.toContain("secret_internal_table");
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("is a 503 problem naming KV when KV throws", async () => {
    const brokenKv = { get: () => Promise.reject(new Error("kv down")) } as unknown as KVNamespace;
    const body = await expectProblem(await fetchWith({ CACHE: brokenKv }, "/health/ready"), 503);
    expect(body.detail).toContain("kv");
  });

  it("is degraded (still 200) when the oldest unsealed audit entry is older than 60 s", async () => {
    await sealAudit();
    const fresh = await expectStatus<{
      status: string;
      checks: { audit_sealing: { status: string; unsealed: number } };
    }>(await api("/health/ready"), 200);
    expect(fresh.status).toBe("ok");
    expect(fresh.checks.audit_sealing).toMatchObject({ status: "ok", unsealed: 0 });

    await env.DB.prepare(
      "insert into audit_logs (id, created_at, actor_type, action, resource_type) values ('lagging', ?, 'system', 'test.lag', 'test')",
    )
      .bind(new Date(Date.now() - 90_000).toISOString())
      .run();
    const lagging = await expectStatus<{
      status: string;
      checks: {
        audit_sealing: { status: string; unsealed: number; oldest_unsealed_seconds: number };
      };
    }>(await api("/health/ready"), 200);
    expect(lagging.status).toBe("degraded");
    expect(lagging.checks.audit_sealing.status).toBe("degraded");
    expect(lagging.checks.audit_sealing.unsealed).toBe(1);
    expect(lagging.checks.audit_sealing.oldest_unsealed_seconds).toBeGreaterThanOrEqual(89);

    await sealAudit();
    const caughtUp = await expectBody(await api("/health/ready"), 200, ReadySchema);
    expect(caughtUp.status).toBe("ok");
  });
});

describe("GET /health/ready: R2 and Durable Objects", () => {
  it("reports both R2 buckets and the rate limiter with latencies", async () => {
    const body = await expectStatus<{
      checks: Record<string, { status: string; latency_ms: number }>;
    }>(await api("/health/ready"), 200);
    for (const name of ["r2_files", "r2_backups", "rate_limiter"]) {
      expect(body.checks[name], name).toMatchObject({ status: "ok" });
      expect(body.checks[name]!.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    ["FILES", "r2_files"],
    ["BACKUPS", "r2_backups"],
  ])("is a 503 naming %s when that bucket fails", async (binding, check) => {
    const broken = { head: () => Promise.reject(new Error("r2 down")) } as unknown as R2Bucket;
    const body = await expectProblem(await fetchWith({ [binding]: broken }, "/health/ready"), 503);
    expect(body.detail).toContain(check);
  });

  it("is a 503 naming the rate limiter when its Durable Object fails", async () => {
    const broken = {
      idFromName: () => ({}),
      get: () => ({ peek: () => Promise.reject(new Error("do down")) }),
    } as unknown as Env["RATE_LIMITER"];
    const body = await expectProblem(
      await fetchWith({ RATE_LIMITER: broken, RATE_LIMITING: "off" }, "/health/ready"),
      503,
    );
    expect(body.detail).toContain("rate_limiter");
  });
});
