/** Values the formats' writers put where a date is unknown (pandas' NaN and NaT, WBIA's "NA"). */
const UNKNOWN = new Set(['', 'na', 'n/a', 'nan', 'nat', 'none', 'null', 'unknown']);
const DATE_TIME = /^(\d{4})[-:/](\d{2})[-:/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A capture time as an annotation file writes it (WBIA's "2015-02-05 10:22:01", Wildbook's
 * "2019-05-03T10:22:01.000+02:00", wildlife-datasets' "%Y-%m-%d %H:%M:%S", a bare date), in the form the
 * catalog stores EXIF times: "YYYY-MM-DDThh:mm:ss" plus the offset when the file gives one, or
 * "YYYY-MM-DD" when it gives the day only. null when the file says it is unknown; a string that is no
 * date at all gives `{ problem }`.
 */
export function captureTime(value: unknown): string | null | { problem: string } {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (UNKNOWN.has(text.toLowerCase())) return null;
  const match = DATE_TIME.exec(text);
  if (!match) return { problem: `date "${text}" is not a date and time (YYYY-MM-DD hh:mm:ss)` };
  const [, year, month, day, hour, minute, second = '00', zone] = match;
  // Year 0 is how some tools write "unknown" (EXIF's "0000:00:00 00:00:00").
  if (year === '0000') return null;
  const inRange = Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= 31;
  if (!inRange || (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59))) {
    return { problem: `date "${text}" is out of range` };
  }
  const date = `${year}-${month}-${day}`;
  if (hour === undefined) return date;
  const offset = zone === undefined ? '' : zone.toUpperCase() === 'Z' ? '+00:00' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return `${date}T${hour}:${minute}:${second}${offset}`;
}
