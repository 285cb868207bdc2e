import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API_METHODS, type ApiMethod } from '../../src/shared/api.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';

/** The photos of the end-to-end catalog: NyalaData (see /work/shared/data/README.md), 4 individuals × 3 flanks. */
export const NYALA = resolve(process.env.PAIRX_NYALA ?? '../shared/data/nyala-train');
export const SMALL_MODEL = resolve('test/fixtures/golden/resnet-narrow-128/model.onnx');

const PHOTOS: { individual: string; files: string[] }[] = [
  { individual: '100', files: ['124_leftphoto.jpg', '423_leftphoto.jpg', '530_leftphoto.jpg'] },
  { individual: '101', files: ['125_leftphoto.jpg', '248_leftphoto.jpg', '702_leftphoto.jpg'] },
  { individual: '102', files: ['126_leftphoto.jpg', '173_leftphoto.jpg', '245_leftphoto.jpg'] },
  { individual: '104', files: ['128_leftphoto.jpg', '176_leftphoto.jpg', '309_leftphoto.jpg'] },
];

/**
 * Makes a catalog from real photos through the Workbench API (init, import with a names CSV, embed with
 * a small model). The third photo of each individual is left unnamed, so that the review queue holds
 * pairs of a named and an unnamed annotation, as a real catalog being worked through does.
 */
export async function makeReviewCatalog(
  options: { model?: string } = {},
): Promise<{ folder: string; photos: number }> {
  const folder = mkdtempSync(join(tmpdir(), 'pairx-e2e-catalog-'));
  const rows = ['image,name,side'];
  for (const { individual, files } of PHOTOS) {
    mkdirSync(join(folder, `nyala-${individual}`), { recursive: true });
    files.forEach((file, i) => {
      copyFileSync(join(NYALA, individual, file), join(folder, `nyala-${individual}`, file));
      rows.push(`nyala-${individual}/${file},${i < 2 ? `nyala-${individual}` : ''},left`);
    });
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
