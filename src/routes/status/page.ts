import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { DayDto, IncidentDto, StatusDto, SubjectDto } from "./schemas.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A ratio as a percentage, rounded down: 99.999 % must not read as 100.00 %. */
export const percent = (r: number | null) =>
  r === null ? "no data" : `${(Math.floor(r * 10_000) / 100).toFixed(2)} %`;

const STATE_LABEL: Record<SubjectDto["state"], string> = {
  operational: "Operational",
  degraded: "Degraded",
  outage: "Outage",
  unknown: "No recent data",
};

const BANNER: Record<StatusDto["state"], string> = {
  operational: "All systems operational",
  degraded: "Some systems are degraded",
  outage: "Some systems are down",
  unknown: "No recent checks",
};

const DAY_LABEL: Record<DayDto["state"], string> = {
  up: "no downtime",
  partial: "partial outage",
  outage: "outage",
  none: "no data",
};

/** `2026-11-30T09:38:01.763Z` → `2026-11-30 09:38 UTC`. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const time = (iso: string) => html`<time datetime="${iso}">${when(iso)}</time>`;

/** What a day's bar says on hover and to a screen reader. */
export function dayLabel(d: DayDto): string {
  if (d.state === "none") return `${d.date}: no data`;
  const latency = d.p50_ms === null ? "" : `, p50 ${d.p50_ms} ms, p95 ${d.p95_ms} ms`;
  return `${d.date}: ${percent(d.uptime)} uptime (${d.successes}/${d.checks} checks, ${DAY_LABEL[d.state]})${latency}`;
}

const bars = (
  s: SubjectDto,
) => html`<ol class="bars" aria-label="Uptime of ${s.name}, last 90 days">
${s.days.map((d) => html`<li class="day ${d.state}" title="${dayLabel(d)}"><span class="sr">${dayLabel(d)}</span></li>`)}
</ol>`;

const subject = (s: SubjectDto) => html`<section class="subject" id="${s.kind}-${s.id}">
<div class="head"><h3>${s.name}</h3><span class="state ${s.state}">${STATE_LABEL[s.state]}</span></div>
${bars(s)}
<p class="axis"><span>90 days ago</span><span>today</span></p>
<dl class="figures">
<div><dt>Uptime 90 days</dt><dd>${percent(s.uptime_90d)}</dd></div>
<div><dt>Uptime 30 days</dt><dd>${percent(s.uptime_30d)}</dd></div>
<div><dt>Latency p50 / p95</dt><dd>${s.latency ? `${s.latency.p50_ms ?? "–"} ms / ${s.latency.p95_ms ?? "–"} ms` : "no data"}</dd></div>
</dl>
</section>`;

const affected = (i: IncidentDto) =>
  i.component ? `component ${i.component}` : i.tag ? `servers tagged ${i.tag}` : "the service";

const incident = (
  i: IncidentDto,
) => html`<article class="incident impact-${i.impact}" id="incident-${i.id}">
<h3>${i.title}</h3>
<p class="meta"><span class="badge">${i.status}</span> ${i.impact} impact on ${affected(i)} · started ${time(i.created_at)}${i.resolved_at ? html` · resolved ${time(i.resolved_at)}` : ""}</p>
<ol class="timeline">
${i.updates.map((u) => html`<li><strong>${u.status}</strong> ${time(u.created_at)}<p>${u.message}</p></li>`)}
</ol>
</article>`;

const STYLE = `
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#5f6368;--bg:#fff;--line:#dadce0;--up:#1e8e3e;--partial:#f9ab00;--outage:#d93025;--none:#c4c7c5;--card:#f8f9fa}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#9aa0a6;--bg:#202124;--line:#3c4043;--none:#5f6368;--card:#28292c}}
body{font:16px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem;margin:0}
.banner{padding:.8rem 1rem;border-radius:.4rem;font-weight:600;color:#fff}
.banner.operational{background:var(--up)}.banner.degraded{background:#b06000}.banner.outage{background:var(--outage)}.banner.unknown{background:var(--muted)}
.subject{padding:.8rem 0;border-bottom:1px solid var(--line)}
.head{display:flex;justify-content:space-between;gap:1rem}
.state.operational{color:var(--up)}.state.degraded{color:#b06000}.state.outage{color:var(--outage)}.state.unknown{color:var(--muted)}
.bars{display:flex;gap:2px;list-style:none;margin:.5rem 0 0;padding:0;height:2rem}
.day{flex:1;border-radius:1px;min-width:1px}
.day.up{background:var(--up)}.day.partial{background:var(--partial)}.day.outage{background:var(--outage)}.day.none{background:var(--none)}
.axis{display:flex;justify-content:space-between;margin:.2rem 0;font-size:.8rem;color:var(--muted)}
.figures{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:.3rem 0 0;font-size:.9rem}
.figures dt{color:var(--muted)}.figures dd{margin:0}
.incident{background:var(--card);border-left:4px solid var(--muted);padding:.6rem 1rem;margin:.8rem 0;border-radius:.3rem}
.impact-minor{border-color:var(--partial)}.impact-major,.impact-critical{border-color:var(--outage)}
.meta{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.badge{text-transform:capitalize;font-weight:600;color:var(--fg)}
.timeline{list-style:none;padding:0;margin:.4rem 0 0}.timeline li{margin:.4rem 0}.timeline p{margin:.1rem 0;white-space:pre-line}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
a{color:inherit}footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
`;

/** The public status page: server-rendered, every value escaped, no script. */
export function renderStatusPage(s: StatusDto): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edgepanel status</title>
<link rel="alternate" type="application/atom+xml" title="edgepanel incidents" href="/status/feed.atom">
<link rel="alternate" type="application/json" href="/status.json">
<style>${raw(STYLE)}</style>
</head><body>
<header><h1>edgepanel status</h1>
<p class="banner ${s.state}" role="status">${BANNER[s.state]}</p></header>
<main>
${
  s.incidents.active.length
    ? html`<section aria-labelledby="active"><h2 id="active">Current incidents</h2>${s.incidents.active.map(incident)}</section>`
    : ""
}
<section aria-labelledby="components"><h2 id="components">Components</h2>${s.components.map(subject)}</section>
${s.tags.length ? html`<section aria-labelledby="groups"><h2 id="groups">Server groups</h2>${s.tags.map(subject)}</section>` : ""}
<section aria-labelledby="history"><h2 id="history">Past incidents</h2>
${s.incidents.recent.length ? s.incidents.recent.map(incident) : html`<p>No incidents in the last 90 days.</p>`}
</section>
</main>
<footer><p>Bars: one per UTC day; green no downtime, amber partial outage (≥ 95 % uptime), red outage, grey no data.
<a href="/status/feed.atom">Atom feed</a> · <a href="/status.json">JSON</a> · generated ${time(s.generated_at)}</p></footer>
</body></html>`;
}
