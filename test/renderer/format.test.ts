import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/shared/api.ts';
import { formatCaptured, placeOf } from '../../src/renderer/lib/format.ts';

const annotation = (gpsLat: number | null, gpsLon: number | null) => ({ gpsLat, gpsLon }) as Annotation;

describe('the facts beside each photo', () => {
  it('writes a GPS position with hemispheres', () => {
    expect(placeOf(annotation(-27.5, 32.258333))).toBe('27.50000° S, 32.25833° E');
    expect(placeOf(annotation(51.1, -0.25))).toBe('51.10000° N, 0.25000° W');
  });

  it('says nothing of a place the photo does not record', () => {
    expect(placeOf(annotation(null, null))).toBeNull();
    expect(placeOf(annotation(10, null))).toBeNull();
  });

  it('shows the camera time as written', () => {
    expect(formatCaptured('2019-05-03T10:22:01+02:00')).toBe('2019-05-03 10:22:01+02:00');
    expect(formatCaptured(null)).toBe('unknown');
  });
});
