import { DurableObject } from "cloudflare:workers";
import type { AlertMetric } from "../db/schema.ts";
import type { Bindings } from "../env.ts";
import { seriesKey } from "../observability/catalogue.ts";
import { FLUSH_INTERVAL_MS } from "../observability/flush.ts";
import { createLogger, logLevel } from "../observability/logger.ts";
import type { FlushBatch, MinuteCounts } from "../observability/metrics.ts";
import { clearAlert, raiseAlert } from "../services/alerts/alerts.ts";
import {
  type AlertVars,
  DETECTED_METRICS,
  type DetectorState,
  detectorConfig,
  initialState,
  observeMinute,
} from "./anomaly.ts";

export interface CounterSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface HistogramSeries {
  name: string;
  labels: Record<string, string>;
  /** Per-bucket (not cumulative) counts, one per bound plus +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

export interface MetricsSnapshot {
  counters: CounterSeries[];
  histograms: HistogramSeries[];
}

const MINUTE_MS = 60_000;
/** A minute is judged once every isolate had time to flush it: two flush intervals after it ends. */
export const EVALUATION_DELAY_MS = 2 * FLUSH_INTERVAL_MS + 5_000;
/** Per-minute rows are kept this long (the stats endpoint shows the last hour). */
const MINUTES_KEPT = 24 * 60;
/** After a long silence, only this many missed minutes are replayed into the detector. */
const MAX_REPLAY_MINUTES = 60;

const METRIC_COLUMN: Record<AlertMetric, keyof MinuteCounts> = {
  requests: "requests",
  errors_4xx: "errors_4xx",
  errors_5xx: "errors_5xx",
};

/**
 * The deployment's metrics: every isolate flushes its deltas here (at most one RPC
 * per isolate per flush interval), this object sums them, keeps them in its SQLite
 * storage (so a restart or eviction loses nothing that was acknowledged) and
 * answers /metrics and the admin stats. It also keeps per-minute request, 4xx and
 * 5xx totals and runs the anomaly detector on them from its alarm, raising and
 * clearing alerts.
 *
 * One object: an isolate sends ≤ 1 small RPC per 5 s, so even 1,000 busy isolates
 * are ~200 RPCs/s of in-memory additions, well inside one object's capacity. Past
 * that, shard the ingest by isolate (idFromName(`metrics:${n}`)) and sum the shards
 * when rendering; the per-minute series would then be read from every shard.
 */
export class MetricsStore extends DurableObject<Bindings & AlertVars> {
  readonly #sql: SqlStorage;
  readonly #counters = new Map<string, CounterSeries>();
  readonly #histograms = new Map<string, HistogramSeries>();
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Bindings & AlertVars) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.#sql;
      sql.exec(`create table if not exists counters (
        key text primary key, name text not null, labels text not null, value real not null)`);
      sql.exec(`create table if not exists histograms (
        key text primary key, name text not null, labels text not null,
        buckets text not null, sum real not null, count real not null)`);
      sql.exec(`create table if not exists minutes (
        minute integer primary key, requests integer not null, errors_4xx integer not null,
        errors_5xx integer not null, rate_limited integer not null)`);
      sql.exec(
        `create table if not exists detector (metric text primary key, state text not null)`,
      );
      sql.exec(`create table if not exists meta (k text primary key, v text not null)`);
      for (const r of sql.exec<{ key: string; name: string; labels: string; value: number }>(
        "select key, name, labels, value from counters",
      ))
        this.#counters.set(r.key, { name: r.name, labels: JSON.parse(r.labels), value: r.value });
      for (const r of sql.exec<{
        key: string;
        name: string;
        labels: string;
        buckets: string;
        sum: number;
        count: number;
      }>("select key, name, labels, buckets, sum, count from histograms"))
        this.#histograms.set(r.key, {
          name: r.name,
          labels: JSON.parse(r.labels),
          buckets: JSON.parse(r.buckets),
          sum: r.sum,
          count: r.count,
        });
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Adds one isolate's deltas. */
  async ingest(batch: FlushBatch): Promise<void> {
    const sql = this.#sql;
    for (const c of batch.counters) {
      if (!Number.isFinite(c.delta)) continue;
      const key = seriesKey(c.name, c.labels);
      let s = this.#counters.get(key);
      if (!s) {
        s = { name: c.name, labels: c.labels, value: 0 };
        this.#counters.set(key, s);
      }
      s.value += c.delta;
      sql.exec(
        `insert into counters (key, name, labels, value) values (?, ?, ?, ?)
         on conflict (key) do update set value = excluded.value`,
        key,
        s.name,
        JSON.stringify(s.labels),
        s.value,
      );
    }
    for (const h of batch.histograms) {
      const key = seriesKey(h.name, h.labels);
      let s = this.#histograms.get(key);
      if (!s) {
        s = { name: h.name, labels: h.labels, buckets: h.buckets.map(() => 0), sum: 0, count: 0 };
        this.#histograms.set(key, s);
      }
      // A deploy that changed the bucket layout starts the series again.
      if (s.buckets.length !== h.buckets.length) {
        s.buckets = h.buckets.map(() => 0);
        s.sum = 0;
        s.count = 0;
      }
      for (let i = 0; i < h.buckets.length; i++) s.buckets[i]! += h.buckets[i]!;
      s.sum += h.sum;
      s.count += h.count;
      sql.exec(
        `insert into histograms (key, name, labels, buckets, sum, count) values (?, ?, ?, ?, ?, ?)
         on conflict (key) do update set buckets = excluded.buckets, sum = excluded.sum, count = excluded.count`,
        key,
        s.name,
        JSON.stringify(s.labels),
        JSON.stringify(s.buckets),
        s.sum,
        s.count,
      );
    }
    for (const m of batch.minutes) {
      sql.exec(
        `insert into minutes (minute, requests, errors_4xx, errors_5xx, rate_limited) values (?, ?, ?, ?, ?)
         on conflict (minute) do update set requests = requests + excluded.requests,
           errors_4xx = errors_4xx + excluded.errors_4xx, errors_5xx = errors_5xx + excluded.errors_5xx,
           rate_limited = rate_limited + excluded.rate_limited`,
        m.minute,
        m.requests,
        m.errors_4xx,
        m.errors_5xx,
        m.rate_limited,
      );
    }
    if (batch.minutes.length) await this.#arm(Date.now());
  }

  /** A readiness probe: answers without touching storage. */
  ping(): number {
    return this.#counters.size;
  }

  /** Every series' running total. */
  snapshot(): MetricsSnapshot {
    return { counters: [...this.#counters.values()], histograms: [...this.#histograms.values()] };
  }

  /** Per-minute totals for minutes in [from, to), zero-filled, oldest first. */
  minutes(from: number, to: number): MinuteCounts[] {
    const start = from - (from % MINUTE_MS);
    const rows = new Map(
      this.#sql
        .exec<MinuteCounts & Record<string, number>>(
          "select * from minutes where minute >= ? and minute < ? order by minute",
          start,
          to,
        )
        .toArray()
        .map((r) => [r.minute, r]),
    );
    const out: MinuteCounts[] = [];
    for (let m = start; m < to; m += MINUTE_MS)
      out.push(
        rows.get(m) ?? { minute: m, requests: 0, errors_4xx: 0, errors_5xx: 0, rate_limited: 0 },
      );
    return out;
  }

  /** Rate-limited responses in [from, to). */
  rateLimitedSince(from: number): number {
    const row = this.#sql
      .exec<{ n: number | null }>(
        "select sum(rate_limited) as n from minutes where minute >= ?",
        from,
      )
      .one();
    return row.n ?? 0;
  }

  /** Detector state per metric (for the docs' tuning advice and tests). */
  detectorStates(): Record<string, DetectorState> {
    return Object.fromEntries(DETECTED_METRICS.map((m) => [m, this.#state(m)]));
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    await this.evaluate(Date.now());
  }

  /**
   * Judges every complete minute not judged yet (zero-filled: a minute nobody
   * flushed had no requests), raising and clearing alerts, then re-arms the alarm
   * while there is recent traffic or an open episode.
   */
  async evaluate(now: number): Promise<void> {
    const config = detectorConfig(this.env);
    const lastComplete = now - EVALUATION_DELAY_MS - MINUTE_MS;
    const end = lastComplete - (lastComplete % MINUTE_MS) + MINUTE_MS; // exclusive
    const done = this.#meta("last_evaluated");
    let from: number;
    if (done !== null) from = Number(done) + MINUTE_MS;
    else {
      const first = this.#sql
        .exec<{ m: number | null }>("select min(minute) as m from minutes")
        .one().m;
      from = first ?? end;
    }
    from = Math.max(from, end - MAX_REPLAY_MINUTES * MINUTE_MS);
    const logger = createLogger({ component: "metrics" }, logLevel(this.env.LOG_LEVEL));
    const deps = { env: this.env, ctx: this.ctx, logger };
    for (const minute of from < end ? this.minutes(from, end) : []) {
      for (const metric of DETECTED_METRICS) {
        const before = this.#state(metric);
        const value = minute[METRIC_COLUMN[metric]];
        let { state, verdict } = observeMinute(before, value, config);
        try {
          if (verdict.action === "raise")
            await raiseAlert(deps, {
              metric,
              value,
              mean: verdict.mean,
              zScore: verdict.zScore,
              threshold: config.threshold,
              at: minute.minute,
            });
          else if (verdict.action === "clear") await clearAlert(deps, metric, now);
        } catch (error) {
          logger.error("alert write failed; retried on the next minute", {
            metric,
            action: verdict.action,
            error: String(error),
          });
          // Not raised: the next anomalous minute tries again. Not cleared: the next calm one does.
          state =
            verdict.action === "raise"
              ? { ...state, open: false }
              : { ...state, open: true, calm: config.calmMinutes - 1 };
        }
        this.#sql.exec(
          "insert into detector (metric, state) values (?, ?) on conflict (metric) do update set state = excluded.state",
          metric,
          JSON.stringify(state),
        );
      }
      this.#setMeta("last_evaluated", String(minute.minute));
    }
    this.#sql.exec("delete from minutes where minute < ?", now - MINUTES_KEPT * MINUTE_MS);
    const recent = this.#sql
      .exec<{ n: number }>(
        "select count(*) as n from minutes where minute >= ?",
        end - 10 * MINUTE_MS,
      )
      .one().n;
    const open = DETECTED_METRICS.some((m) => this.#state(m).open);
    if (recent > 0 || open) await this.#arm(now);
  }

  #state(metric: AlertMetric): DetectorState {
    const row = this.#sql
      .exec<{ state: string }>("select state from detector where metric = ?", metric)
      .toArray()[0];
    return row ? (JSON.parse(row.state) as DetectorState) : initialState();
  }

  #meta(k: string): string | null {
    return (
      this.#sql.exec<{ v: string }>("select v from meta where k = ?", k).toArray()[0]?.v ?? null
    );
  }

  #setMeta(k: string, v: string) {
    this.#sql.exec(
      "insert into meta (k, v) values (?, ?) on conflict (k) do update set v = excluded.v",
      k,
      v,
    );
  }

  /** The alarm fires when the current minute can be judged. */
  async #arm(now: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt > now) return;
    const at = now - (now % MINUTE_MS) + MINUTE_MS + EVALUATION_DELAY_MS;
    await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }
}
