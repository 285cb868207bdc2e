import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/shared/api.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { megadetectorOutput, writeFieldFrame, writeJson, type FieldFrame } from '../fixtures/field-frames.ts';
import { DEMO, csvText, demoPhotos, tempFolder } from './helpers.ts';

/**
 * A catalog folder of field frames (real nyala photos pasted into scenes three times their size), one
 * of them with two animals, and a photo with no animal, with MegaDetector's batch output for them and a
 * names CSV without boxes.
 */
async function fieldCatalog() {
  const root = tempFolder();
  const photos = demoPhotos();
  const frames: { file: string; frame: FieldFrame; name: string; side: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const photo = photos[i * 4];
    const file = `cam1/frame-${i}.jpg`;
    frames.push({ file, frame: await writeFieldFrame([join(DEMO, photo.image)], join(root, 'field', file), 100 + i), name: photo.name, side: photo.side });
  }
  const two = await writeFieldFrame([join(DEMO, photos[1].image), join(DEMO, photos[5].image)], join(root, 'field', 'cam1/two.jpg'), 7);
  frames.push({ file: 'cam1/two.jpg', frame: two, name: 'nyala-two', side: 'left' });
  // A frame with nothing in it: the scene of a photo without the photo.
  await sharp(join(DEMO, photos[9].image)).extract({ left: 0, top: 0, width: 120, height: 100 }).resize(900, 750).jpeg().toFile(join(root, 'field', 'cam1/empty.jpg'));
  const md = megadetectorOutput(frames, 3, 2) as { images: { file: string; detections: unknown[] }[] };
  md.images.push({ file: 'cam1/empty.jpg', detections: [{ category: '1', conf: 0.05, bbox: [0.1, 0.1, 0.2, 0.2] }] });
  writeJson(join(root, 'md.json'), md);
  writeFileSync(
    join(root, 'names.csv'),
    csvText([['image', 'name', 'side'], ...frames.map((f) => [f.file, f.name, f.side]), ['cam1/empty.jpg', 'nyala-ghost', 'left']]),
  );
  return { root, frames, md };
}

const byImage = (annotations: Annotation[]) => {
  const map = new Map<string, Annotation[]>();
  for (const annotation of annotations) map.set(annotation.image, [...(map.get(annotation.image) ?? []), annotation]);
  return map;
};

