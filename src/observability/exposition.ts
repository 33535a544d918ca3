import type { MetricsSnapshot } from "../metrics/durable-object.ts";
import { escapeLabel, METRICS, type MetricDef } from "./catalogue.ts";

/** The media type of the Prometheus text exposition format this renders. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface BuildInfo {
  version: string;
  commit: string;
}

const labelText = (labels: Record<string, string>, extra?: [string, string]): string => {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** Numbers as Prometheus writes them: +Inf/-Inf/NaN spelt out. */
const num = (n: number): string =>
  Number.isNaN(n) ? "NaN" : n === Infinity ? "+Inf" : n === -Infinity ? "-Inf" : String(n);

const helpText = (s: string) => s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");

/**
 * Renders the deployment's figures in the Prometheus text format 0.0.4: one HELP
 * and TYPE line per metric family, series sorted, histograms with cumulative
 * `_bucket{le=…}` lines ending in +Inf, then `_sum` and `_count`. Series whose
 * name is not in the catalogue are rendered as untyped counters, so a counter
 * added in code is visible before it is documented.
 */
export function renderExposition(snapshot: MetricsSnapshot, build: BuildInfo): string {
  const families = new Map<string, string[]>();
  const add = (name: string, line: string) => {
    const lines = families.get(name);
    if (lines) lines.push(line);
    else families.set(name, [line]);
  };
  for (const c of snapshot.counters) add(c.name, `${c.name}${labelText(c.labels)} ${num(c.value)}`);
  for (const h of snapshot.histograms) {
    const def = (METRICS as Record<string, MetricDef>)[h.name];
    const bounds = def?.buckets ?? [];
    if (bounds.length + 1 !== h.buckets.length) continue; // a series from an older bucket layout
    let cumulative = 0;
    const series: string[] = [];
    for (let i = 0; i < h.buckets.length; i++) {
      cumulative += h.buckets[i]!;
      const le = i < bounds.length ? String(bounds[i]) : "+Inf";
      series.push(`${h.name}_bucket${labelText(h.labels, ["le", le])} ${num(cumulative)}`);
    }
    series.push(`${h.name}_sum${labelText(h.labels)} ${num(h.sum)}`);
    series.push(`${h.name}_count${labelText(h.labels)} ${num(cumulative)}`);
    // Keep a histogram's lines together and in bucket order: sort by series only.
    add(h.name, series.join("\n"));
  }
  add(
    "edgepanel_build_info",
    `edgepanel_build_info${labelText({ version: build.version, commit: build.commit })} 1`,
  );
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const def = (METRICS as Record<string, MetricDef>)[name];
    out.push(`# HELP ${name} ${helpText(def?.help ?? `${name} (undocumented counter)`)}`);
    out.push(`# TYPE ${name} ${def?.type ?? "counter"}`);
    out.push(...families.get(name)!.sort());
  }
  return `${out.join("\n")}\n`;
}
