/**
 * Grandfather-father-son retention: of the successful backups, keep the newest of
 * each of the last {@link DAILY} calendar days, of each of the last {@link WEEKLY}
 * ISO weeks (Monday to Sunday) and of each of the last {@link MONTHLY} calendar
 * months, all in UTC and counting the period `now` falls in. A backup kept by any
 * rule stays. Pure: the nightly clean-up and the tests share it.
 */
export const DAILY = 7;
export const WEEKLY = 4;
export const MONTHLY = 12;

export interface Dated {
  id: string;
  /** When the snapshot was taken (RFC 3339). */
  at: string;
}

const DAY_MS = 86_400_000;
const dayNumber = (ms: number) => Math.floor(ms / DAY_MS);
/** Days since the epoch of the Monday starting `ms`'s ISO week (1970-01-01 was a Thursday). */
const weekNumber = (ms: number) => Math.floor((dayNumber(ms) + 3) / 7);
const monthNumber = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

export function retained(backups: readonly Dated[], now: number): Set<string> {
  const newestFirst = [...backups]
    .filter((b) => Date.parse(b.at) <= now)
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1));
  const keep = new Set<string>();
  const rules: [(ms: number) => number, number][] = [
    [dayNumber, DAILY],
    [weekNumber, WEEKLY],
    [monthNumber, MONTHLY],
  ];
  for (const [period, count] of rules) {
    const current = period(now);
    const seen = new Set<number>();
    for (const b of newestFirst) {
      const p = period(Date.parse(b.at));
      if (current - p >= count || seen.has(p)) continue;
      seen.add(p);
      keep.add(b.id);
    }
  }
  return keep;
}
