import { describe, expect, it } from "vitest";
import { SCALAR_SCRIPT } from "../../../src/routes/docs/page.ts";
import { api } from "../../helpers.ts";

/** The CSP as a map of directive → sources. */
function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(
    csp.split(";").map((d) => {
      const [name = "", ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const nonceOf = (res: Response) =>
  /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];

/** The configuration object the page passes to Scalar.createApiReference. */
function scalarConfig(html: string): Record<string, unknown> {
  const json = /Scalar\.createApiReference\("#app", (\{.*\})\);<\/script>/.exec(html)?.[1];
  expect(json, html).toBeTruthy();
  return JSON.parse(json!);
}

async function cachedDocs(): Promise<Response> {
  for (let i = 0; i < 40; i++) {
    const res = await api("/docs");
    if (res.headers.get("x-cache") === "HIT") return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 25)); // the store happens in waitUntil
  }
  throw new Error("/docs never came from the edge cache");
}

describe("GET /docs", () => {
  it("loads Scalar from this origin under a CSP without CDNs, eval or inline <style>", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const nonce = nonceOf(res)!;
    expect(nonce).toBeTruthy();

    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts).toContain(`<script nonce="${nonce}" src="${SCALAR_SCRIPT}">`);
    for (const tag of scripts)
      expect(/^<script nonce="([^"]*)"[ >]/.exec(tag)?.[1], tag).toBe(nonce);
    expect(html).not.toMatch(/\bsrc="(https?:)?\/\//);
    expect(html).toContain(`<meta property="csp-nonce" content="${nonce}">`);

    const csp = directives(res.headers.get("content-security-policy")!);
    expect(csp["default-src"]).toEqual(["'none'"]);
    expect(csp["script-src"]).toEqual([`'nonce-${nonce}'`]);
    expect(csp["style-src"]).toEqual(["'self'", `'nonce-${nonce}'`]);
    // Inline style="…" attributes only; <style> elements need the nonce.
    expect(csp["style-src-attr"]).toEqual(["'unsafe-inline'"]);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["font-src"]).toEqual(["'self'"]);
    const all = Object.values(csp).flat();
    expect(all).not.toContain("'unsafe-eval'");
    for (const source of all) expect(source).not.toMatch(/^https?:|\*/);
  });

  it("configures Scalar to stay on this origin", async () => {
    const config = scalarConfig(await (await api("/docs")).text());
    expect(config).toMatchObject({
      url: "/openapi.json",
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: true,
      agent: { disabled: true },
      mcp: { disabled: true },
    });
    // No proxy: requests go to the server in /openapi.json, which is this origin.
    expect(config).not.toHaveProperty("proxyUrl");
    expect(config).not.toHaveProperty("proxy");
  });

  it("a page from the edge cache gets a fresh nonce in the CSP, its scripts and the meta tag", async () => {
    const first = await api("/docs");
    const old = nonceOf(first)!;
    await first.arrayBuffer();
    const hit = await cachedDocs();
    const nonce = nonceOf(hit)!;
    expect(nonce).not.toBe(old);
    const html = await hit.text();
    expect(html).not.toContain(old);
    expect(html).toContain(`<meta property="csp-nonce" content="${nonce}">`);
    const stamped = html.match(/nonce="[^"]*"/g) ?? [];
    expect(stamped.length).toBe(3);
    for (const attr of stamped) expect(attr).toBe(`nonce="${nonce}"`);
    expect(hit.headers.get("content-security-policy")).toContain(`style-src-attr 'unsafe-inline'`);
  });
});
