import { describe, expect, it } from "vitest";
import { DASHBOARD_ASSETS } from "../../../src/dashboard/assets.ts";
import { api } from "../../helpers.ts";

describe("GET /admin", () => {
  it("serves the dashboard shell under a nonce CSP without unsafe-inline or unsafe-eval", async () => {
    const res = await api("/admin");
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    // The one script is ours, by nonce; no inline script or style at all.
    expect(html).toContain(
      `<script nonce="${nonce}" type="module" src="${DASHBOARD_ASSETS.script}">`,
    );
    expect(html).toContain(`<link rel="stylesheet" href="${DASHBOARD_ASSETS.style}">`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<style|\sstyle="|\son[a-z]+="/);
  });

  it("renews the nonce on every response", async () => {
    const nonces = await Promise.all(
      [1, 2].map(
        async () =>
          /'nonce-([^']+)'/.exec(
            (await api("/admin")).headers.get("content-security-policy")!,
          )?.[1],
      ),
    );
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it("holds no data: the same page for anyone, with or without a token", async () => {
    const anonymous = await (await api("/admin")).text();
    const strip = (html: string) => html.replace(/nonce="[^"]+"/g, "");
    expect(anonymous).toContain('id="signin-form"');
    expect(anonymous).not.toMatch(/@example\.com/);
    expect(strip(anonymous)).toBe(strip(await (await api("/admin", { token: "x" })).text()));
  });
});
