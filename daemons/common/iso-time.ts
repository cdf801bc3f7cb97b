// Timestamps as Date#toISOString writes them, without a Date. The first Date string
// a process makes (toISOString included) loads V8's time-zone data from ICU: about
// 0.9 MB of the node binary's pages enter every daemon's RSS (measured per mapping,
// /proc/PID/smaps, node 20.20, --lite-mode), four daemons a project. A log line or a
// record needs none of it: the time is UTC.

const MS_PER_DAY = 86_400_000;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** `ms` since the epoch (default now) as "YYYY-MM-DDTHH:mm:ss.sssZ", UTC: the same
 *  text as new Date(ms).toISOString() for the years 0000 to 9999. */
export function isoTime(ms: number = Date.now()): string {
  const t = Math.floor(ms);
  const days = Math.floor(t / MS_PER_DAY);
  const inDay = t - days * MS_PER_DAY;
  // Days to a civil date (H. Hinnant's days_from_civil, inverted): eras of 400 years.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor(inDay / 60_000) % 60;
  const s = Math.floor(inDay / 1000) % 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(inDay % 1000, 3)}Z`;
}
