import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_DEFAULTS } from "../../../src/env.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { exportDownloadPath } from "../../../src/queues/jobs/submission-export.ts";
import { signLink } from "../../../src/services/submissions/links.ts";
import { api, expectProblem, expectStatus, type Session, seedUser } from "../../helpers.ts";
import { deliver, job } from "../../queues/helpers.ts";

let admin: Session;
let operator: Session;

/** RFC 4180 parser for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      if (field !== "") throw new Error(`stray quote at ${i}`);
      quoted = true;
    } else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else if (ch === "\n" || ch === "\r") throw new Error(`bare line break at ${i}`);
    else field += ch;
  }
  if (quoted) throw new Error("unterminated quote");
  if (field !== "" || row.length) throw new Error("last record without CRLF");
  return rows;
}

const ROWS = 10_000;
const TRICKY = [
  '=HYPERLINK("http://evil.example","click")',
  "+1+2",
  "-2+3",
  "@SUM(A1:A2)",
  "\tindented",
  "\rcarriage",
  'quote " and, comma\r\nand line break',
];

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  const start = Date.now() - 60_000;
  const stmts = [];
  for (let i = 0; i < ROWS; i++) {
    const message = i < TRICKY.length ? TRICKY[i]! : `message number ${i}`;
    stmts.push(
      env.DB.prepare(
        "insert into submissions (id, name, email, message, created_at) values (?, ?, ?, ?, ?)",
      ).bind(uuidv7(start + i), `Person ${i}`, `p${i}@example.com`, message, nowIso(start + i)),
    );
  }
  for (let i = 0; i < stmts.length; i += 500) await env.DB.batch(stmts.slice(i, i + 500));
});

async function runExport(body: Record<string, unknown>) {
  const res = await api("/api/v2/submissions/exports", {
    method: "POST",
    token: admin.access_token,
    body,
  });
  const queued = await expectStatus<{ job_id: string; status: string }>(res, 202);
  expect(res.headers.get("location")).toBe(`/api/v2/jobs/${queued.job_id}`);
  const row = await job(queued.job_id);
  const { result } = await deliver([
    {
      job_id: queued.job_id,
      type: "submission.export",
      payload: JSON.parse(row!.payload as string),
      enqueued_at: nowIso(),
    },
  ]);
  expect(result.explicitAcks).toHaveLength(1);
  const done = await job(queued.job_id);
  expect(done!.status).toBe("succeeded");
  return {
    res,
    jobId: queued.job_id,
    result: JSON.parse(done!.result as string) as {
      rows: number;
      bytes: number;
      download_url: string;
      expires_at: string;
    },
  };
}

const download = (url: string) => {
  const u = new URL(url);
  return api(`${u.pathname}${u.search}`);
};

describe("POST /api/v2/submissions/exports", () => {
  it("exports 10,000 rows to valid RFC 4180 CSV behind a 15-minute signed link", async () => {
    const { result } = await runExport({ format: "csv" });
    expect(result.rows).toBe(ROWS);
    const expiresIn = Date.parse(result.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    expect(result.download_url).toMatch(/^https:\/\/panel\.test\/api\/v2\/submissions\/exports\//);
    // No credentials: the signature is the authorisation.
    const res = await download(result.download_url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="submissions-/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const raw = new Uint8Array(await res.arrayBuffer());
    expect(raw[0]).toBe(0x69); // "id": no BOM in plain CSV
    const text = new TextDecoder().decode(raw);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(ROWS + 1);
    expect(rows[0]).toEqual([
      "id",
      "created_at",
      "name",
      "email",
      "message",
      "file_name",
      "file_type",
      "file_size",
      "file_sha256",
    ]);
    expect(rows.slice(1).every((r) => r.length === 9)).toBe(true);
    // Plain CSV keeps values as they are, round trip included.
    expect(rows.slice(1, 1 + TRICKY.length).map((r) => r[4])).toEqual(TRICKY);
    expect(rows.at(-1)![4]).toBe(`message number ${ROWS - 1}`);
    expect(result.bytes).toBe(new TextEncoder().encode(text).length);
  });

  it("xlsx_csv starts with a BOM and neutralises formula cells", async () => {
    const { result } = await runExport({
      format: "xlsx_csv",
      q: "hyperlink OR sum OR indented OR carriage OR quote",
    });
    const bytes = new Uint8Array(await (await download(result.download_url)).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the UTF-8 BOM
    const rows = parseCsv(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.slice(3)),
    );
    const messages = rows.slice(1).map((r) => r[4]);
    expect(messages).toEqual(
      expect.arrayContaining([
        '\'=HYPERLINK("http://evil.example","click")',
        "'@SUM(A1:A2)",
        "'\tindented",
        "'\rcarriage",
        'quote " and, comma\r\nand line break',
      ]),
    );
    for (const m of messages) expect(m).not.toMatch(/^[=+\-@\t\r]/);
  });

  it("a tampered or expired link is a 403; a link for another export opens nothing", async () => {
    const { result, jobId } = await runExport({
      format: "csv",
      since: nowIso(Date.now() - 10_000),
    });
    const url = new URL(result.download_url);
    const params = new URLSearchParams(url.search);
    const sig = params.get("signature")!;
    params.set("signature", `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`);
    await expectProblem(await api(`${url.pathname}?${params}`), 403);
    const expired = await signLink(
      DEVELOPMENT_DEFAULTS.JWT_SECRET,
      "https://panel.test",
      exportDownloadPath(jobId),
      15 * 60,
      Date.now() - 16 * 60_000,
    );
    const body = await expectProblem(await download(expired.url), 403);
    expect(body.detail).toMatch(/expired/);
    await expectProblem(await api(`${exportDownloadPath("another-job")}${url.search}`), 403);
  });

  it("costs 10 units of the caller's rate limit", async () => {
    const { res } = await runExport({ format: "csv", since: nowIso() });
    const remaining = Number(/"user";r=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]);
    const before = await api("/api/v2/auth/me", { token: admin.access_token });
    const after = Number(/"user";r=(\d+)/.exec(before.headers.get("ratelimit") ?? "")?.[1]);
    expect(remaining - after).toBe(1);
    const fresh = await seedUser({ role: "admin" });
    const first = await api("/api/v2/submissions/exports", {
      method: "POST",
      token: fresh.access_token,
      body: { format: "csv" },
    });
    expect(first.headers.get("ratelimit")).toMatch(/"user";r=990;/);
  });

  it("is for admins; a malformed query is a 400 before any job; bad bodies 422", async () => {
    await expectProblem(
      await api("/api/v2/submissions/exports", {
        method: "POST",
        token: operator.access_token,
        body: { format: "csv" },
      }),
      403,
    );
    const jobs = (await env.DB.prepare("select count(*) as n from jobs").first<{ n: number }>())!.n;
    await expectProblem(
      await api("/api/v2/submissions/exports", {
        method: "POST",
        token: admin.access_token,
        body: { format: "csv", q: '"open' },
      }),
      400,
    );
    expect((await env.DB.prepare("select count(*) as n from jobs").first<{ n: number }>())!.n).toBe(
      jobs,
    );
    await expectProblem(
      await api("/api/v2/submissions/exports", {
        method: "POST",
        token: admin.access_token,
        body: { format: "xlsx" },
      }),
      422,
    );
  });
});
