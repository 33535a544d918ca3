import type { AlertMetric } from "../db/schema.ts";

/**
 * Anomaly detection on a per-minute count (requests, 4xx, 5xx). The usual level is
 * an exponentially weighted moving average with an EWMA variance (West's
 * incremental form): recent minutes weigh most, so a slow trend (a new customer,
 * the daily cycle) becomes normal while a sudden jump does not.
 *
 * A minute is anomalous when its z-score `(value - mean) / sd` exceeds the
 * threshold AND its count reaches a minimum volume (two errors in a quiet minute
 * are not an incident however unusual). The standard deviation is floored at
 * √mean (the spread of a Poisson count) and at 1, so a perfectly flat history does
 * not make the smallest wobble infinitely unusual.
 *
 * An episode raises once: the detector stays open until the count has been calm
 * (not anomalous) for `calmMinutes` minutes in a row, then clears. Anomalous
 * minutes are kept out of the average, so a long incident does not become the
 * new normal and clear itself.
 */
export interface DetectorConfig {
  /** z-score above which a minute is anomalous. */
  threshold: number;
  /** Fewest events in a minute that may alert. */
  minVolume: number;
  /** Weight of the newest minute in the EWMA (0 < alpha ≤ 1). */
  alpha: number;
  /** Calm minutes in a row that end an episode. */
  calmMinutes: number;
  /** Minutes of history before any alert (the average needs something to stand on). */
  warmupMinutes: number;
}

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  threshold: 4,
  minVolume: 10,
  alpha: 0.1,
  calmMinutes: 5,
  warmupMinutes: 10,
};

export interface DetectorState {
  mean: number;
  variance: number;
  /** Minutes seen. */
  samples: number;
  /** Whether an episode is open (an alert was raised and not yet cleared). */
  open: boolean;
  /** Calm minutes in a row while open. */
  calm: number;
}

export const initialState = (): DetectorState => ({
  mean: 0,
  variance: 0,
  samples: 0,
  open: false,
  calm: 0,
});

export interface Verdict {
  action: "raise" | "clear" | null;
  value: number;
  /** The mean and z-score the minute was judged by (before it was folded in). */
  mean: number;
  zScore: number;
  anomalous: boolean;
}

/** Judges one minute's count and returns the new state; pure, so replays are exact. */
export function observeMinute(
  state: DetectorState,
  value: number,
  config: DetectorConfig,
): { state: DetectorState; verdict: Verdict } {
  const sd = Math.max(Math.sqrt(state.variance), Math.sqrt(state.mean), 1);
  const zScore = state.samples ? (value - state.mean) / sd : 0;
  const anomalous =
    state.samples >= config.warmupMinutes && value >= config.minVolume && zScore > config.threshold;
  const next = { ...state };
  let action: Verdict["action"] = null;
  if (anomalous) {
    next.calm = 0;
    if (!state.open) {
      next.open = true;
      action = "raise";
    }
  } else {
    if (state.open) {
      next.calm = state.calm + 1;
      if (next.calm >= config.calmMinutes) {
        next.open = false;
        next.calm = 0;
        action = "clear";
      }
    }
  }
  if (!anomalous) {
    if (state.samples === 0) {
      next.mean = value;
      next.variance = 0;
    } else {
      const diff = value - state.mean;
      const incr = config.alpha * diff;
      next.mean = state.mean + incr;
      next.variance = (1 - config.alpha) * (state.variance + diff * incr);
    }
    next.samples = state.samples + 1;
  }
  return { state: next, verdict: { action, value, mean: state.mean, zScore, anomalous } };
}

/** Raw env values (strings) of the tuning variables; anything unset or invalid keeps its default. */
export interface AlertVars {
  ALERT_Z_THRESHOLD?: string;
  ALERT_MIN_VOLUME?: string;
  ALERT_EWMA_ALPHA?: string;
  ALERT_CALM_MINUTES?: string;
  ALERT_WARMUP_MINUTES?: string;
}

export function detectorConfig(env: AlertVars): DetectorConfig {
  const num = (v: string | undefined, fallback: number, ok: (n: number) => boolean) => {
    const n = v === undefined || v.trim() === "" ? Number.NaN : Number(v);
    return Number.isFinite(n) && ok(n) ? n : fallback;
  };
  const d = DEFAULT_DETECTOR_CONFIG;
  return {
    threshold: num(env.ALERT_Z_THRESHOLD, d.threshold, (n) => n > 0),
    minVolume: num(env.ALERT_MIN_VOLUME, d.minVolume, (n) => n >= 0),
    alpha: num(env.ALERT_EWMA_ALPHA, d.alpha, (n) => n > 0 && n <= 1),
    calmMinutes: num(env.ALERT_CALM_MINUTES, d.calmMinutes, (n) => Number.isInteger(n) && n >= 1),
    warmupMinutes: num(
      env.ALERT_WARMUP_MINUTES,
      d.warmupMinutes,
      (n) => Number.isInteger(n) && n >= 0,
    ),
  };
}

export const DETECTED_METRICS: readonly AlertMetric[] = ["requests", "errors_4xx", "errors_5xx"];
