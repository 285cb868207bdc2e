import { parse } from 'csv-parse/sync';
import { unzipSync, strFromU8 } from 'fflate';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { tempFolder } from '../catalog/helpers.ts';
import { SPEC, checkCamtrapDpPackage } from './camtrap-dp-checker.ts';
import { FORMATS, layOutWbia, layOutWildlifeDatasets, readJson, type CocoJson } from './fixtures.ts';

const PUBLISHING = { genus: 'Tragelaphus', specificEpithet: 'angasii', samplingDesign: 'opportunistic' as const, captureMethod: ['activityDetection' as const] };

/** A catalog made from WBIA's COCO export, with the publishing settings and a reviewer set. */
async function wbiaCatalog() {
  const root = tempFolder();
  const { folder, file } = layOutWbia(root);
  const workbench = Workbench.init(root);
  await workbench.importFolder(folder, { annotationFiles: [file] });
  workbench.updateSettings({ reviewer: 'ana', ...PUBLISHING });
  return { root, workbench, coco: readJson<CocoJson>(join(FORMATS, 'wbia-coco.json')) };
}

const deploymentsCsv = (root: string, rows: string[]) => {
  writeFileSync(join(root, 'deployments.csv'), `deploymentID,folder,latitude,longitude,locationName\n${rows.join('\n')}\n`);
  return join(root, 'deployments.csv');
};

