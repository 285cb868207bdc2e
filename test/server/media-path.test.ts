import { describe, expect, it } from 'vitest';
import { annotationVersion, mediaPath, parseMediaPath, type MediaRequest } from '../../src/shared/bridge.ts';

const roundTrip = (request: MediaRequest) => {
  const [path, query = ''] = mediaPath(request).split('?');
  return parseMediaPath(path, new URLSearchParams(query));
};

describe('media addresses of boxes and photos', () => {
  it('carry an annotation’s box version, and name photos by id', () => {
    const boxed = { box: { x: 10.5, y: 20, w: 100, h: 80 }, theta: 0.25 };
    const version = annotationVersion(boxed);
    expect(version).not.toBe(annotationVersion({ ...boxed, theta: 0.3 }));
    expect(annotationVersion({ box: null, theta: 0 })).toBe('whole');
    expect(mediaPath({ kind: 'thumb', annotationId: 7, version })).toBe(`thumb/7?v=${version}`);
    expect(roundTrip({ kind: 'thumb', annotationId: 7, version })).toEqual({ kind: 'thumb', annotationId: 7, version });
    expect(roundTrip({ kind: 'view', annotationId: 3 })).toEqual({ kind: 'view', annotationId: 3 });
    expect(roundTrip({ kind: 'image', imageId: 12 })).toEqual({ kind: 'image', imageId: 12 });
    expect(roundTrip({ kind: 'image-thumb', imageId: 1 })).toEqual({ kind: 'image-thumb', imageId: 1 });
    for (const bad of ['image/0', 'image/-1', 'image/1/2', 'image-thumb/..%2Fx', 'image/abc']) expect(parseMediaPath(bad, new URLSearchParams())).toBeNull();
  });
});
