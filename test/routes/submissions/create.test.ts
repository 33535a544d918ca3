import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectProblem, expectStatus } from "../../helpers.ts";
import { bucketKeys, countRows, fields, pdf, png, submitForm, submitJson } from "./helpers.ts";

type Receipt = {
  id: string;
  created_at: string;
  file: { name: string; content_type: string; size: number; sha256: string } | null;
};

const row = (id: string) =>
  env.DB.prepare("select * from submissions where id = ?")
    .bind(id)
    .first<Record<string, unknown>>();

afterEach(() => vi.restoreAllMocks());

describe("POST /api/v2/submissions (JSON)", () => {
  it("stores the submission with its audit entry, event and confirmation e-mail job in one batch", async () => {
    const receipt = await expectStatus<Receipt>(await submitJson(fields()), 201);
    expect(receipt.file).toBeNull();
    const stored = await row(receipt.id);
    expect(stored).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      file_key: null,
    });
    const audit = await env.DB.prepare(
      "select actor_type from audit_logs where action = 'submission.created' and resource_id = ?",
    )
      .bind(receipt.id)
      .first<{ actor_type: string }>();
    expect(audit?.actor_type).toBe("anonymous");
    const event = await env.DB.prepare(
      "select body from webhook_events where type = 'submission.created' and body like ?",
    )
      .bind(`%${receipt.id}%`)
      .first<{ body: string }>();
    expect(JSON.parse(event!.body).data).toMatchObject({
      id: receipt.id,
      email: "ada@example.com",
    });
    const job = await env.DB.prepare("select type, status, payload from jobs where id = ?")
      .bind(`submission-confirmation.${receipt.id}`)
      .first<{ type: string; payload: string }>();
    expect(job?.type).toBe("email.send");
    expect(JSON.parse(job!.payload).to).toEqual(["ada@example.com"]);
  });

  it("strips control characters, keeps the message's line breaks", async () => {
    const receipt = await expectStatus<Receipt>(
      await submitJson(
        fields({
          name: "Ada\u0000 Love\u202Elace\u0007",
          message: "line one\r\nline\u0000 two\t!",
        }),
      ),
      201,
    );
    expect(await row(receipt.id)).toMatchObject({
      name: "Ada Lovelace",
      message: "line one\nline two\t!",
    });
  });

  it("answers 422 with one entry per bad field", async () => {
    const body = await expectProblem(
      await submitJson({ name: "\u0000 ", email: "not-an-address", message: "x".repeat(5001) }),
      422,
      "validation",
    );
    expect(body.errors!.map((e) => e.path).sort()).toEqual(["email", "message", "name"]);
  });

  it("refuses fields it does not know (422) and a body that is not an object", async () => {
    const unknown = await expectProblem(await submitJson({ ...fields(), admin: true }), 422);
    expect(unknown.errors![0]!.message).toContain("admin");
    await expectProblem(await submitJson([fields()]), 422);
    await expectProblem(await submitJson("{not json"), 400, "malformed-json");
  });

  it("a filled-in honeypot gets a 201 and nothing is stored", async () => {
    const before = await countRows("submissions");
    const events = await countRows("webhook_events");
    const receipt = await expectStatus<Receipt>(
      await submitJson(fields({ website: "http://spam.example" })),
      201,
    );
    expect(receipt.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await countRows("submissions")).toBe(before);
    expect(await countRows("webhook_events")).toBe(events);
    expect(await row(receipt.id)).toBeNull();
  });

  it("the sixth submission in a minute from one IP is a 429 with Retry-After", async () => {
    const ip = "203.0.113.77";
    for (let i = 0; i < 5; i++) await expectStatus(await submitJson(fields(), { ip }), 201);
    const res = await submitJson(fields(), { ip });
    await expectProblem(res, 429, "rate-limited");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("ratelimit-policy")).toContain('"submissions";q=5;w=60');
    // Another address is not affected.
    await expectStatus(await submitJson(fields()), 201);
  });
});

describe("Turnstile", () => {
  const REAL = { TURNSTILE_SECRET: "0x4AAAAAAArealsecret" };

  it("a missing token is a 403, nothing stored", async () => {
    const before = await countRows("submissions");
    const { turnstile_token: _, ...rest } = fields();
    const body = await expectProblem(await submitJson(rest), 403, "forbidden");
    expect(body.detail).toMatch(/captcha/);
    expect(await countRows("submissions")).toBe(before);
  });

  it("Cloudflare's always-fail test secret is a 403 without a network call", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    await expectProblem(
      await submitJson(fields(), {
        overrides: { TURNSTILE_SECRET: "2x0000000000000000000000000000000AA" },
      }),
      403,
    );
    expect(spy).not.toHaveBeenCalled();
  });

  it("a real secret asks siteverify (secret, token, remote IP): success is a 201", async () => {
    const { mockSiteverify } = await import("./helpers.ts");
    const { sent } = mockSiteverify(() => Response.json({ success: true, hostname: "panel.test" }));
    await expectStatus(await submitJson(fields(), { ip: "198.51.100.9", overrides: REAL }), 201);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.get("secret")).toBe(REAL.TURNSTILE_SECRET);
    expect(sent[0]!.get("response")).toBe(fields().turnstile_token);
    expect(sent[0]!.get("remoteip")).toBe("198.51.100.9");
  });

  it("siteverify saying no is a 403", async () => {
    const { mockSiteverify } = await import("./helpers.ts");
    mockSiteverify(() =>
      Response.json({ success: false, "error-codes": ["invalid-input-response"] }),
    );
    await expectProblem(await submitJson(fields(), { overrides: REAL }), 403);
  });

  it.each([
    ["unreachable", () => Promise.reject(new TypeError("network down"))],
    ["a 500", () => new Response("oops", { status: 500 })],
    ["not JSON", () => new Response("<html>", { status: 200 })],
  ])("siteverify %s fails closed: 503 with Retry-After, nothing stored", async (_, reply) => {
    const { mockSiteverify } = await import("./helpers.ts");
    mockSiteverify(reply as () => Response);
    const before = await countRows("submissions");
    const res = await submitJson(fields(), { overrides: REAL });
    await expectProblem(res, 503, "service-unavailable");
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(await countRows("submissions")).toBe(before);
  });

  it("the widget's field name (cf-turnstile-response) is accepted in a form", async () => {
    const { mockSiteverify } = await import("./helpers.ts");
    const { sent } = mockSiteverify(() => Response.json({ success: true }));
    const { turnstile_token: _, ...rest } = fields();
    await expectStatus(
      await submitForm({ ...rest, "cf-turnstile-response": "widget-token" }, undefined, {
        overrides: REAL,
      }),
      201,
    );
    expect(sent[0]!.get("response")).toBe("widget-token");
  });
});