describe('Camtrap DP export', () => {
  it('COCO in, Camtrap DP out: every box to a pixel, names, viewpoints, two animals in one photo; the package passes the standard', async () => {
    const { root, workbench, coco } = await wbiaCatalog();
    // A reviewer confirms that the unnamed annotation is nyala-123.
    const annotations = workbench.list().annotations;
    const unnamed = annotations.find((a) => a.name === null)!;
    const named123 = annotations.find((a) => a.name === 'nyala-123')!;
    workbench.decide(unnamed.id, named123.id, 'same', { reviewer: 'ben' });

    const deployments = deploymentsCsv(root, ['cam-A,coco/images/train2024,-27.5,32.25,Nyala hide']);
    const out = join(root, 'package');
    const result = await workbench.exportCatalog({ format: 'camtrap-dp', outDir: out, deployments, utcOffset: '+02:00' });
    expect(result).toMatchObject({ format: 'camtrap-dp', annotations: 6, media: 5, deployments: 1 });

    const checked = checkCamtrapDpPackage(out);
    expect(checked.problems).toEqual([]);
    expect(checked.descriptor).toMatchObject({
      gbifIngestion: { observationLevel: 'media' },
      project: { individualAnimals: true, observationLevel: ['media'], samplingDesign: 'opportunistic' },
      taxonomic: [{ scientificName: 'Tragelaphus angasii', taxonRank: 'species' }],
      temporal: { start: '2019-05-03', end: '2019-05-05' },
      spatial: { type: 'Point', coordinates: [32.25, -27.5] },
    });
    expect(checked.tables.deployments).toEqual([
      expect.objectContaining({ deploymentID: 'cam-A', latitude: '-27.5', longitude: '32.25', deploymentStart: '2019-05-03T10:22:01+02:00', deploymentEnd: '2019-05-05T17:45:30+02:00' }),
    ]);

    const media = new Map(checked.tables.media.map((row) => [row.mediaID, row]));
    const observations = checked.tables.observations;
    expect(observations).toHaveLength(coco.annotations.length);
    for (const annotation of coco.annotations) {
      const image = coco.images.find((candidate) => candidate.id === annotation.image_id)!;
      const row = observations.find((candidate) => media.get(candidate.mediaID)!.fileName === image.file_name && Math.abs(Number(candidate.bboxX) - annotation.bbox[0] / image.width) < 0.01)!;
      expect(row, `annotation ${annotation.id}`).toBeDefined();
      // The photo on disk is larger than the file's image: compare in its pixels.
      const photo = annotations.find((a) => a.image.endsWith(image.file_name))!;
      const scale = photo.imageWidth / image.width;
      const box = [Number(row.bboxX) * photo.imageWidth, Number(row.bboxY) * photo.imageHeight, Number(row.bboxWidth) * photo.imageWidth, Number(row.bboxHeight) * photo.imageHeight];
      box.forEach((value, k) => expect(Math.abs(value - annotation.bbox[k] * scale), `annotation ${annotation.id} box[${k}]`).toBeLessThanOrEqual(1));
      expect(row.individualID).toBe(annotation.name === '____' ? 'nyala-123' : annotation.name);
      expect(row.observationTags.split('|')).toEqual(
        [annotation.viewpoint ? `viewpoint:${annotation.viewpoint}` : null, annotation.theta ? `theta:${annotation.theta}` : null].filter(Boolean).length > 0
          ? [annotation.viewpoint ? `viewpoint:${annotation.viewpoint}` : null, annotation.theta ? `theta:${annotation.theta}` : null].filter(Boolean)
          : [''],
      );
      expect(row).toMatchObject({ observationLevel: 'media', observationType: 'animal', scientificName: 'Tragelaphus angasii', count: '1', classificationMethod: 'human' });
      expect(media.get(row.mediaID)!.timestamp).toBe(`${image.date_captured!.replace(' ', 'T')}+02:00`);
    }
    // The individual the reviewer confirmed carries the reviewer and the decision's time; imported names none.
    const confirmed = observations.filter((row) => row.individualID === 'nyala-123');
    expect(confirmed.map((row) => row.classifiedBy)).toEqual(['ben', 'ben', 'ben']);
    expect(confirmed[0].classificationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(observations.filter((row) => row.individualID === 'nyala-106').map((row) => row.classifiedBy)).toEqual(['', '', '']);
    // Two animals in one photo: two observations of one media.
    const wide = checked.tables.media.find((row) => row.fileName === '000000000004.jpg')!;
    expect(observations.filter((row) => row.mediaID === wide.mediaID).map((row) => row.individualID)).toEqual(['nyala-106', 'nyala-123']);
    // The photos travel in the package, at the paths media.csv gives.
    expect(existsSync(join(out, wide.filePath))).toBe(true);
    workbench.close();
  });

  it('the app carries the standard\'s own table schemas, the same fields the independent checker was written with', async () => {
    for (const name of ['deployments', 'media', 'observations'] as const) {
      const schema = readJson<{ fields: { name: string; type: string }[] }>(join(process.cwd(), `src/main/formats/camtrap-dp/schemas-1.0.2/${name}-table-schema.json`));
      expect(schema.fields.map((field) => [field.name, field.type])).toEqual(SPEC[name].map((field) => [field.name, field.type]));
    }
  });

  it('without a deployments file: one deployment per folder at its photos\' GPS position; times need a zone', async () => {
    const { root, workbench } = await wbiaCatalog();
    const out = join(root, 'package');
    await expect(workbench.exportCatalog({ format: 'camtrap-dp', outDir: out })).rejects.toThrow(
      /^the capture time of coco\/images\/train2024\/000000000001\.jpg \(2019-05-03T10:22:01\), .* has no time zone: give the cameras' UTC offset \(--utc-offset \+02:00, or a utcOffset column in the deployments file\)$/,
    );
    expect(existsSync(out)).toBe(false);
    await workbench.exportCatalog({ format: 'camtrap-dp', outDir: out, utcOffset: '+02:00', mediaUrl: 'https://example.org/nyala/' });
    const checked = checkCamtrapDpPackage(out);
    expect(checked.problems).toEqual([]);
    expect(checked.tables.deployments).toEqual([expect.objectContaining({ deploymentID: 'coco/images/train2024' })]);
    expect(Number(checked.tables.deployments[0].latitude)).toBeCloseTo(-27.508, 3);
    expect(checked.tables.media[0].filePath).toBe('https://example.org/nyala/coco/images/train2024/000000000001.jpg');
    workbench.close();
  });

  it('stops with one line and writes nothing where a required value is unknown', async () => {
    const { root, workbench } = await wbiaCatalog();
    const out = join(root, 'package');
    const unknownFolder = deploymentsCsv(root, ['cam-A,coco/images/train2024,-27.5,32.25,hide', 'cam-B,coco/images/test2024,-27.6,32.3,river']);
    await expect(workbench.exportCatalog({ format: 'camtrap-dp', outDir: out, deployments: unknownFolder, utcOffset: '+02:00' })).rejects.toThrow(
      'deployments.csv line 3: folder "coco/images/test2024" holds no photo of the catalog (folders with photos: "coco/images/train2024")',
    );
    workbench.updateSettings({ genus: '' });
    await expect(workbench.exportCatalog({ format: 'camtrap-dp', outDir: out, utcOffset: '+02:00' })).rejects.toThrow(/^the catalog has no species set: set it once with `pairx catalog settings --genus/);
    workbench.updateSettings({ genus: 'Tragelaphus', samplingDesign: '' });
    await expect(workbench.exportCatalog({ format: 'camtrap-dp', outDir: out, utcOffset: '+02:00' })).rejects.toThrow(/^a Camtrap DP package names the project's sampling design and capture method/);
    expect(existsSync(out)).toBe(false);
    workbench.close();
  });
});

describe('wildlife-datasets in, packages out', () => {
  it('names the photos without a capture time, and exports once a file gives it', async () => {
    const root = tempFolder();
    const { folder, file } = layOutWildlifeDatasets(root);
    const workbench = Workbench.init(root);
    await workbench.importFolder(folder, { annotationFiles: [file] });
    workbench.updateSettings({ reviewer: 'ana', ...PUBLISHING });
    const deployments = deploymentsCsv(root, ['wd-1,nyala-wd,-27.5,32.25,Nyala hide']);
    const out = join(root, 'wildbook');
    await expect(workbench.exportCatalog({ format: 'wildbook', outDir: out, deployments })).rejects.toThrow(
      'no capture time for nyala-wd/images/train/134/1000_leftphoto.jpg: their EXIF has none; write it into the photos\' EXIF (DateTimeOriginal) or give it in an annotations file\'s date column (wildlife-datasets "date", COCO "date_captured") and import again',
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace('1000_leftphoto.jpg,,train,,', '1000_leftphoto.jpg,,train,,2019-05-05 17:45:30'));
    await workbench.importFolder(folder, { annotationFiles: [file] });

    const result = await workbench.exportCatalog({ format: 'wildbook', outDir: out, deployments });
    expect(result).toMatchObject({ format: 'wildbook', annotations: 6, media: 5, files: [join(out, 'wildbook-bulk-import.xlsx'), join(out, 'wildbook-bulk-import.csv')] });
    const rows = parse(readFileSync(join(out, 'wildbook-bulk-import.csv')), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([
      'Encounter.mediaAsset0', 'Encounter.genus', 'Encounter.specificEpithet', 'MarkedIndividual.individualID', 'Encounter.year', 'Encounter.month', 'Encounter.day',
      'Encounter.hour', 'Encounter.minutes', 'Encounter.decimalLatitude', 'Encounter.decimalLongitude', 'Encounter.verbatimLocality', 'Encounter.occurrenceID',
      'Encounter.otherCatalogNumbers', 'Encounter.researcherComments',
    ]);
    expect(rows.map((row) => [row['Encounter.mediaAsset0'], row['MarkedIndividual.individualID'], row['Encounter.year'], row['Encounter.month'], row['Encounter.day'], row['Encounter.hour']])).toEqual([
      ['132 leftphoto.jpg', '106', '2019', '5', '3', '10'],
      ['193 rightphoto.jpg', '106', '2019', '5', '3', '10'],
      ['159 leftphoto.jpg', '123', '2019', '5', '4', '6'],
      ['1000 leftphoto.jpg', '', '2019', '5', '5', '17'],
      ['two nyala.jpg', '106', '2019', '5', '4', '6'],
      ['two nyala.jpg', '123', '2019', '5', '4', '6'],
    ]);
    // The two animals of one photo are one sighting; every photo is in photos/ under the sheet's name.
    const wide = rows.filter((row) => row['Encounter.mediaAsset0'] === 'two nyala.jpg');
    expect(new Set(wide.map((row) => row['Encounter.occurrenceID'])).size).toBe(1);
    expect(wide[1]['Encounter.researcherComments']).toMatch(/^pairx annotation \d+; box 420,0,336,384 px of the 768x384 photo; viewpoint right$/);
    for (const row of rows) expect(existsSync(join(out, 'photos', row['Encounter.mediaAsset0']))).toBe(true);
    expect(rows.every((row) => row['Encounter.genus'] === 'Tragelaphus' && row['Encounter.specificEpithet'] === 'angasii')).toBe(true);

    // The .xlsx holds the same cells (read back with an unzip and the sheet's XML, not with the writer).
    const xlsx = unzipSync(new Uint8Array(readFileSync(join(out, 'wildbook-bulk-import.xlsx'))));
    const sheet = strFromU8(xlsx['xl/worksheets/sheet1.xml']);
    const shared = xlsx['xl/sharedStrings.xml'] ? strFromU8(xlsx['xl/sharedStrings.xml']) : '';
    const text = sheet + shared;
    for (const expected of ['MarkedIndividual.individualID', 'Encounter.mediaAsset0', 'two nyala.jpg', 'Tragelaphus', 'angasii']) expect(text).toContain(expected);
    expect((sheet.match(/<row /g) ?? []).length).toBe(rows.length + 1);
    workbench.close();
  });
});
