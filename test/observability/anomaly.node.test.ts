import { describe, expect, it } from "vitest";
import {
  DEFAULT_DETECTOR_CONFIG,
  type DetectorConfig,
  detectorConfig,
  initialState,
  observeMinute,
} from "../../src/metrics/anomaly.ts";
import { noisy, seeded } from "./series.ts";

/** Runs the detector over a series and returns the minute index of every raise and clear. */
function replay(series: number[], config: DetectorConfig = DEFAULT_DETECTOR_CONFIG) {
  let state = initialState();
  const events: [number, "raise" | "clear"][] = [];
  series.forEach((value, i) => {
    const r = observeMinute(state, value, config);
    state = r.state;
    if (r.verdict.action) events.push([i, r.verdict.action]);
  });
  return { events, state };
}

describe("anomaly detection (EWMA z-score, seeded synthetic series)", () => {
  const random = seeded(20261130);
  const flat = (n: number) => noisy(random, 100, n);

  it("flat → spike alerts once → calm clears after 5 minutes → a second spike alerts again", () => {
    const series = [
      ...flat(30), // 0–29: history
      1000,
      1200,
      900, // 30–32: one episode of three anomalous minutes
      ...flat(12), // 33–44: calm; clears at the 5th calm minute (37)
      800, // 45: second episode
      ...flat(10), // 46–55: clears at 50
    ];
    const { events } = replay(series);
    expect(events).toEqual([
      [30, "raise"],
      [37, "clear"],
      [45, "raise"],
      [50, "clear"],
    ]);
  });

  it("does not alert on the noise of a flat series, nor before the warm-up", () => {
    expect(replay(flat(500)).events).toEqual([]);
    // A spike in the first minutes has no history to be judged against.
    expect(replay([100, 100, 5000, ...flat(20)]).events).toEqual([]);
  });

  it("a low-volume blip does not alert: 4 errors after a quiet hour", () => {
    const quiet = noisy(seeded(7), 0.2, 60);
    const { events } = replay([...quiet, 4, ...quiet.slice(0, 10)]);
    expect(events).toEqual([]);
    // …while the same jump past the minimum volume does.
    expect(replay([...quiet, 40, ...quiet.slice(0, 10)]).events[0]).toEqual([60, "raise"]);
  });

  it("a minute that is not calm restarts the count of calm minutes", () => {
    const series = [...flat(30), 1000, ...flat(3), 1000, ...flat(10)];
    expect(replay(series).events).toEqual([
      [30, "raise"],
      [39, "clear"], // 34 was anomalous again: the five calm minutes are 35–39
    ]);
  });

  it("anomalous minutes stay out of the average, so a long incident does not clear itself", () => {
    const { events, state } = replay([...flat(30), ...Array(60).fill(1000)]);
    expect(events).toEqual([[30, "raise"]]);
    expect(state.open).toBe(true);
    expect(state.mean).toBeLessThan(150);
  });

  it("reads its tuning from the env, ignoring unusable values", () => {
    expect(detectorConfig({})).toEqual(DEFAULT_DETECTOR_CONFIG);
    expect(
      detectorConfig({
        ALERT_Z_THRESHOLD: "6",
        ALERT_MIN_VOLUME: "50",
        ALERT_EWMA_ALPHA: "0.3",
        ALERT_CALM_MINUTES: "10",
        ALERT_WARMUP_MINUTES: "30",
      }),
    ).toEqual({ threshold: 6, minVolume: 50, alpha: 0.3, calmMinutes: 10, warmupMinutes: 30 });
    expect(
      detectorConfig({ ALERT_Z_THRESHOLD: "-1", ALERT_EWMA_ALPHA: "2", ALERT_CALM_MINUTES: "1.5" }),
    ).toEqual(DEFAULT_DETECTOR_CONFIG);
    // A higher threshold ignores what the default catches.
    const series = [...flat(30), 160, ...flat(5)];
    expect(replay(series).events.length).toBeGreaterThan(0);
    expect(replay(series, { ...DEFAULT_DETECTOR_CONFIG, threshold: 8 }).events).toEqual([]);
  });
});
