import type { Annotation } from '../../shared/api.ts';

export const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

export const annotationLabel = (annotation: Annotation): string =>
  `${annotation.name ?? 'unnamed'} — ${fileName(annotation.image)}`;

export const formatNumber = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

/** The place of an annotation's photo, when the catalog records one (GPS in the photo's EXIF). */
export function placeOf(annotation: Annotation): string | null {
  const { gpsLat, gpsLon } = annotation;
  if (gpsLat === null || gpsLon === null) return null;
  const lat = `${Math.abs(gpsLat).toFixed(5)}° ${gpsLat >= 0 ? 'N' : 'S'}`;
  const lon = `${Math.abs(gpsLon).toFixed(5)}° ${gpsLon >= 0 ? 'E' : 'W'}`;
  return `${lat}, ${lon}`;
}

/** A capture time as stored (camera wall-clock, ISO without zone) made readable. */
export const formatCaptured = (value: string | null): string => (value ? value.replace('T', ' ') : 'unknown');
