import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnnotationRow, AnnotationRows } from '../../src/main/catalog/annotation-rows.ts';
import { importFolder } from '../../src/main/catalog/import.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { copyDemoPhotos, tempFolder } from './helpers.ts';

/** A row with the defaults a reader fills in. */
const row = (fields: Partial<AnnotationRow> & Pick<AnnotationRow, 'path'>): AnnotationRow => ({
  name: null,
  side: null,
  box: null,
  units: 'pixels',
  referenceSize: null,
  theta: 0,
  capturedAt: null,
  gps: null,
  ...fields,
});

const rows = (list: AnnotationRow[], described: string[] = list.map((r) => r.path)): AnnotationRows => ({
  file: 'file.json',
  format: 'test',
  rows: list,
  described: new Set(described),
  issues: [],
});

describe('applyAnnotationRows (through the import)', () => {
  it('scales pixel boxes from the size the file refers to, and fractions from the photo', async () => {
    const root = tempFolder();
    const [a, b, c, d] = copyDemoPhotos(root, 4).map((photo) => photo.image);
    const workbench = Workbench.init(root);
    // The demo photos are 512 px on their long side; a file written for them at 4× (2048 px).
    const { width, height } = await import('sharp').then(({ default: sharp }) => sharp(join(root, a)).metadata());
    const reference = { width: width! * 4, height: height! * 4 };
    const summary = await importFolder(workbench.store, root, {
      annotations: [
        rows(
          [
            row({ label: 'annotation 1', path: a, box: { x: 400, y: 200, w: 800, h: 400 }, referenceSize: reference, name: 'A', side: 'left', capturedAt: '2020-01-02T03:04:05' }),
            row({ label: 'annotation 2', path: a, box: { x: 0.5, y: 0.5, w: 0.25, h: 0.25 }, units: 'fractions', name: 'B' }),
            // Another shape than the photo: turned, or another photo.
            row({ label: 'annotation 3', path: b, box: { x: 0, y: 0, w: 10, h: 10 }, referenceSize: { width: reference.height, height: reference.width } }),
            row({ label: 'annotation 4', path: c, box: { x: 0, y: 0, w: 10, h: 10 }, gps: { lat: -27.5, lon: 32.25 } }),
          ],
          [a, b, c],
        ),
      ],
    });
    expect(summary.issues).toEqual([
      { file: 'file.json', message: expect.stringMatching(/^annotation 3: the file's image is \d+×\d+ but the photo is \d+×\d+: another photo, or turned/) },
    ]);
    const byImage = (path: string) => workbench.list().annotations.filter((annotation) => annotation.image === path);
    expect(byImage(a).map((annotation) => [annotation.name, annotation.box])).toEqual([
      ['A', { x: 100, y: 50, w: 200, h: 100 }],
      ['B', { x: 0.5 * width!, y: 0.5 * height!, w: 0.25 * width!, h: 0.25 * height! }],
    ]);
    expect(byImage(a)[0]).toMatchObject({ source: 'file.json#annotation 1', side: 'left', capturedAt: '2020-01-02T03:04:05' });
    // Described by the file, but by a bad record only: no annotation rather than a guessed one.
    expect(byImage(b)).toEqual([]);
    expect(byImage(c)[0]).toMatchObject({ gpsLat: -27.5, gpsLon: 32.25 });
    // Not described: one whole-photo annotation.
    expect(byImage(d)).toEqual([expect.objectContaining({ box: null, source: 'whole-image' })]);

    // Again: nothing added twice; capture facts never replace what is there.
    const again = await importFolder(workbench.store, root, {
      annotations: [rows([row({ label: 'annotation 1', path: a, box: { x: 400, y: 200, w: 800, h: 400 }, referenceSize: reference, name: 'A', capturedAt: '1999-09-09T09:09:09' })])],
    });
    expect(again).toMatchObject({ annotationsAdded: 0, annotationsUpdated: 0, issues: [] });
    expect(byImage(a)[0].capturedAt).toBe('2020-01-02T03:04:05');
    workbench.close();
  });
});
