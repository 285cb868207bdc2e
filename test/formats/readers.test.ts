import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/shared/api.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { tempFolder } from '../catalog/helpers.ts';
import { FORMATS, WBIA_SOURCES, layOutWbia, layOutWildbook, layOutWildlifeDatasets, readJson, type CocoJson } from './fixtures.ts';

const photoSize = async (file: string) => {
  const { width, height } = await sharp(file).metadata();
  return { width: width!, height: height! };
};

const byImage = (annotations: Annotation[]) => {
  const map = new Map<string, Annotation[]>();
  for (const annotation of annotations) map.set(annotation.image, [...(map.get(annotation.image) ?? []), annotation]);
  return map;
};

describe('annotation files recognised by content', () => {
  it('reads a WBIA COCO export: boxes scaled from the exported size, viewpoints, names, several animals in a photo', async () => {
    const root = tempFolder();
    const { folder, file } = layOutWbia(root);
    const coco = readJson<CocoJson>(join(FORMATS, 'wbia-coco.json'));
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(folder, { annotationFiles: [file] });
    expect(summary).toMatchObject({ added: 6, failed: 0, annotationsAdded: 6, issues: [] });
    expect(summary.annotationFiles).toEqual([{ file: 'coco/annotations/instances_train2024.json', format: 'coco', rows: 6 }]);

    const annotations = byImage(workbench.list().annotations);
    for (const image of coco.images) {
      const path = `coco/images/train2024/${image.file_name}`;
      const photo = await photoSize(join(root, path));
      const scale = Math.max(photo.width, photo.height) / Math.max(image.width, image.height);
      const expected = coco.annotations.filter((annotation) => annotation.image_id === image.id);
      const got = annotations.get(path) ?? [];
      // An image the file lists without annotations gets none (not a whole-photo one).
      expect(got).toHaveLength(expected.length);
      expected.forEach((annotation, i) => {
        const box = got[i].box!;
        [box.x, box.y, box.w, box.h].forEach((value, k) => expect(value).toBeCloseTo(annotation.bbox[k] * scale, 6));
        expect(got[i].theta).toBeCloseTo(annotation.theta, 9);
        expect(got[i].name).toBe(annotation.name === '____' ? null : annotation.name);
        expect(got[i].side).toBe(annotation.viewpoint ?? null);
        expect(got[i].source).toBe(`coco/annotations/instances_train2024.json#annotation ${annotation.id} (image ${image.id} (${image.file_name}))`);
      });
      // Capture time and position from the file, where the photo's EXIF has none.
      if (expected.length > 0) expect(got[0]).toMatchObject({ capturedAt: image.date_captured!.replace(' ', 'T') });
    }
    // The wide frame holds two animals; its boxes are where the fixture put them, on the 768-px photo.
    expect(annotations.get('coco/images/train2024/000000000004.jpg')!.map((a) => [a.name, a.side, a.box])).toEqual([
      ['nyala-106', 'left', { x: expect.closeTo(15, 6), y: 0, w: expect.closeTo(367, 6), h: expect.closeTo(384, 6) }],
      ['nyala-123', 'right', { x: expect.closeTo(420, 6), y: 0, w: expect.closeTo(336, 6), h: expect.closeTo(384, 6) }],
    ]);
    expect(WBIA_SOURCES).toHaveLength(coco.images.length);
    expect(workbench.store.images.byId(1)).toMatchObject({ gpsLat: -27.5, gpsLon: 32.25 });

    // Again: nothing added twice.
    expect(await workbench.importFolder(folder, { annotationFiles: [file] })).toMatchObject({ annotationsAdded: 0, annotationsUpdated: 0, issues: [] });
    expect(workbench.status().annotations).toBe(6);
    workbench.close();
  });

  it("reads Wildbook's COCO export: uuid file names, display names, the individual's uuid where it has no name", async () => {
    const root = tempFolder();
    const { folder, file } = layOutWildbook(root);
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(folder, { annotationFiles: [file] });
    expect(summary).toMatchObject({ added: 3, annotationsAdded: 3, issues: [] });
    expect(workbench.list().annotations.map((a) => [a.image, a.name, a.side, a.box, a.capturedAt])).toEqual([
      ['wildbook/images/f4b8c2e1-3d5a-4e7b-8c9d-0a1b2c3d4e5f.jpg', 'Kwena', 'left', { x: 25, y: 20, w: 460, h: 320 }, '2021-07-14T06:31:09+02:00'],
      ['wildbook/images/0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b.jpg', 'deadbeef-7777-4888-9999-aaaabbbbcccc', 'right', { x: 30, y: 60, w: 410, h: 400 }, '2021-07-15T18:02:44+02:00'],
      ['wildbook/images/5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d.jpg', null, null, { x: 10, y: 5, w: 300, h: 180 }, '2021-07-16T11:20:00+02:00'],
    ]);
    workbench.close();
  });

  it('reads wildlife-datasets metadata: identities as given, list and array boxes, unknown, two animals in a frame', async () => {
    const root = tempFolder();
    const { folder, file } = layOutWildlifeDatasets(root);
    // The extension says nothing: the content decides.
    const renamed = join(root, 'nyala-wd/metadata.txt');
    copyFileSync(file, renamed);
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(folder, { annotationFiles: [renamed] });
    expect(summary).toMatchObject({ added: 5, annotationsAdded: 6, issues: [], annotationFiles: [{ format: 'wildlife-datasets', rows: 6 }] });
    const rows = workbench.list().annotations.map((a) => [a.image.replace('nyala-wd/images/', ''), a.name, a.side, a.box, a.capturedAt]);
    expect(rows).toEqual([
      ['train/106/132_leftphoto.jpg', '106', 'left', null, '2019-05-03T10:22:01'],
      ['train/106/193_rightphoto.jpg', '106', 'right', { x: 20, y: 40, w: 470, h: 420 }, '2019-05-03T10:25:40'],
      ['train/123/159_leftphoto.jpg', '123', 'left', { x: 10, y: 30, w: 480, h: 440 }, '2019-05-04T06:02:13'],
      ['wide/two-nyala.jpg', '106', 'left', { x: 15, y: 0, w: 367, h: 384 }, '2019-05-04T06:03:00'],
      ['wide/two-nyala.jpg', '123', 'right', { x: 420, y: 0, w: 336, h: 384 }, '2019-05-04T06:03:00'],
      ['train/134/1000_leftphoto.jpg', null, null, null, null],
    ]);
    expect(await workbench.importFolder(folder, { annotationFiles: [renamed] })).toMatchObject({ annotationsAdded: 0, annotationsUpdated: 0 });
    workbench.close();
  });
});

