import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { Chart } from "./charts.ts";
import { LiveChannel, type LiveState } from "./live.ts";
import { ApiFailure, Session } from "./session.ts";
import {
  type AdminStats,
  type Alert,
  type LiveMessage,
  type Page,
  SERVER_STATUSES,
  type Server,
} from "./types.ts";

// Everything below writes API values with textContent (or as attribute values),
// never as markup: a server named `<img src=x onerror=…>` is shown as those characters.

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const number = new Intl.NumberFormat("en");
const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });
const when = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString("en", { dateStyle: "short", timeStyle: "medium" }) : "never";

/** How many servers the list loads (10 pages of 100); past that, search narrows on the server. */
const MAX_SERVER_PAGES = 10;
/** Points kept for the charts fed by live ticks (an hour of 5-second ticks). */
const MAX_TICKS = 720;

const state = {
  stats: null as AdminStats | null,
  servers: new Map<string, Server>(),
  serversComplete: false,
  alerts: [] as Alert[],
  cacheSeries: [[], []] as [number[], (number | null)[]],
  limitedSeries: [[], []] as [number[], number[]],
};

const session = new Session((reason) => signedOut(reason));
let live: LiveChannel | null = null;
let charts: Record<"requests" | "servers" | "cache" | "limited" | "submissions", Chart> | null =
  null;

function row(cells: (string | Node)[], attrs: Record<string, string> = {}): HTMLTableRowElement {
  const tr = document.createElement("tr");
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) {
    const td = document.createElement("td");
    if (typeof c === "string") td.textContent = c;
    else td.append(c);
    tr.append(td);
  }
  return tr;
}

function badge(text: string, kind: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = `badge ${kind}`;
  span.textContent = text;
  return span;
}

function fillTable(id: string, rows: HTMLTableRowElement[]) {
  $(`${id}`)
    .querySelector("tbody")!
    .replaceChildren(...rows);
  $(`${id}-empty`).hidden = rows.length > 0;
}

function setStat(stat: string, text: string) {
  const el = document.querySelector<HTMLElement>(`[data-stat="${stat}"]`);
  if (el) el.textContent = text;
}

// ---------------------------------------------------------------- sign-in

function showSignedIn() {
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  const user = session.user!;
  $("who").textContent = `${user.name} (${user.email})`;
}

function signedOut(reason = "") {
  live?.stop();
  live = null;
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  $("signin-error").textContent = reason;
  $<HTMLInputElement>("password").value = "";
  $("email").focus();
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const email = $<HTMLInputElement>("email").value;
  const password = $<HTMLInputElement>("password").value;
  const error = $("signin-error");
  error.textContent = "";
  try {
    const user = await session.login(email, password);
    if (user.role !== "admin") {
      await session.logout();
      error.textContent = "The dashboard is for admins: this account cannot open it.";
      return;
    }
    $<HTMLInputElement>("password").value = "";
    showSignedIn();
    await start();
  } catch (err) {
    error.textContent =
      err instanceof ApiFailure ? err.message : "Sign-in failed: the server cannot be reached.";
  }
});

$("logout").addEventListener("click", async () => {
  live?.stop();
  live = null;
  await session.logout();
  signedOut("Signed out.");
});

// ---------------------------------------------------------------- loading

async function start() {
  charts ??= {
    requests: new Chart($("chart-requests"), [
      { label: "requests", color: "--c-requests" },
      { label: "4xx", color: "--c-4xx" },
      { label: "5xx", color: "--c-5xx" },
    ]),
    servers: new Chart(
      $("chart-servers"),
      SERVER_STATUSES.map((s) => ({ label: s, color: `--c-${s}`, bars: true })),
      { categories: [...SERVER_STATUSES] },
    ),
    cache: new Chart($("chart-cache"), [{ label: "hit ratio %", color: "--c-requests" }], {
      recent: true,
    }),
    limited: new Chart($("chart-rate-limited"), [{ label: "rate-limited", color: "--c-4xx" }], {
      recent: true,
    }),
    submissions: new Chart($("chart-submissions"), [
      { label: "submissions", color: "--c-requests", bars: true },
    ]),
  };
  const notice = $("notice");
  notice.textContent = "";
  const results = await Promise.allSettled([loadStats(), loadAlerts(), loadServers()]);
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`${["figures", "alerts", "servers"][i]}: ${reason(r.reason)}`] : [],
  );
  if (failed.length) notice.textContent = `Could not load ${failed.join("; ")}`;
  live = new LiveChannel(
    () => session.accessToken,
    () => session.refresh(),
    onLive,
    showLiveState,
  );
  live.start();
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function loadStats() {
  renderStats(await session.request<AdminStats>("/api/v2/admin/stats"));
}

