import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API_METHODS, type ApiMethod } from '../../src/shared/api.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';

/**
 * The photos of the end-to-end catalog come from the repository's demo catalog (resources/demo, NyalaData,
 * see its CREDITS.md), so that the UI tests run on a user's clone as well: 4 individuals × 3 photos.
 */
export const DEMO_PHOTOS = resolve('resources/demo/photos');
export const SMALL_MODEL = resolve('test/fixtures/golden/resnet-narrow-128/model.onnx');

const PHOTOS: { individual: string; files: { file: string; named: boolean }[] }[] = [
  ['106', '132', '193'],
  ['123', '159', '274'],
  ['134', '1000', '194'],
  ['146', '224', '292'],
].map(([individual, first, second]) => ({
  individual,
  files: [
    { file: `${first}_leftphoto.jpg`, named: true },
    { file: `${first}_rightphoto.jpg`, named: true },
    // Unnamed, beside its own individual's named left flank, as in a catalog being worked through.
    { file: `${second}_leftphoto.jpg`, named: false },
  ],
}));

/**
 * Makes a catalog from real photos through the Workbench API (init, import with a names CSV, embed with
 * a small model). One photo of each individual is left unnamed, so that the review queue holds pairs of a
 * named and an unnamed annotation, as a real catalog being worked through does.
 */
export async function makeReviewCatalog(
  options: { model?: string } = {},
): Promise<{ folder: string; photos: number }> {
  const folder = mkdtempSync(join(tmpdir(), 'pairx-e2e-catalog-'));
  const rows = ['image,name,side'];
  for (const { individual, files } of PHOTOS) {
    mkdirSync(join(folder, `nyala-${individual}`), { recursive: true });
    for (const { file, named } of files) {
      copyFileSync(join(DEMO_PHOTOS, individual, file), join(folder, `nyala-${individual}`, file));
      const side = file.includes('_right') ? 'right' : 'left';
      rows.push(`nyala-${individual}/${file},${named ? `nyala-${individual}` : ''},${side}`);
    }
  }
  writeFileSync(join(folder, 'names.csv'), `${rows.join('\n')}\n`);

  const model = options.model ?? SMALL_MODEL;
  const workbench = Workbench.init(folder);
  const handlers = workbenchHandlers(workbench);
  const has = (method: string): method is ApiMethod => API_METHODS.includes(method as ApiMethod);
  try {
    await callApi(handlers, 'catalog.import', { annotationsCsv: join(folder, 'names.csv') });
    // With the model registry (models.*), the model is registered and made active before embedding.
    if (has('models.add') && has('models.select')) {
      const added = (await callApi(handlers, 'models.add', { path: model })) as { id: string };
      await callApi(handlers, 'models.select', { id: added.id });
    }
    await callApi(handlers, 'catalog.embed', { model });
  } finally {
    workbench.close();
  }
  return { folder, photos: PHOTOS.reduce((n, p) => n + p.files.length, 0) };
}
