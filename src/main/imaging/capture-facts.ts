import exifr from 'exifr';

export interface CaptureFacts {
  /** Camera wall-clock time as ISO-8601 without zone ("2019-05-03T10:22:01"), plus the offset when the file records one. */
  capturedAt: string | null;
  gpsLat: number | null;
  gpsLon: number | null;
}

const NONE: CaptureFacts = { capturedAt: null, gpsLat: null, gpsLon: null };
const EXIF_TIME = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

/**
 * EXIF time without zone means the camera clock's local time, which says nothing about the machine
 * importing it; converting it to UTC here would shift it by the importer's time zone, so it is kept as written.
 */
function captureTime(raw: Record<string, unknown>): string | null {
  for (const key of ['DateTimeOriginal', 'CreateDate', 'ModifyDate']) {
    const match = typeof raw[key] === 'string' ? EXIF_TIME.exec(raw[key] as string) : null;
    if (!match || match[1] === '0000') continue;
    const [, year, month, day, hour, minute, second] = match;
    const offset = raw.OffsetTimeOriginal;
    return `${year}-${month}-${day}T${hour}:${minute}:${second}${typeof offset === 'string' && OFFSET.test(offset) ? offset : ''}`;
  }
  return null;
}

function coordinate(value: unknown, limit: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit ? value : null;
}

/** Capture time and GPS position from a photo's EXIF; missing or unreadable EXIF gives nulls, never an error. */
export async function readCaptureFacts(photo: Buffer): Promise<CaptureFacts> {
  let raw: Record<string, unknown> | undefined;
  try {
    raw = await exifr.parse(photo, {
      pick: ['DateTimeOriginal', 'CreateDate', 'ModifyDate', 'OffsetTimeOriginal', 'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef'],
      reviveValues: false,
    });
  } catch {
    return NONE;
  }
  if (!raw) return NONE;
  const gpsLat = coordinate(raw.latitude, 90);
  const gpsLon = coordinate(raw.longitude, 180);
  // (0, 0) is what cameras without a fix write more often than a photo taken in the Gulf of Guinea.
  const hasFix = gpsLat !== null && gpsLon !== null && !(gpsLat === 0 && gpsLon === 0);
  return { capturedAt: captureTime(raw), gpsLat: hasFix ? gpsLat : null, gpsLon: hasFix ? gpsLon : null };
}