describe('import with a detector’s output (MegaDetector)', () => {
  it('makes each animal box at the threshold an annotation, names the one animal of a photo, lists photos with none', async () => {
    const { root, frames } = await fieldCatalog();
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json'), annotationFiles: [join(root, 'names.csv')] });
    expect(summary).toMatchObject({ scanned: 6, added: 6, failed: 0 });
    expect(summary.detections).toMatchObject({
      file: 'md.json',
      formatVersion: '1.4',
      threshold: 0.2,
      animalBoxes: 6,
      otherCategories: 2, // a person on every second frame
      noAnimal: ['field/cam1/empty.jpg'],
      severalAnimals: ['field/cam1/two.jpg'],
      failed: 0,
    });
    expect(summary.detections!.belowThreshold).toBeGreaterThanOrEqual(6);
    const annotations = byImage(workbench.list().annotations);
    for (const { file, frame, name, side } of frames.slice(0, 4)) {
      const [only, ...more] = annotations.get(`field/${file}`)!;
      expect(more).toEqual([]);
      expect(only).toMatchObject({ name, side, theta: 0 });
      // Fractions rounded to four decimals back to pixels: within a pixel of where the photo was pasted.
      for (const key of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(only.box![key] - frame.boxes[0][key])).toBeLessThan(1);
    }
    const two = annotations.get('field/cam1/two.jpg')!;
    expect(two.map((a) => [a.name, a.box !== null])).toEqual([
      [null, true],
      [null, true],
    ]);
    expect(summary.issues).toContainEqual({ file: 'names.csv', row: 6, message: 'field/cam1/two.jpg has 2 animal boxes; the name is given to none of them (name them in the review)' });
    // The CSV says an animal is in the empty frame; the detector found none: the whole photo keeps the name.
    expect(annotations.get('field/cam1/empty.jpg')).toEqual([expect.objectContaining({ box: null, name: 'nyala-ghost' })]);
    expect(summary.issues).toContainEqual(expect.objectContaining({ file: 'names.csv', row: 7, message: expect.stringMatching(/found no animal/) }));

    // Again: nothing is added twice.
    const again = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json'), annotationFiles: [join(root, 'names.csv')] });
    expect(again).toMatchObject({ added: 0, unchanged: 6, annotationsAdded: 0, annotationsUpdated: 0 });
    expect(workbench.status().annotations).toBe(7);
    workbench.close();
  });

  it('imports photos the detector found no animal in with no annotation, and never overwrites a person’s boxes', async () => {
    const { root } = await fieldCatalog();
    const workbench = Workbench.init(root);
    const handlers = workbenchHandlers(workbench);
    await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json') });
    const photos = await callApi(handlers, 'catalog.photos', { animals: 'none' });
    expect(photos.photos.map((p) => [p.path, p.annotations])).toEqual([['field/cam1/empty.jpg', 0]]);
    expect(workbench.status().annotations).toBe(6);

    // A person moves one box, deletes another and draws one on the empty frame.
    const [moved, deleted] = workbench.list().annotations;
    await callApi(handlers, 'annotations.update', { id: moved.id, box: { ...moved.box!, x: moved.box!.x + 40 } });
    await callApi(handlers, 'annotations.delete', { id: deleted.id });
    const drawn = await callApi(handlers, 'annotations.add', { imageId: photos.photos[0].id, box: { x: 100, y: 100, w: 200, h: 150 } });
    const again = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json') });
    expect(again.annotationsAdded).toBe(0);
    const after = workbench.list().annotations;
    expect(after.find((a) => a.id === moved.id)!.box!.x).toBeCloseTo(moved.box!.x + 40, 6);
    expect(after.map((a) => a.id)).not.toContain(deleted.id);
    expect(after.map((a) => a.id)).toContain(drawn.id);
    expect(workbench.status().annotations).toBe(6);

    // A lower threshold brings the weak boxes in too (and still not the ones already there).
    const low = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json'), threshold: 0.01 });
    expect(low.detections).toMatchObject({ threshold: 0.01, belowThreshold: 0 });
    expect(low.annotationsAdded).toBeGreaterThanOrEqual(6);
    workbench.close();
  });

  it('replaces a photo’s automatic whole-photo annotation with its boxes, but not a named one', async () => {
    const { root, md } = await fieldCatalog();
    const workbench = Workbench.init(root);
    await workbench.importFolder(join(root, 'field'));
    const before = byImage(workbench.list().annotations);
    const named = before.get('field/cam1/frame-1.jpg')![0];
    workbench.store.transaction(() => workbench.store.annotations.setIndividual(named.id, workbench.store.individuals.findOrCreate('kept').id));
    writeJson(join(root, 'md.json'), md);
    const summary = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json') });
    const after = byImage(workbench.list().annotations);
    expect(after.get('field/cam1/frame-0.jpg')!.map((a) => a.box !== null)).toEqual([true]);
    expect(after.get('field/cam1/frame-1.jpg')!.map((a) => [a.name, a.box !== null])).toEqual([
      ['kept', false],
      [null, true],
    ]);
    expect(after.get('field/cam1/empty.jpg')).toBeUndefined(); // the detector says no animal: the placeholder goes
    expect(summary.annotationsAdded).toBe(6);
    // The replaced placeholders are kept with a deletion mark, in the edit history as the import's.
    const gone = before.get('field/cam1/frame-0.jpg')![0];
    expect(workbench.store.annotations.record(gone.id)).toMatchObject({ deleted: true });
    expect(workbench.store.annotationEdits.ofAnnotation(gone.id)).toEqual([expect.objectContaining({ kind: 'delete', origin: 'import' })]);
    workbench.close();
  });

  it('reports a photo the detector failed on by file, and a photo it names that is not there', async () => {
    const { root, md } = await fieldCatalog();
    const images = (md as { images: Record<string, unknown>[] }).images;
    images[0] = { file: images[0].file, failure: 'Failure image access', detections: null };
    images.push({ file: 'cam1/gone.jpg', detections: [{ category: '1', conf: 0.9, bbox: [0.1, 0.1, 0.3, 0.3] }] });
    writeJson(join(root, 'md.json'), md);
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(join(root, 'field'), { detections: join(root, 'md.json') });
    expect(summary.detections).toMatchObject({ failed: 1, animalBoxes: 5 });
    expect(summary.issues).toContainEqual({ file: 'field/cam1/frame-0.jpg', message: 'MegaDetector could not process this photo (Failure image access, in md.json images[0])' });
    expect(summary.issues).toContainEqual({ file: 'field/cam1/gone.jpg', message: 'md.json images[6]: the photo is not there' });
    expect(byImage(workbench.list().annotations).get('field/cam1/frame-0.jpg')).toBeUndefined();
    workbench.close();
  });

  it('refuses bad detector files with one line, importing nothing', async () => {
    const { root, md } = await fieldCatalog();
    const workbench = Workbench.init(root);
    const refuse = async (content: unknown, pattern: RegExp, file = 'bad.json') => {
      writeFileSync(join(root, file), typeof content === 'string' ? content : JSON.stringify(content));
      const error = await workbench.importFolder(join(root, 'field'), { detections: join(root, file) }).then(
        () => null,
        (failure: Error) => failure,
      );
      expect(error?.message).toMatch(pattern);
      expect(error!.message.split('\n')).toHaveLength(1);
      expect(workbench.status()).toMatchObject({ images: 0, annotations: 0 });
    };
    const copy = () => JSON.parse(JSON.stringify(md)) as { info: Record<string, unknown>; images: { file: string; detections: { bbox: number[] }[] }[]; detection_categories: Record<string, string> };
    await refuse('image,name\na.jpg,x\n', /^bad\.json is not MegaDetector batch output \(it is not JSON\)$/);
    await refuse({ images: [{ file_name: 'a.jpg', id: 1 }], annotations: [] }, /^bad\.json is not MegaDetector batch output \(it needs "images" and "detection_categories"; its keys: "images", "annotations"\)$/);
    await refuse('{"images": [', /^bad\.json is not valid JSON/);
    const v2 = copy();
    v2.info.format_version = '2.0';
    await refuse(v2, /^bad\.json is MegaDetector format version 2\.0; pairx reads versions 1\.0-1\.6$/);
    const none = copy();
    delete none.info.format_version;
    await refuse(none, /has no readable info\.format_version/);
    const outside = copy();
    outside.images[2].detections[0].bbox = [0.8, 0.1, 0.3, 0.2];
    await refuse(outside, /^bad\.json: images\[2\] \(cam1\/frame-2\.jpg\), detection 0 has a box outside 0\.\.1 \(\[0\.8, 0\.1, 0\.3, 0\.2\]\)/);
    const negative = copy();
    negative.images[1].detections[0].bbox = [-0.1, 0.1, 0.3, 0.2];
    await refuse(negative, /has a box outside 0\.\.1/);
    const escape = copy();
    escape.images[1].file = '../../../etc/passwd.jpg';
    await refuse(escape, /^bad\.json: images\[1\] names \.\.\/\.\.\/\.\.\/etc\/passwd\.jpg, which is outside the catalog folder/);
    const other = copy();
    other.images = other.images.map((image, i) => ({ ...image, file: `elsewhere/IMG_${i}.JPG` }));
    await refuse(other, /^bad\.json describes none of the photos under .*field \(its first: elsewhere\/IMG_0\.JPG\); was it written for another folder\?$/);
    const categories = copy();
    categories.detection_categories = { '1': 'bird', '2': 'person' };
    await refuse(categories, /has no detection category named "animal" \(its categories: "bird", "person"\)/);
    await expect(workbench.importFolder(join(root, 'field'), { detections: join(root, 'missing.json') })).rejects.toThrow(/cannot read .*missing\.json: ENOENT/);
    workbench.close();
  });

  it('reads older and newer format versions, numeric versions, backslashes and paths beside the file', async () => {
    const { root, md } = await fieldCatalog();
    const older = JSON.parse(JSON.stringify(md)) as { info: Record<string, unknown>; images: { file: string }[] };
    older.info = { format_version: 1, detector: 'megadetector_v4.1.0.pb' }; // 1.0-era: a number, no thresholds
    older.images = older.images.map((image) => ({ ...image, file: image.file.replace('/', '\\'), max_detection_conf: 0.9 }));
    // Kept beside the photos, with paths relative to its own folder, and the catalog root imported.
    writeJson(join(root, 'field', 'md-old.json'), older);
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(root, { detections: join(root, 'field', 'md-old.json') });
    expect(summary.detections).toMatchObject({ formatVersion: '1.0', threshold: 0.2, animalBoxes: 6 });
    workbench.close();
  });

  it('turns fractions into pixels of the upright photo whatever the EXIF orientation, as MegaDetector saw it', async () => {
    const root = tempFolder();
    mkdirSync(join(root, 'photos'));
    // A stored image of 300×200 with a red block at x 30-120, y 40-90; each orientation tag turns or mirrors it.
    const stored = { width: 300, height: 200, block: { x: 30, y: 40, w: 90, h: 50 } };
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="#206020"/><rect x="30" y="40" width="90" height="50" fill="#ff0000"/></svg>`;
    const images: { file: string; detections: { category: string; conf: number; bbox: number[] }[] }[] = [];
    const expected = new Map<string, { x: number; y: number; w: number; h: number }>();
    for (let orientation = 1; orientation <= 8; orientation++) {
      const file = `o${orientation}.jpg`;
      await sharp(Buffer.from(svg)).jpeg({ quality: 95 }).withMetadata({ orientation }).toFile(join(root, 'photos', file));
      // Where the block is upright, found in the pixels sharp turns upright.
      const { data, info } = await sharp(join(root, 'photos', file)).rotate().raw().toBuffer({ resolveWithObject: true });
      let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
      for (let y = 0; y < info.height; y++)
        for (let x = 0; x < info.width; x++) {
          const i = (y * info.width + x) * info.channels;
          if (data[i] > 200 && data[i + 1] < 80) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
        }
      expected.set(`photos/${file}`, { x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
      // What MegaDetector reports: fractions of the upright image for the rotations, of the stored one when mirrored.
      const mirrored = [2, 4, 5, 7].includes(orientation);
      const seen = mirrored ? { ...stored.block } : { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
      const size = mirrored || orientation < 5 ? stored : { width: stored.height, height: stored.width };
      images.push({ file, detections: [{ category: '1', conf: 0.9, bbox: [seen.x / size.width, seen.y / size.height, seen.w / size.width, seen.h / size.height] }] });
    }
    writeJson(join(root, 'photos', 'md.json'), { info: { format_version: '1.5' }, detection_categories: { '1': 'animal' }, images });
    const workbench = Workbench.init(root);
    await workbench.importFolder(join(root, 'photos'), { detections: join(root, 'photos', 'md.json') });
    for (const annotation of workbench.list().annotations) {
      const truth = expected.get(annotation.image)!;
      for (const key of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(annotation.box![key] - truth[key]), `${annotation.image} ${key}`).toBeLessThanOrEqual(2);
    }
    expect(workbench.list().annotations).toHaveLength(8);
    workbench.close();
  });

  it('recognises MegaDetector output given as --annotations too, by its content', async () => {
    const { root } = await fieldCatalog();
    copyFileSync(join(root, 'md.json'), join(root, 'field', 'detections.json'));
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(join(root, 'field'), { annotationFiles: [join(root, 'field', 'detections.json')] });
    expect(summary.annotationFiles).toEqual([{ file: 'field/detections.json', format: 'megadetector', rows: 6 }]);
    expect(summary.detections).toMatchObject({ animalBoxes: 6 });
    workbench.close();
  });
});
