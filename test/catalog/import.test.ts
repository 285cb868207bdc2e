import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/shared/api.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { DEMO, copyDemoPhotos, csvText, tempFolder } from './helpers.ts';

const byImage = (annotations: Annotation[]) => {
  const map = new Map<string, Annotation[]>();
  for (const annotation of annotations) map.set(annotation.image, [...(map.get(annotation.image) ?? []), annotation]);
  return map;
};

/** A JPEG whose header claims `width`×`height`: enough for a header check, never decodable. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  for (let i = 0; i < jpeg.length - 8; i++) {
    // Start-of-frame markers (baseline or progressive): FF C0|C2, length (2), precision (1), height (2), width (2).
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no start-of-frame marker');
}

describe('importFolder', () => {
  it('imports real photos with a CSV, reporting every bad row and photo without stopping', async () => {
    const root = tempFolder();
    const photos = copyDemoPhotos(root, 8).map((photo) => photo.image);
    const [a, b, c, d, e, f] = photos;
    const real = readFileSync(join(root, a));
    writeFileSync(join(root, 'photos/truncated.jpg'), real.subarray(0, Math.floor(real.length * 0.4)));
    writeFileSync(join(root, 'photos/notes.jpg'), 'these are field notes, not a photo\n');
    writeFileSync(join(root, 'photos/huge.jpg'), await jpegClaiming(20_000, 10_000));
    const outside = tempFolder('pairx-outside-');
    copyFileSync(join(root, a), join(outside, 'o.jpg'));
    writeFileSync(
      join(root, 'annotations.csv'),
      csvText([
        ['image', 'name', 'side', 'x', 'y', 'w', 'h', 'theta'],
        [a, 'A', 'left', '', '', '', '', ''], // line 2
        [b, 'B', 'Right', 10, 20, 100, 80, 0.1], // 3: box in pixels
        [c, 'C', 'left', 0.1, 0.2, 0.5, 0.25, ''], // 4: box as fractions
        [d, 'D', 'left', 0, 0, 100, 100, ''], // 5: two annotations on one photo
        [d, 'E', 'left', 200, 100, 100, 100, ''], // 6
        ['photos/missing.jpg', 'X', 'left', '', '', '', '', ''], // 7
        [join(outside, 'o.jpg'), 'X', 'left', '', '', '', '', ''], // 8
        [e, 'F', 'left', 400, 400, 300, 300, ''], // 9: box outside the photo
        [a, 'A', 'left', '', '', '', '', ''], // 10: duplicate of line 2
        ['photos/truncated.jpg', 'T', 'left', '', '', '', '', ''], // 11
        ['photos/notes.jpg', 'N', 'left', '', '', '', '', ''], // 12
        [f, 'G', 'left', 1, 2, '', '', ''], // 13: incomplete box
        ['../escape.jpg', 'X', 'left', '', '', '', '', ''], // 14
      ]),
    );

    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(root, { annotationsCsv: join(root, 'annotations.csv') });
    expect(summary).toMatchObject({ scanned: 11, added: 8, failed: 3, unchanged: 0, duplicates: 0, moved: 0, cancelled: false });

    const issues = summary.issues.map((issue) => `${issue.file}:${issue.row ?? ''}: ${issue.message}`);
    const issueAt = (file: string, row?: number) => issues.filter((line) => line.startsWith(`${file}:${row ?? ''}:`));
    expect(issueAt('photos/truncated.jpg')).toEqual([expect.stringMatching(/cannot read image/)]);
    expect(issueAt('photos/notes.jpg')).toEqual([expect.stringMatching(/cannot read image/)]);
    expect(issueAt('photos/huge.jpg')).toEqual([expect.stringMatching(/200 megapixels\), over the 100-megapixel limit/)]);
    expect(issueAt('annotations.csv', 7)).toEqual([expect.stringMatching(/photos\/missing.jpg not found/)]);
    expect(issueAt('annotations.csv', 8)).toEqual([expect.stringMatching(/outside the catalog folder/)]);
    expect(issueAt('annotations.csv', 9)).toEqual([expect.stringMatching(/reaches outside the \d+×\d+ photo/)]);
    expect(issueAt('annotations.csv', 10)).toEqual([expect.stringMatching(/duplicate of line 2/)]);
    expect(issueAt('annotations.csv', 11)).toEqual([expect.stringMatching(/could not be imported/)]);
    expect(issueAt('annotations.csv', 12)).toEqual([expect.stringMatching(/could not be imported/)]);
    expect(issueAt('annotations.csv', 13)).toEqual([expect.stringMatching(/incomplete box/)]);
    expect(issueAt('annotations.csv', 14)).toEqual([expect.stringMatching(/outside the catalog folder/)]);
    expect(issues).toHaveLength(11);

    const annotations = byImage(workbench.list().annotations);
    expect(annotations.get(a)).toEqual([expect.objectContaining({ name: 'A', side: 'left', box: null, theta: 0, source: 'annotations.csv:2' })]);
    expect(annotations.get(b)).toEqual([expect.objectContaining({ name: 'B', side: 'right', box: { x: 10, y: 20, w: 100, h: 80 }, theta: 0.1 })]);
    const [cAnnotation] = annotations.get(c)!;
    expect(cAnnotation.box).toEqual({ x: 0.1 * cAnnotation.imageWidth, y: 0.2 * cAnnotation.imageHeight, w: 0.5 * cAnnotation.imageWidth, h: 0.25 * cAnnotation.imageHeight });
    expect(annotations.get(d)!.map((annotation) => annotation.name)).toEqual(['D', 'E']);
    // Described by the CSV, but by bad rows only: no annotation rather than a guessed whole-photo one.
    expect(annotations.get(e)).toBeUndefined();
    expect(annotations.get(f)).toBeUndefined();
    // Not in the CSV: one whole-photo annotation each.
    for (const photo of photos.slice(6)) expect(annotations.get(photo)).toEqual([expect.objectContaining({ box: null, name: null, source: 'whole-image' })]);

    for (const annotation of workbench.list().annotations) {
      const thumbnail = await sharp(join(root, annotation.thumbnail!)).metadata();
      expect(Math.max(thumbnail.width, thumbnail.height)).toBe(256);
    }
    expect(workbench.status()).toMatchObject({ images: 8, annotations: 7, namedAnnotations: 5, individuals: 5, unfinishedJobs: [] });
    expect(workbench.store.integrityCheck()).toEqual(['ok']);

    // The same CSV again changes nothing (the duplicate row is still reported).
    const again = await workbench.importFolder(root, { annotationsCsv: join(root, 'annotations.csv') });
    expect(again).toMatchObject({ added: 0, unchanged: 8, failed: 3, annotationsAdded: 0, annotationsUpdated: 0 });
    expect(workbench.status().annotations).toBe(7);
    workbench.close();
  });

  it('refuses a CSV without an image column up front, naming its columns', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 2);
    writeFileSync(join(root, 'a.csv'), csvText([['file', 'Name', 'side'], ['photos/x.jpg', 'A', 'left']]));
    const workbench = Workbench.init(root);
    await expect(workbench.importFolder(root, { annotationsCsv: join(root, 'a.csv') })).rejects.toThrow('a.csv has no "image" column (its columns: "file", "name", "side")');
    expect(workbench.status().images).toBe(0);
    workbench.close();
  });

  it('refuses a folder outside the catalog folder', async () => {
    const root = tempFolder();
    const elsewhere = tempFolder();
    const workbench = Workbench.init(root);
    await expect(workbench.importFolder(elsewhere)).rejects.toThrow(/is outside the catalog folder .*; move or copy the photos into it/);
    workbench.close();
  });

  it('identifies photos by content: a copy is not a new image, a moved photo keeps its annotations', async () => {
    const root = tempFolder();
    const [first, second] = copyDemoPhotos(root, 3).map((photo) => photo.image);
    const workbench = Workbench.init(root);
    await workbench.importFolder();
    const before = workbench.list().annotations;
    const movedId = before.find((annotation) => annotation.image === second)!.id;

    mkdirSync(join(root, 'copies'));
    copyFileSync(join(root, first), join(root, 'copies/same.jpg'));
    renameSync(join(root, second), join(root, 'moved.jpg'));
    const summary = await workbench.importFolder();
    expect(summary).toMatchObject({ scanned: 4, added: 0, duplicates: 1, moved: 1, unchanged: 2 });
    const after = workbench.list().annotations;
    expect(after.map((annotation) => annotation.id)).toEqual(before.map((annotation) => annotation.id));
    expect(after.find((annotation) => annotation.id === movedId)!.image).toBe('moved.jpg');
    expect(workbench.status()).toMatchObject({ images: 3, missingImages: 0 });

    // The copy is a known path now: a CSV row may name the photo by either path.
    writeFileSync(join(root, 'names.csv'), csvText([['image', 'name'], ['copies/same.jpg', 'Z']]));
    await workbench.importFolder(root, { annotationsCsv: join(root, 'names.csv') });
    expect(workbench.list().annotations.find((annotation) => annotation.image === first)!.name).toBe('Z');

    // A photo deleted everywhere stays in the catalog (decisions may refer to it) and counts as missing.
    rmSync(join(root, 'moved.jpg'));
    await workbench.importFolder();
    expect(workbench.status()).toMatchObject({ images: 3, missingImages: 1 });
    workbench.close();
  });

  it('re-imports incrementally: unchanged files are not read again', async () => {
    const root = tempFolder();
    const photos = copyDemoPhotos(root, 6).map((photo) => photo.image);
    const workbench = Workbench.init(root);
    expect(await workbench.importFolder()).toMatchObject({ added: 6 });
    // Were any photo read again, its missing thumbnail would be written again.
    rmSync(join(root, '.pairx/thumbs'), { recursive: true });
    mkdirSync(join(root, '.pairx/thumbs'));
    copyDemoPhotos(root, 8);
    const summary = await workbench.importFolder();
    expect(summary).toMatchObject({ scanned: 8, added: 2, unchanged: 6 });
    expect(workbench.list().annotations.filter((annotation) => existsSync(join(root, annotation.thumbnail!)))).toHaveLength(2);
    // A touched file is hashed again, found unchanged, and not duplicated.
    utimesSync(join(root, photos[0]), new Date(), new Date(2001, 1, 1));
    expect(await workbench.importFolder()).toMatchObject({ added: 0, unchanged: 8, duplicates: 0 });
    expect(workbench.status()).toMatchObject({ images: 8, annotations: 8 });
    workbench.close();
  });

  it('names annotations imported earlier without a CSV', async () => {
    const root = tempFolder();
    const photos = copyDemoPhotos(root, 4);
    const workbench = Workbench.init(root);
    await workbench.importFolder();
    expect(workbench.status().namedAnnotations).toBe(0);
    const summary = await workbench.importFolder(root, { annotationsCsv: join(DEMO, 'annotations.csv') });
    // The demo CSV also lists photos this catalog does not have.
    expect(summary).toMatchObject({ annotationsAdded: 0, annotationsUpdated: 4 });
    expect(summary.issues).toHaveLength(36);
    expect(workbench.list().annotations.map((annotation) => [annotation.name, annotation.side])).toEqual(photos.map((photo) => [photo.name, photo.side]));
    workbench.close();
  });

  it('keeps EXIF orientation, capture time and GPS, with an upright thumbnail', async () => {
    const root = tempFolder();
    await sharp(join(DEMO, 'photos/106/132_rightphoto.jpg'))
      .withExif({
        IFD2: { DateTimeOriginal: '2019:05:03 10:22:01', OffsetTimeOriginal: '+02:00' },
        IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '27/1 30/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '32/1 15/1 30/1' },
      })
      .withMetadata({ orientation: 6 })
      .resize(400, 300, { fit: 'fill' })
      .jpeg()
      .toFile(join(root, 'rotated.jpg'));
    const workbench = Workbench.init(root);
    expect(await workbench.importFolder()).toMatchObject({ added: 1, issues: [] });
    const image = workbench.store.images.byId(1)!;
    expect(image).toMatchObject({ width: 300, height: 400, orientation: 6, capturedAt: '2019-05-03T10:22:01+02:00' });
    expect(image.gpsLat).toBeCloseTo(-27.5, 6);
    expect(image.gpsLon).toBeCloseTo(32.258333, 5);
    // The annotations the fronts list carry the time and place beside each photo.
    const [annotation] = workbench.list().annotations;
    expect(annotation).toMatchObject({ capturedAt: '2019-05-03T10:22:01+02:00' });
    expect(annotation.gpsLat).toBeCloseTo(-27.5, 6);
    expect(annotation.gpsLon).toBeCloseTo(32.258333, 5);
    const thumbnail = await sharp(join(root, '.pairx', image.thumbnail!)).metadata();
    expect([thumbnail.width, thumbnail.height]).toEqual([192, 256]);
    workbench.close();
  });

  it('stops cleanly when cancelled and resumes on the next run', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 12);
    const workbench = Workbench.init(root);
    const controller = new AbortController();
    const summary = await workbench.importFolder(root, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'images' && progress.done === 3) controller.abort();
      },
    });
    // The photo in flight when the signal came is still committed; nothing after it starts.
    expect(summary).toMatchObject({ cancelled: true, added: 4 });
    expect(workbench.status()).toMatchObject({ images: 4, annotations: 4, unfinishedJobs: [] });
    expect(await workbench.importFolder()).toMatchObject({ cancelled: false, added: 8, unchanged: 4 });
    workbench.close();
  });
});
