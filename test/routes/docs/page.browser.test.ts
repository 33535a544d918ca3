/**
 * `GET /docs` in a real browser: Chromium (driven by playwright-core) opens the API
 * reference served by the production bundle under Miniflare, with the static
 * assets from wrangler.toml's `[assets]`, and every request that would leave
 * 127.0.0.1 refused — the page must work offline. It checks that Scalar renders
 * and is styled, that nothing breaks the CSP or logs an error, and that "send
 * request" with a bearer token reaches the API directly (no proxy) and gets 200.
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH); `.ci/run` installs it.
 * Without it every test here fails with instructions: a browser test that skips
 * itself silently would let a blank /docs ship.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, startApp, type Target } from "../../../scripts/bench/harness.ts";
import { TokenResponse } from "../../../src/routes/auth/schemas.ts";
import { SCALAR_SCRIPT } from "../../../src/routes/docs/page.ts";
import { watchedPage } from "../../browser-page.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Git-ignored: the bundle under test and the screenshot. */
const ARTIFACTS = "test-artifacts";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let app: Target;
let browser: Browser;
let page: Page;
/** Everything that went wrong in the page: CSP violations, console errors, offline fetches. */
let problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser test needs it: ` +
        "`apt-get install -y chromium` on Debian, or set CHROMIUM_PATH to a " +
        "Chromium/Chrome binary (see docs/development.md).",
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  // Inside the repo: Miniflare resolves the script relative to the project root.
  // The dry run also runs wrangler's build command, which copies Scalar into public/.
  const bundle = buildBundle(undefined, `${ARTIFACTS}/worker`);
  [app, browser] = await Promise.all([
    startApp(bundle),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
});

/** A fresh watched page (test/browser-page.ts) with its own problem list. */
async function openPage(): Promise<Page> {
  problems = [];
  return watchedPage(browser, app.url, problems);
}

afterEach(async () => {
  await page?.close();
});

describe("GET /docs in Chromium", () => {
  it("serves Scalar's script from this origin: the installed package's file", async () => {
    const res = await fetch(`${app.url}${SCALAR_SCRIPT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const installed = join(
      dirname(createRequire(import.meta.url).resolve("@scalar/api-reference")),
      "browser/standalone.js",
    );
    expect((await res.arrayBuffer()).byteLength).toBe(statSync(installed).size);
  });

  it("renders the reference, styled, with no CSP violation, error or outside request", async () => {
    // Prime the edge cache, so the browser gets a stored page with a renewed nonce.
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${app.url}/docs`);
      await res.arrayBuffer();
      if (res.headers.get("x-cache") === "HIT") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    page = await openPage();
    const res = await page.goto(`${app.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["x-cache"]).toBe("HIT");

    // Scalar's layout, a sidebar group for every tag of /openapi.json, and the
    // operations of the first group (open by default) with their "Test Request".
    await page.locator(".scalar-api-reference").waitFor();
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    const tags = new Set(
      Object.values(doc.paths).flatMap((item) =>
        Object.values(item).flatMap((op) => op.tags ?? []),
      ),
    );
    expect(tags.size).toBeGreaterThan(5);
    const sidebar = page.locator("aside");
    await sidebar.getByRole("button", { name: "Close Group - Operations" }).waitFor();
    for (const tag of tags) {
      const group = new RegExp(`^(Open|Close) Group - ${escapeRegExp(tag)}$`);
      expect(await sidebar.getByRole("button", { name: group }).count(), tag).toBe(1);
    }
    await sidebar.getByText("Liveness: the Worker runs (no I/O)").waitFor();
    await page.getByRole("button", { name: "Test Request (get /health/live)" }).waitFor();

    // Styles applied: no <style> element was refused (a refused one has no sheet),
    // Scalar's stylesheet is among them, and icons have their intended size.
    const styles = await page.evaluate<{ id: string; applied: boolean; rules: number }[]>(`
      [...document.querySelectorAll("style")].map((s) => ({
        id: s.id,
        applied: s.sheet !== null,
        rules: s.sheet?.cssRules.length ?? 0,
      }))
    `);
    expect(styles.filter((s) => !s.applied)).toEqual([]);
    expect(styles.find((s) => s.id === "scalar-style")?.rules).toBeGreaterThan(100);
    const icons = await page.evaluate<number[]>(`
      [...document.querySelectorAll("svg")].map((svg) => {
        const r = svg.getBoundingClientRect();
        return Math.max(r.width, r.height);
      })
    `);
    expect(icons.length).toBeGreaterThan(10);
    expect(Math.max(...icons)).toBeLessThan(64);

    expect(problems).toEqual([]);
  });

  it("sends GET /api/v2/auth/me with a bearer token straight to this origin and shows 200", async () => {
    const email = `docs-${crypto.randomUUID()}@example.com`;
    const registered = await fetch(`${app.url}/api/v2/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "docs browser test 123", name: "Docs" }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const { access_token } = TokenResponse.parse(await registered.json());

    page = await openPage();
    await page.goto(`${app.url}/docs`);
    // The bearer scheme is preselected (top-level `security` in /openapi.json).
    await page.getByText("Selected Auth Type: bearerAuth").first().waitFor();
    await page.getByPlaceholder("Token").first().fill(access_token);

    await page.getByRole("button", { name: "Open Group - Auth" }).click();
    await page.getByText("The authenticated user and how they authenticated").first().click();
    await page.getByRole("button", { name: "Test Request (get /api/v2/auth/me)" }).click();

    // The API client sends to the server in /openapi.json — this origin, no proxy.
    const client = page.getByRole("dialog", { name: "API Client" });
    const sent = page.waitForRequest((r) => r.url() === `${app.url}/api/v2/auth/me`);
    await client
      .getByRole("button", { name: `Send get request to ${app.url}/api/v2/auth/me` })
      .click();
    const request = await sent;
    expect(await request.headerValue("authorization")).toBe(`Bearer ${access_token}`);
    expect((await request.response())?.status()).toBe(200);

    // Scalar's response panel: the status and the body it received.
    const response = client.getByRole("region", { name: "Response" });
    await response.getByText("200 OK").waitFor();
    await response.getByText(email).first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/docs.png` });

    expect(problems).toEqual([]);
  });
});