describe("POST /api/v2/submissions (multipart with a file)", () => {
  it("streams the file to R2 under submissions/{id}/{uuid} with its SHA-256 and sanitised name", async () => {
    const bytes = png("pixels");
    const receipt = await expectStatus<Receipt>(
      await submitForm(fields(), { name: "../../evil\u202Egnp.png", bytes, type: "image/png" }),
      201,
    );
    const expected = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    expect(receipt.file).toEqual({
      name: "evilgnp.png",
      content_type: "image/png",
      size: bytes.length,
      sha256: expected,
    });
    const stored = await row(receipt.id);
    expect(stored!.file_key).toMatch(
      new RegExp(
        `^submissions/${receipt.id}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
      ),
    );
    const object = await env.FILES.get(stored!.file_key as string);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(object!.customMetadata?.name).toBe("evilgnp.png");
  });

  it("decides the type from the bytes: a .png holding a PDF is stored as a PDF", async () => {
    const receipt = await expectStatus<Receipt>(
      await submitForm(fields(), { name: "photo.png", bytes: pdf("1 0 obj"), type: "image/png" }),
      201,
    );
    expect(receipt.file!.content_type).toBe("application/pdf");
    expect((await row(receipt.id))!.file_type).toBe("application/pdf");
  });

  it.each([
    ["an HTML page named .txt", "notes.txt", "<!DOCTYPE html><script>alert(1)</script>"],
    [
      "an SVG named .png",
      "image.png",
      '<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
    ],
    ["a binary file", "tool.pdf", new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03])],
  ])("refuses %s (422 on file) and leaves nothing in R2", async (_, name, bytes) => {
    const before = await bucketKeys("submissions/");
    const body = await expectProblem(await submitForm(fields(), { name, bytes }), 422);
    expect(body.errors).toEqual([{ path: "file", message: expect.stringMatching(/PDF, PNG/) }]);
    expect(await bucketKeys("submissions/")).toEqual(before);
  });

  it("10 MiB + 1 byte is a 413 and nothing is left in R2", async () => {
    const before = await bucketKeys("submissions/");
    const big = new Uint8Array(10 * 1024 * 1024 + 1).fill(0x61); // text: passes the type check
    const res = await submitForm(fields(), { name: "big.txt", bytes: big });
    await expectProblem(res, 413, "payload-too-large");
    expect(await bucketKeys("submissions/")).toEqual(before);
  });

  it("exactly 10 MiB is accepted (stored in 5 MiB parts)", async () => {
    const bytes = new Uint8Array(10 * 1024 * 1024).fill(0x62);
    const receipt = await expectStatus<Receipt>(
      await submitForm(fields(), { name: "ten.txt", bytes }),
      201,
    );
    expect(receipt.file).toMatchObject({ size: bytes.length, content_type: "text/plain" });
    const object = await env.FILES.head((await row(receipt.id))!.file_key as string);
    expect(object!.size).toBe(bytes.length);
  });

  it("a file whose validation fails after upload (bad e-mail) is deleted again", async () => {
    const before = await bucketKeys("submissions/");
    await expectProblem(
      await submitForm(fields({ email: "nope" }), { name: "a.pdf", bytes: pdf() }),
      422,
    );
    expect(await bucketKeys("submissions/")).toEqual(before);
  });

  it("a refused captcha after the upload leaves nothing either", async () => {
    const before = await bucketKeys("submissions/");
    await expectProblem(
      await submitForm(
        fields(),
        { name: "a.pdf", bytes: pdf() },
        { overrides: { TURNSTILE_SECRET: "2x0000000000000000000000000000000AA" } },
      ),
      403,
    );
    expect(await bucketKeys("submissions/")).toEqual(before);
  });

  it("an empty file input (no file chosen) is no file", async () => {
    const form = await submitForm(fields(), { name: "", bytes: new Uint8Array(0) });
    const receipt = await expectStatus<Receipt>(form, 201);
    expect(receipt.file).toBeNull();
  });

  it("a malformed multipart body is a 400 problem", async () => {
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch("https://panel.test/api/v2/submissions", {
      method: "POST",
      headers: {
        "content-type": "multipart/form-data; boundary=XYZ",
        "cf-connecting-ip": "198.51.100.200",
      },
      body: '--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nAda',
    });
    await expectProblem(res, 400, "bad-request");
  });

  it("a declared Content-Length over the limit is refused before reading (413)", async () => {
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch("https://panel.test/api/v2/submissions", {
      method: "POST",
      headers: {
        "content-type": "multipart/form-data; boundary=XYZ",
        "content-length": String(12 * 1024 * 1024),
        "cf-connecting-ip": "198.51.100.201",
      },
      body: "--XYZ--\r\n",
    });
    await expectProblem(res, 413);
  });
});
