import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_DEFAULTS } from "../../../src/env.ts";
import { SubmissionListSchema } from "../../../src/routes/submissions/schemas.ts";
import { signLink } from "../../../src/services/submissions/links.ts";
import { api, expectProblem, expectStatus, type Session, seedUser } from "../../helpers.ts";
import { fields, png, submitForm, submitJson } from "./helpers.ts";

let admin: Session;
let operator: Session;
let viewer: Session;
const ids: string[] = [];

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
  const messages = [
    "The quick brown fox asks for a quote",
    "Pricing question: how much for twenty servers?",
    "A brown quick dog (not a phrase match)",
    "Bonjour, je voudrais une démonstration",
    "<script>alert('x')</script> quick injection attempt",
  ];
  for (const message of messages) {
    const r = await expectStatus<{ id: string }>(await submitJson(fields({ message })), 201);
    ids.push(r.id);
  }
});

const list = async (query: string, token = admin.access_token) =>
  api(`/api/v2/submissions${query}`, { token });

describe("GET /api/v2/submissions", () => {
  it("is for admins: operators and viewers 403, anonymous 401", async () => {
    await expectProblem(await list("", operator.access_token), 403);
    await expectProblem(await list("", viewer.access_token), 403);
    await expectProblem(await api("/api/v2/submissions"), 401);
  });

  it("pages newest first with a cursor, parsed by the route's own schema", async () => {
    const first = SubmissionListSchema.parse(await expectStatus(await list("?limit=2"), 200));
    expect(first.data.map((s) => s.id)).toEqual([ids[4], ids[3]]);
    expect(first.next_cursor).toBeTruthy();
    const second = SubmissionListSchema.parse(
      await expectStatus(await list(`?limit=2&cursor=${first.next_cursor}`), 200),
    );
    expect(second.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    await expectProblem(await list("?cursor=garbage!"), 400);
  });

  it("filters by since/until", async () => {
    const since = (await env.DB.prepare("select created_at from submissions where id = ?")
      .bind(ids[3])
      .first<{ created_at: string }>())!.created_at;
    const page = SubmissionListSchema.parse(
      await expectStatus(await list(`?since=${encodeURIComponent(since)}`), 200),
    );
    expect(page.data.map((s) => s.id)).toEqual([ids[4], ids[3]]);
    const until = SubmissionListSchema.parse(
      await expectStatus(await list(`?until=${encodeURIComponent(since)}`), 200),
    );
    expect(until.data.map((s) => s.id)).not.toContain(ids[3]);
    expect(until.data.map((s) => s.id)).toContain(ids[2]);
    await expectProblem(await list("?since=yesterday"), 422);
  });

  it("searches: a phrase matches only words in that order", async () => {
    const page = SubmissionListSchema.parse(
      await expectStatus(await list(`?q=${encodeURIComponent('"quick brown"')}`), 200),
    );
    expect(page.data.map((s) => s.id)).toEqual([ids[0]]);
    expect(page.data[0]!.snippet).toBe("The <mark>quick brown</mark> fox asks for a quote");
  });

  it("searches by prefix and ignores diacritics", async () => {
    const prefix = SubmissionListSchema.parse(await expectStatus(await list("?q=pric*"), 200));
    expect(prefix.data.map((s) => s.id)).toEqual([ids[1]]);
    const accent = SubmissionListSchema.parse(
      await expectStatus(await list("?q=demonstration"), 200),
    );
    expect(accent.data.map((s) => s.id)).toEqual([ids[3]]);
  });

  it("snippets escape the submitter's HTML and mark only the match", async () => {
    const page = SubmissionListSchema.parse(await expectStatus(await list("?q=injection"), 200));
    expect(page.data[0]!.snippet).toContain("&#60;script&#62;");
    expect(page.data[0]!.snippet).not.toContain("<script>");
    expect(page.data[0]!.snippet).toContain("<mark>injection</mark>");
  });

  it.each(['"unterminated', "quick AND", "(brown", "nosuchcolumn:fox", "*"])(
    "a malformed query (%s) is a 400 problem, not a 500",
    async (q) => {
      const body = await expectProblem(
        await list(`?q=${encodeURIComponent(q)}`),
        400,
        "bad-request",
      );
      expect(body.errors).toEqual([{ path: "query.q", message: "malformed full-text query" }]);
    },
  );
});

describe("file downloads", () => {
  it("an admin's signed link downloads the file as an attachment, never inline", async () => {
    // A PNG header followed by an HTML payload: stored as PNG, and never rendered.
    const payload = png("<html><script>alert(document.cookie)</script></html>");
    const receipt = await expectStatus<{ id: string }>(
      await submitForm(fields(), { name: "cute cat.html", bytes: payload, type: "text/html" }),
      201,
    );
    const page = SubmissionListSchema.parse(await expectStatus(await list("?limit=1"), 200));
    const file = page.data.find((s) => s.id === receipt.id)!.file!;
    expect(file.content_type).toBe("image/png");
    const url = new URL(file.download_url);
    expect(url.origin).toBe("https://panel.test");
    const res = await api(`${url.pathname}${url.search}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="cute cat.html"/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    // The global chain's headers survive a streamed file response.
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("ratelimit-policy")).toBeTruthy();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(payload);
  });

  it("a tampered, foreign or expired link is a 403", async () => {
    const receipt = await expectStatus<{ id: string }>(
      await submitForm(fields(), { name: "a.png", bytes: png() }),
      201,
    );
    const path = `/api/v2/submissions/${receipt.id}/file`;
    const good = new URL(
      (await signLink(DEVELOPMENT_DEFAULTS.JWT_SECRET, "https://panel.test", path, 300)).url,
    );
    const tampered = new URLSearchParams(good.search);
    const sig = tampered.get("signature")!;
    tampered.set("signature", `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`);
    await expectProblem(await api(`${path}?${tampered}`), 403);
    const later = new URLSearchParams(good.search);
    later.set("expires", String(Number(later.get("expires")) + 3600));
    await expectProblem(await api(`${path}?${later}`), 403);
    // A valid signature for another submission's file does not open this one.
    await expectProblem(await api(`/api/v2/submissions/${ids[0]}/file${good.search}`), 403);
    const expired = new URL(
      (
        await signLink(
          DEVELOPMENT_DEFAULTS.JWT_SECRET,
          "https://panel.test",
          path,
          300,
          Date.now() - 600_000,
        )
      ).url,
    );
    const body = await expectProblem(await api(`${path}${expired.search}`), 403);
    expect(body.detail).toMatch(/expired/);
    expect((await api(`${path}${good.search}`)).status).toBe(200);
  });

  it("a submission without a file is a 404 even with a valid link", async () => {
    const path = `/api/v2/submissions/${ids[0]}/file`;
    const link = new URL(
      (await signLink(DEVELOPMENT_DEFAULTS.JWT_SECRET, "https://panel.test", path, 300)).url,
    );
    await expectProblem(await api(`${path}${link.search}`), 404);
  });
});