async function loadAlerts() {
  const page = await session.request<Page<Alert>>("/api/v2/admin/alerts?limit=20");
  state.alerts = page.data;
  renderAlerts();
}

async function loadServers() {
  const all = new Map<string, Server>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query = new URLSearchParams({ limit: "100", sort: "name" });
    if (cursor) query.set("cursor", cursor);
    const page: Page<Server> = await session.request(`/api/v2/servers?${query}`);
    for (const s of page.data) all.set(s.id, s);
    cursor = page.next_cursor;
  } while (cursor && ++pages < MAX_SERVER_PAGES);
  state.servers = all;
  state.serversComplete = cursor === null;
  renderServers();
}

// ---------------------------------------------------------------- rendering

function renderStats(stats: AdminStats) {
  state.stats = stats;
  const minutes = stats.requests_per_minute ?? [];
  const sum = (f: (m: (typeof minutes)[number]) => number) => minutes.reduce((a, m) => a + f(m), 0);
  setStat("users.total", number.format(stats.users.total));
  setStat("requests.last_hour", number.format(sum((m) => m.requests)));
  setStat("errors.last_hour", number.format(sum((m) => m.errors_4xx + m.errors_5xx)));
  setStat(
    "cache.hit_ratio",
    stats.cache.hit_ratio === null ? "–" : percent.format(stats.cache.hit_ratio),
  );
  setStat("rate_limited.last_hour", number.format(stats.rate_limited.last_hour));
  setStat(
    "submissions.last_30_days",
    number.format(stats.submissions_per_day.reduce((a, d) => a + d.count, 0)),
  );
  setStat("jobs.failed", number.format(stats.jobs.failed));
  setStat(
    "webhooks.success_rate",
    stats.webhooks.success_rate === null ? "–" : percent.format(stats.webhooks.success_rate),
  );
  const generated = $("generated-at");
  generated.textContent = when(stats.generated_at);
  generated.setAttribute("datetime", stats.generated_at);
  if (!state.serversComplete) renderServerTotals(stats.servers.by_status, stats.servers.total);

  const t = (iso: string) => Date.parse(iso) / 1000;
  charts?.requests.set(
    [
      minutes.map((m) => t(m.minute)),
      minutes.map((m) => m.requests),
      minutes.map((m) => m.errors_4xx),
      minutes.map((m) => m.errors_5xx),
    ],
    `Last hour: ${sum((m) => m.requests)} requests, ${sum((m) => m.errors_4xx)} 4xx, ${sum((m) => m.errors_5xx)} 5xx`,
  );
  const days = stats.submissions_per_day;
  charts?.submissions.set(
    [days.map((d) => t(`${d.date}T12:00:00Z`)), days.map((d) => d.count)],
    `Submissions in 30 days: ${days.reduce((a, d) => a + d.count, 0)}`,
  );

  const now = Date.parse(stats.generated_at) / 1000;
  push(state.cacheSeries, now, stats.cache.hit_ratio === null ? null : stats.cache.hit_ratio * 100);
  push(state.limitedSeries, now, stats.rate_limited.last_hour);
  charts?.cache.set(
    state.cacheSeries,
    `Cache hit ratio: ${stats.cache.hit_ratio === null ? "no lookups yet" : percent.format(stats.cache.hit_ratio)} (${stats.cache.hits} hits, ${stats.cache.misses} misses)`,
  );
  charts?.limited.set(
    state.limitedSeries,
    `Rate-limited: ${stats.rate_limited.last_hour} in the last hour, ${stats.rate_limited.total} in all`,
  );

  fillTable(
    "jobs",
    stats.jobs.recent_failures.map((j) =>
      row([when(j.failed_at), j.type, j.error], { "data-id": j.id }),
    ),
  );
  fillTable(
    "endpoints",
    stats.webhooks.failing_endpoints.map((e) =>
      row(
        [
          e.url,
          number.format(e.consecutive_failures),
          badge(e.disabled ? "disabled" : "retrying", e.disabled ? "down" : "degraded"),
        ],
        { "data-id": e.id },
      ),
    ),
  );
}

