/**
 * `GET /status` in a real browser: Chromium (playwright-core) opens the status page
 * served by the production bundle under Miniflare, after 90 days of synthetic probe
 * history were recorded and rolled up by the real cron. It checks that every
 * component and published group has 90 bars coloured by the day's uptime, that each
 * bar's tooltip says what happened that day, that the page is styled under the
 * strict CSP with no script, no console error and no violation, and saves
 * screenshots (test-artifacts/status-*.png).
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH); see docs/development.md.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, startApp, type Target } from "../../../scripts/bench/harness.ts";
import { StatusSchema } from "../../../src/routes/status/schemas.ts";
import { lastDays } from "../../../src/services/status/rollup.ts";
import { watchedPage } from "../../browser-page.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = "test-artifacts";
const CHECKS_PER_DAY = 24;
const COMPONENTS = ["api", "database", "cache", "storage", "queue"] as const;

let app: Target & {
  mf: { getD1Database(name: string): Promise<unknown>; getWorker(): Promise<unknown> };
};
let browser: Browser;
let page: Page;
let problems: string[] = [];
/** The 90 days the page shows; the last is today, which only the cron's own probe fills. */
let days: string[];

/**
 * How many of a day's 24 checks failed, per subject and day index (0 = 89 days ago):
 * database has a full outage on day 10 and a partial one (1 of 24: 95.8 %) on day 20;
 * storage was not probed in its first 30 days; the eu-west servers fail all day 50.
 */
const failures = (subject: string, i: number) =>
  (subject === "database" && i === 10) || (subject === "eu-west" && i === 50)
    ? CHECKS_PER_DAY
    : subject === "database" && i === 20
      ? 1
      : 0;
const probed = (subject: string, i: number) => !(subject === "storage" && i < 30);

const sql = (v: string | number | null) =>
  v === null ? "null" : typeof v === "number" ? String(v) : `'${v}'`;

/** Hourly checks for `days[0..88]`: one multi-row INSERT per day and table. */
async function seedHistory(db: D1Database, serverIds: string[]) {
  for (let i = 0; i < 89; i++) {
    const componentRows: string[] = [];
    const serverRows: string[] = [];
    for (let h = 0; h < CHECKS_PER_DAY; h++) {
      const at = `${days[i]}T${String(h).padStart(2, "0")}:00:00.000Z`;
      const ok = (subject: string) => h >= failures(subject, i);
      for (const c of COMPONENTS) {
        if (!probed(c, i)) continue;
        componentRows.push(
          `(${sql(`cc-${c}-${i}-${h}`)}, ${sql(c)}, ${sql(ok(c) ? "up" : "down")}, ${ok(c) ? 10 + h : "null"}, null, ${sql(at)})`,
        );
      }
      for (const id of serverIds)
        serverRows.push(
          `(${sql(`sc-${id}-${i}-${h}`)}, ${sql(id)}, ${sql(ok("eu-west") ? "up" : "down")}, ${ok("eu-west") ? 100 + h : "null"}, ${sql(at)})`,
        );
    }
    await db
      .prepare(
        `insert into component_checks (id, component, status, latency_ms, error, checked_at) values ${componentRows.join(",")}`,
      )
      .run();
    await db
      .prepare(
        `insert into server_checks (id, server_id, status, latency_ms, checked_at) values ${serverRows.join(",")}`,
      )
      .run();
  }
}