describe('bad annotation files: one line each, nothing imported half', () => {
  it('refuses a COCO file whose images are not in the imported folder, before any photo is imported', async () => {
    const root = tempFolder();
    const { file } = layOutWbia(root);
    const workbench = Workbench.init(root);
    // The photos are elsewhere in the catalog: importing only the annotations folder finds none of them.
    await expect(workbench.importFolder(join(root, 'coco/annotations'), { annotationFiles: [file] })).rejects.toThrow(
      'coco/annotations/instances_train2024.json: none of its 6 images is under coco/annotations (the first: image 1 (000000000001.jpg)); copy its images folder into the catalog and import that folder',
    );
    expect(workbench.status()).toMatchObject({ images: 0, annotations: 0 });
    workbench.close();
  });

  it('reports a COCO box outside its image, and skips it alone', async () => {
    const root = tempFolder();
    const coco = readJson<CocoJson>(join(FORMATS, 'wbia-coco.json'));
    const wide = coco.annotations.find((annotation) => annotation.image_id === 4)!;
    wide.bbox = [wide.bbox[0], wide.bbox[1], 500, wide.bbox[3]];
    const { folder, file } = layOutWbia(root, coco);
    const workbench = Workbench.init(root);
    const summary = await workbench.importFolder(folder, { annotationFiles: [file] });
    expect(summary.issues).toEqual([
      {
        file: 'coco/annotations/instances_train2024.json',
        message: `annotation ${wide.id} (image 4 (000000000004.jpg)): box (x 5, y 0, w 500, h 128) reaches outside its 256×128 image`,
      },
    ]);
    expect(summary.annotationsAdded).toBe(5);
    workbench.close();
  });

  it('says what a file looks like when no format fits', async () => {
    const root = tempFolder();
    const workbench = Workbench.init(root);
    const write = (name: string, text: string) => {
      writeFileSync(join(root, name), text);
      return join(root, name);
    };
    await expect(workbench.importFolder(root, { annotationFiles: [write('labels.json', '{"info": {}, "labels": {}, "items": []}')] })).rejects.toThrow(
      'labels.json is JSON of no format pairx reads (a COCO file has "images" and "annotations" lists; its keys: "info", "labels", "items")',
    );
    // MegaDetector's shape is read by its reader (issue 18), which says what is wrong with this one.
    await expect(workbench.importFolder(root, { annotationFiles: [write('md.json', '{"info": {}, "detection_categories": {}, "images": []}')] })).rejects.toThrow(
      'md.json has no readable info.format_version (null); pairx reads MegaDetector format versions 1.0-1.6',
    );
    await expect(workbench.importFolder(root, { annotationFiles: [write('broken.json', '{"images": [')] })).rejects.toThrow(/^broken\.json is not valid JSON: /);
    await expect(workbench.importFolder(root, { annotationFiles: [write('other.csv', 'file,label\na.jpg,x\n')] })).rejects.toThrow(
      'other.csv has no "image" column (its columns: "file", "label"), nor "identity" and "path" as wildlife-datasets metadata has',
    );
    expect(workbench.status().images).toBe(0);
    workbench.close();
  });
});