/** Appends a point to a tick-fed series; the same second replaces the last point. */
function push<T>(series: [number[], T[]], t: number, v: T) {
  if (series[0].at(-1) === t) series[1][series[1].length - 1] = v;
  else {
    series[0].push(t);
    series[1].push(v);
  }
  if (series[0].length > MAX_TICKS) {
    series[0].shift();
    series[1].shift();
  }
}

function renderServerTotals(byStatus: Record<string, number>, total: number) {
  setStat("servers.total", number.format(total));
  setStat("servers.by_status.down", number.format(byStatus.down ?? 0));
  const counts = SERVER_STATUSES.map((s) => byStatus[s] ?? 0);
  charts?.servers.set(
    [
      SERVER_STATUSES.map((_, i) => i),
      ...SERVER_STATUSES.map((_, i) =>
        SERVER_STATUSES.map((__, j) => (i === j ? counts[i]! : null)),
      ),
    ],
    `Servers by status: ${SERVER_STATUSES.map((s, i) => `${counts[i]} ${s}`).join(", ")}`,
  );
}

function renderAlerts() {
  setStat("alerts.open", number.format(state.alerts.filter((a) => a.status === "open").length));
  fillTable(
    "alerts",
    state.alerts.map((a) =>
      row(
        [
          when(a.raised_at),
          a.metric,
          badge(a.status, a.status === "open" ? "down" : "up"),
          a.message,
        ],
        { "data-id": a.id },
      ),
    ),
  );
}

function renderServers() {
  if (state.serversComplete) {
    const byStatus: Record<string, number> = {};
    for (const s of state.servers.values()) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    renderServerTotals(byStatus, state.servers.size);
  }
  const q = $<HTMLInputElement>("server-search").value.trim().toLowerCase();
  const status = $<HTMLSelectElement>("server-status").value;
  const shown = [...state.servers.values()]
    .filter((s) => !status || s.status === status)
    .filter(
      (s) =>
        !q ||
        s.name.toLowerCase().includes(q) ||
        s.host.toLowerCase().includes(q) ||
        s.tags.some((t) => t.includes(q)),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  $("servers")
    .querySelector("tbody")!
    .replaceChildren(
      ...shown.map((s) =>
        row(
          [
            s.name,
            badge(s.status, s.status),
            `${s.host}:${s.port}`,
            s.environment,
            s.tags.join(", "),
            when(s.last_checked_at),
          ],
          { "data-id": s.id },
        ),
      ),
    );
  $("server-count").textContent =
    `${shown.length} of ${state.servers.size}${state.serversComplete ? "" : "+"} servers`;
}

$("server-search").addEventListener("input", renderServers);
$("server-status").addEventListener("change", renderServers);
$("server-filters").addEventListener("submit", (e) => e.preventDefault());

// ---------------------------------------------------------------- live updates

function showLiveState(s: LiveState) {
  const el = $("live");
  el.dataset.state = s;
  el.textContent = s;
}

function onLive(m: LiveMessage) {
  switch (m.type) {
    case "server.changed": {
      const server = m.data.server as Server | undefined;
      if (!server) return;
      if (m.data.action === "deleted") state.servers.delete(server.id);
      else state.servers.set(server.id, { ...state.servers.get(server.id), ...server });
      renderServers();
      return;
    }
    case "alert.raised":
    case "alert.cleared": {
      const alert = m.data as unknown as Alert;
      state.alerts = [alert, ...state.alerts.filter((a) => a.id !== alert.id)].slice(0, 20);
      renderAlerts();
      return;
    }
    case "job.failed": {
      const job = m.data as { id: string; type: string; error: string; failed_at: string };
      if (!state.stats) return;
      const failures = state.stats.jobs.recent_failures.filter((j) => j.id !== job.id);
      state.stats.jobs.recent_failures = [job, ...failures].slice(0, 10);
      renderStats(state.stats);
      return;
    }
    case "stats.tick":
      if ("users" in m.data) renderStats(m.data as unknown as AdminStats);
      return;
  }
}