async function call<T>(
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
) {
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser test needs it: ` +
        "`apt-get install -y chromium` on Debian, or set CHROMIUM_PATH (see docs/development.md).",
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  const bundle = buildBundle(undefined, `${ARTIFACTS}/status-worker`);
  [app, browser] = await Promise.all([
    startApp(bundle) as Promise<typeof app>,
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    }),
  ]);
  days = lastDays(Date.now(), 90);

  // The first account on an empty database is the admin.
  const { access_token: token } = await call<{ access_token: string }>("/api/v2/auth/register", {
    method: "POST",
    body: { email: "status-admin@example.com", password: "status browser test 123", name: "Admin" },
  });
  const servers = await Promise.all(
    ["web-1", "web-2"].map((name) =>
      call<{ id: string }>("/api/v2/servers", {
        method: "POST",
        token,
        body: {
          name,
          host: `${name}.example.com`,
          port: 443,
          environment: "production",
          tags: ["eu-west"],
        },
      }),
    ),
  );
  await call("/api/v2/admin/status-tags/eu-west", {
    method: "PUT",
    token,
    body: { display_name: "EU West" },
  });
  await seedHistory(
    (await app.mf.getD1Database("DB")) as D1Database,
    servers.map((s) => s.id),
  );
  await call("/api/v2/admin/incidents", {
    method: "POST",
    token,
    body: {
      title: "Database failover <b>drill</b>",
      impact: "minor",
      component: "database",
      status: "monitoring",
      message: "A failover is in progress; writes may be slow.",
    },
  });
  // The real cron: probes the components (today's check) and rolls up every day.
  const worker = (await app.mf.getWorker()) as {
    scheduled(o: { cron: string }): Promise<{ outcome: string }>;
  };
  const run = await worker.scheduled({ cron: "*/5 * * * *" });
  expect(run.outcome).toBe("ok");
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
});

afterEach(async () => {
  await page?.close();
});

async function openPage(width: number): Promise<Page> {
  problems = [];
  return watchedPage(browser, app.url, problems, { width });
}

/** Class and tooltip of every bar of a subject's row. */
const barsOf = (p: Page, id: string) =>
  p.evaluate<{ cls: string; title: string; bg: string }[]>(`
    [...document.querySelectorAll("#${id} .bars .day")].map((li) => ({
      cls: li.className.replace("day ", ""),
      title: li.getAttribute("title"),
      bg: getComputedStyle(li).backgroundColor,
    }))
  `);

describe("GET /status in Chromium", () => {
  it("renders 90 bars per component and group, coloured by each day's uptime, with tooltips", async () => {
    page = await openPage(1280);
    const res = await page.goto(`${app.url}/status`);
    expect(res?.status()).toBe(200);
    expect(await page.locator("h1").textContent()).toBe("edgepanel status");

    const db = await barsOf(page, "component-database");
    expect(db).toHaveLength(90);
    expect(db[10]).toMatchObject({
      cls: "outage",
      title: `${days[10]}: 0.00 % uptime (0/24 checks, outage)`,
      bg: "rgb(217, 48, 37)",
    });
    expect(db[20]!.cls).toBe("partial");
    // Latencies 11–33 ms (the first hour failed): nearest-rank p50 = 12th = 22, p95 = 22nd = 32.
    expect(db[20]!.title).toBe(
      `${days[20]}: 95.83 % uptime (23/24 checks, partial outage), p50 22 ms, p95 32 ms`,
    );
    expect(db[20]!.bg).toBe("rgb(249, 171, 0)");
    expect(db.filter((d) => d.cls === "up")).toHaveLength(88);
    expect(db[0]!.bg).toBe("rgb(30, 142, 62)");
    // Today: the cron's own probe.
    expect(db[89]!.title).toMatch(
      new RegExp(`^${days[89]}: 100\\.00 % uptime \\(1/1 checks, no downtime\\)`),
    );

    const storage = await barsOf(page, "component-storage");
    expect(
      storage
        .slice(0, 30)
        .every((d) => d.cls === "none" && d.title === `${d.title.slice(0, 10)}: no data`),
    ).toBe(true);
    expect(storage.slice(30).every((d) => d.cls === "up")).toBe(true);

    const group = await barsOf(page, "tag-eu-west");
    expect(group).toHaveLength(90);
    expect(group[50]!.cls).toBe("outage");
    expect(group.filter((d) => d.cls === "outage")).toHaveLength(1);
    expect(await page.locator("#tag-eu-west h3").textContent()).toBe("EU West");

    // The figures agree with /status.json.
    const json = StatusSchema.parse(await (await fetch(`${app.url}/status.json`)).json());
    const database = json.components.find((c) => c.id === "database")!;
    const figures = await page.locator("#component-database .figures dd").allTextContents();
    expect(figures[0]).toBe(`${(Math.floor(database.uptime_90d! * 10_000) / 100).toFixed(2)} %`);
    expect(database.uptime_90d).toBeLessThan(1);
    expect(database.uptime_30d).toBe(1);

    // The incident, with its markup shown as text.
    await page.getByRole("heading", { name: "Current incidents" }).waitFor();
    expect(await page.locator(".incident h3").first().textContent()).toBe(
      "Database failover <b>drill</b>",
    );
    expect(await page.locator(".incident b").count()).toBe(0);

    expect(await page.locator("script").count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/status-1280.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it("fits a 375 px screen: bars stay inside the viewport", async () => {
    page = await openPage(375);
    await page.goto(`${app.url}/status`);
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - window.innerWidth",
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const widths = await page.evaluate<number[]>(
      `[...document.querySelectorAll("#component-api .bars .day")].map((li) => li.getBoundingClientRect().width)`,
    );
    expect(widths).toHaveLength(90);
    expect(Math.min(...widths)).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/status-375.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
