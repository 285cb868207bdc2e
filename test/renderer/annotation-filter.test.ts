import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/shared/api.ts';
import { filterAnnotations, NO_FILTER } from '../../src/renderer/lib/annotation-filter.ts';

const annotation = (id: number, image: string, side: string | null, name: string | null): Annotation => ({
  id,
  imageId: id,
  image,
  imageWidth: 512,
  imageHeight: 490,
  box: null,
  theta: 0,
  side,
  individualId: name ? id : null,
  name,
  thumbnail: null,
  capturedAt: null,
  gpsLat: null,
  gpsLon: null,
  source: 'import',
});

const ALL = [
  annotation(1, 'photos/106/132_leftphoto.jpg', 'left', 'nyala-106'),
  annotation(2, 'photos/106/132_rightphoto.jpg', 'right', 'nyala-106'),
  annotation(3, 'photos/123/159_leftphoto.jpg', 'left', null),
  annotation(4, 'photos/extra/IMG_7.JPG', null, 'Nyala-7'),
];
const ids = (filter: Partial<typeof NO_FILTER>) => filterAnnotations(ALL, { ...NO_FILTER, ...filter }).map((a) => a.id);

describe('the catalog grid filter', () => {
  it('keeps everything without a filter', () => {
    expect(ids({})).toEqual([1, 2, 3, 4]);
  });

  it('filters by side, an unknown side meaning none recorded', () => {
    expect(ids({ side: 'left' })).toEqual([1, 3]);
    expect(ids({ side: 'right' })).toEqual([2]);
    expect(ids({ side: 'unknown' })).toEqual([4]);
  });

  it('matches the name or the file, ignoring case and surrounding spaces', () => {
    expect(ids({ text: ' NYALA-1 ' })).toEqual([1, 2]);
    expect(ids({ text: 'img_7' })).toEqual([4]);
    expect(ids({ text: '159' })).toEqual([3]);
  });

  it('combines the filters, unnamed only included', () => {
    expect(ids({ unnamedOnly: true })).toEqual([3]);
    expect(ids({ unnamedOnly: true, side: 'right' })).toEqual([]);
    expect(ids({ side: 'left', text: 'nyala' })).toEqual([1]);
  });
});
