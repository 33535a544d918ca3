import { describe, expect, it } from "vitest";
import { type Dated, retained } from "../../../src/services/backups/retention.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-30T12:00:00.000Z"); // a Monday

/** One nightly backup at 02:00 UTC for each of the `days` days up to and including today. */
function calendar(days: number, skip: (date: string) => boolean = () => false): Dated[] {
  const out: Dated[] = [];
  for (let i = 0; i < days; i++) {
    const at = new Date(Date.parse("2026-11-30T02:00:00.000Z") - i * DAY).toISOString();
    if (!skip(at.slice(0, 10))) out.push({ id: at.slice(0, 10), at });
  }
  return out;
}

const kept = (b: Dated[], now = NOW) => [...retained(b, now)].sort();

describe("grandfather-father-son retention", () => {
  it("keeps exactly 7 daily, 4 weekly and 12 monthly of a 400-day calendar", () => {
    const all = calendar(400);
    expect(all).toHaveLength(400);
    expect(kept(all)).toEqual(
      [
        // daily: the last 7 days
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-28",
        "2026-11-29",
        "2026-11-30",
        // weekly: the newest of each of the last 4 ISO weeks: today (this week's), and
        // the Sundays 11-29 (daily already), 11-22 and 11-15
        "2026-11-22",
        "2026-11-15",
        // monthly: the newest of each of the last 12 months (November's is today)
        "2026-10-31",
        "2026-09-30",
        "2026-08-31",
        "2026-07-31",
        "2026-06-30",
        "2026-05-31",
        "2026-04-30",
        "2026-03-31",
        "2026-02-28",
        "2026-01-31",
        "2025-12-31",
      ].sort(),
    );
  });

  it("keeps the newest of each period when days are missing, and counts periods, not backups", () => {
    // No backups on the last three days of each month, nor on 2026-11-29 and 11-22.
    const gaps = calendar(
      400,
      (d) => ["29", "30", "31"].includes(d.slice(8)) || d === "2026-11-22",
    );
    const k = kept(gaps);
    expect(k).toContain("2026-10-28"); // October's newest
    expect(k).toContain("2026-11-21"); // the week of 11-16..22's newest
    expect(k).not.toContain("2026-11-23"); // outside the 7 days, and not the newest of its week
    expect(k.filter((d) => d >= "2026-11-24")).toEqual([
      "2026-11-24",
      "2026-11-25",
      "2026-11-26",
      "2026-11-27",
      "2026-11-28",
    ]);
    expect(k.length).toBeLessThanOrEqual(7 + 4 + 12);
  });

  it("is stable: applying it to what it kept keeps all of it, and the next night drops one daily", () => {
    const all = calendar(400);
    const first = retained(all, NOW);
    expect(
      retained(
        all.filter((b) => first.has(b.id)),
        NOW,
      ),
    ).toEqual(first);
    const tomorrow = [
      { id: "2026-12-01", at: "2026-12-01T02:00:00.000Z" },
      ...all.filter((b) => first.has(b.id)),
    ];
    const next = kept(tomorrow, NOW + DAY);
    expect(next).toContain("2026-12-01");
    expect(next).not.toContain("2026-11-24");
    // 2026-11-30 stays: November's monthly and the newest of last week.
    expect(next).toContain("2026-11-30");
    // 2025-12-31 drops off: December 2025 is now 13 months back.
    expect(next).not.toContain("2025-12-31");
  });

  it("ignores backups from the future and keeps nothing of an empty list", () => {
    expect(kept([])).toEqual([]);
    expect(kept([{ id: "x", at: "2027-01-01T00:00:00.000Z" }])).toEqual([]);
  });
});
