import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clearCredentialCaches } from "../../../src/services/auth/credential-cache.ts";
import {
  expectProblem,
  expectStatus,
  PASSWORD,
  PRODUCTION_VARS,
  type Session,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../../helpers.ts";
import { serverBody } from "../servers/fixtures.ts";
import { call, capturingQueue } from "./helpers.ts";

let op: Session;
/** The same operator's token as issued by a production deployment (its own JWT secret). */
let prod: Session;
const q = capturingQueue();
beforeAll(async () => {
  await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
  prod = await expectStatus<Session>(
    await call(q, "/api/v2/auth/register", {
      overrides: PRODUCTION_VARS,
      method: "POST",
      headers: { "cf-connecting-ip": uniqueIp() },
      body: { email: uniqueEmail("prod-op"), password: PASSWORD, name: "Prod Operator" },
    }),
    201,
  );
  await env.DB.prepare("update users set role = 'operator' where id = ?").bind(prod.user.id).run();
  clearCredentialCaches();
});

/**
 * One table for both kinds of user-supplied outbound URL, judged by the one
 * outbound URL policy: webhook endpoints and health-check probes. Outside
 * development every one of these is refused at the API with a 422 naming the field.
 */
const REFUSED = [
  // loopback, in every spelling the URL parser folds into 127.0.0.1 / ::1
  "https://127.0.0.1/hook",
  "https://127.1/hook",
  "https://2130706433/hook",
  "https://0x7f000001/hook",
  "https://0177.0.0.1/hook",
  "https://0x7f.1/hook",
  "https://[::1]/hook",
  "https://localhost/hook",
  "https://api.localhost/hook",
  "https://LOCALHOST./hook",
  // unspecified
  "https://0.0.0.0/hook",
  "https://[::]/hook",
  // private, link-local (cloud metadata), carrier-grade NAT
  "https://10.0.0.1/hook",
  "https://172.16.5.4/hook",
  "https://192.168.1.1/hook",
  "https://3232235777/hook",
  "https://169.254.169.254/latest/meta-data/",
  "https://0xa9fea9fe/",
  "https://100.64.0.1/hook",
  "https://[fd00::1]/hook",
  "https://[fe80::1]/hook",
  // multicast, IPv4-mapped IPv6
  "https://224.0.0.1/hook",
  "https://[ff02::1]/hook",
  "https://[::ffff:127.0.0.1]/hook",
  "https://[::ffff:a9fe:a9fe]/hook",
  // internal names, credentials, odd ports
  "https://metadata.google.internal/hook",
  "https://printer.local/hook",
  "https://user:pass@hooks.example.com/hook",
  "https://hooks.example.com:6379/hook",
  "https://hooks.example.com:22/hook",
];

const ACCEPTED = [
  "https://hooks.example.com/edgepanel",
  "https://hooks.example.com:8443/edgepanel",
  "https://93.184.215.14/hook",
  "https://[2606:4700:4700::1111]/hook",
  "https://sub.domain.example.org/a/b?c=d",
];

const production = { overrides: PRODUCTION_VARS };

async function expectRefused(res: Response, field: string) {
  const problem = await expectProblem(res, 422, "validation");
  expect(problem.errors?.map((e) => e.path)).toEqual([field]);
  expect(problem.errors![0]!.message).toMatch(/^must /);
}

describe("outbound URL policy: one table for webhooks and probes (production)", () => {
  it("has at least 25 refused spellings", () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(25);
  });

  it.each(REFUSED)("refuses %j as a webhook URL and as a health-check URL", async (url) => {
    await expectRefused(
      await call(q, "/api/v2/webhooks", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: { url, events: ["*"] },
      }),
      "url",
    );
    await expectRefused(
      await call(q, "/api/v2/servers", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: serverBody({ health_check_url: url }),
      }),
      "health_check_url",
    );
  });

  it.each(ACCEPTED)("accepts the public URL %j for both", async (url) => {
    await expectStatus(
      await call(q, "/api/v2/webhooks", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: { url, events: ["*"] },
      }),
      201,
    );
    await expectStatus(
      await call(q, "/api/v2/servers", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: serverBody({ health_check_url: url }),
      }),
      201,
    );
  });

  it("webhooks are https-only outside development; probes may use http", async () => {
    await expectRefused(
      await call(q, "/api/v2/webhooks", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: { url: "http://hooks.example.com/x", events: ["*"] },
      }),
      "url",
    );
    await expectStatus(
      await call(q, "/api/v2/servers", {
        ...production,
        method: "POST",
        token: prod.access_token,
        body: serverBody({ health_check_url: "http://hooks.example.com/x" }),
      }),
      201,
    );
  });

  it("development allows loopback on any port, so a local receiver works", async () => {
    await expectStatus(
      await call(q, "/api/v2/webhooks", {
        method: "POST",
        token: op.access_token,
        body: { url: "http://127.0.0.1:9999/hooks", events: ["*"] },
      }),
      201,
    );
    await expectRefused(
      await call(q, "/api/v2/webhooks", {
        method: "POST",
        token: op.access_token,
        body: { url: "http://10.0.0.1/hooks", events: ["*"] },
      }),
      "url",
    );
  });
});
