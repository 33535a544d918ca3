import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { Bindings } from "../../../src/env.ts";
import { fetchWith } from "../../app/broken-env.ts";
import { api, BASE, uniqueIp } from "../../helpers.ts";

export const fields = (overrides: Record<string, string> = {}) => ({
  name: "Ada Lovelace",
  email: "ada@example.com",
  message: "I would like a demo of the analytical engine.",
  turnstile_token: "XXXX.DUMMY.TOKEN.XXXX",
  ...overrides,
});

export interface Upload {
  name: string;
  bytes: Uint8Array | string;
  type?: string;
}

/** A multipart body as a browser builds it, with the file where the caller puts it. */
export function formBody(values: Record<string, string>, file?: Upload): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(values)) form.append(k, v);
  if (file) {
    const bytes =
      typeof file.bytes === "string" ? new TextEncoder().encode(file.bytes) : file.bytes;
    form.append(
      "file",
      new File([bytes], file.name, { type: file.type ?? "application/octet-stream" }),
    );
  }
  return form;
}

/** POST /api/v2/submissions as JSON, from a fresh IP unless one is given. */
export function submitJson(
  body: unknown,
  {
    ip = uniqueIp(),
    overrides,
  }: { ip?: string; overrides?: Partial<Bindings> & Record<string, unknown> } = {},
) {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify(body),
  };
  return overrides
    ? fetchWith(overrides, "/api/v2/submissions", init)
    : api("/api/v2/submissions", { method: "POST", body, headers: { "cf-connecting-ip": ip } });
}

/** POST /api/v2/submissions as multipart/form-data. */
export async function submitForm(
  values: Record<string, string>,
  file?: Upload,
  {
    ip = uniqueIp(),
    overrides,
  }: { ip?: string; overrides?: Partial<Bindings> & Record<string, unknown> } = {},
) {
  const request = new Request(`${BASE}/api/v2/submissions`, {
    method: "POST",
    headers: { "cf-connecting-ip": ip },
    body: formBody(values, file),
  });
  if (overrides)
    return fetchWith(overrides, "/api/v2/submissions", {
      method: "POST",
      headers: request.headers,
      body: await request.arrayBuffer(),
    });
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(request);
}

/** Every key in the FILES bucket (all pages). */
export async function bucketKeys(prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

export const countRows = async (table: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())!.n;

/** Mocks Cloudflare's siteverify (the outside world) and records what was sent. */
export function mockSiteverify(reply: (form: URLSearchParams) => Response | Promise<Response>) {
  const sent: URLSearchParams[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url !== "https://challenges.cloudflare.com/turnstile/v0/siteverify")
      throw new TypeError(`network unreachable: ${req.url}`);
    const form = new URLSearchParams(await req.text());
    sent.push(form);
    return reply(form);
  });
  return { spy, sent };
}

/** A minimal PNG signature (8 bytes) followed by `rest`. */
export const png = (rest = "") =>
  new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...new TextEncoder().encode(rest),
  ]);

export const pdf = (rest = "") => new TextEncoder().encode(`%PDF-1.7\n${rest}\n%%EOF\n`);
