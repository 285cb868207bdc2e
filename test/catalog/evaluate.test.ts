import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { reidMetrics } from '../../src/main/pairx/evaluation.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { copyDemoPhotos, DEMO, tempFolder } from './helpers.ts';

describe('catalog.evaluate', () => {
  it('measures rank-1 and mAP of the catalog’s model over its named annotations, each against its side', async () => {
    const root = tempFolder();
    const photos = copyDemoPhotos(root, 16);
    const embedder = new FakeEmbedder();
    const workbench = Workbench.init(root, { embedderFactory: async () => embedder });
    const handlers = workbenchHandlers(workbench);
    await workbench.importFolder(root, { annotationsCsv: join(DEMO, 'annotations.csv') });
    await expect(callApi(handlers, 'catalog.evaluate', {})).rejects.toThrow(/no embeddings yet/);
    await workbench.embed({});

    const result = await callApi(handlers, 'catalog.evaluate', {});
    const model = workbench.store.embeddings.model(embedder.modelId)!;
    const expected = reidMetrics(
      workbench.list().annotations.map((a) => ({ name: a.name!, side: a.side, embedding: workbench.store.embeddings.vector(model, a.id)! })),
    );
    expect(result).toMatchObject({
      model: embedder.modelId,
      rank1: expected.rank1,
      mAP: expected.mAP,
      queries: expected.queries,
      skipped: expected.skipped,
      annotations: photos.length,
      individuals: new Set(photos.map((p) => p.name)).size,
      notEmbedded: 0,
      individualsSeenInTraining: null,
    });
    expect(result.queries).toBeGreaterThan(0);

    // A named annotation without a vector is counted, not measured; an unnamed one is neither.
    const [first] = workbench.list().annotations;
    await callApi(handlers, 'annotations.update', { id: first.id, box: { x: 0, y: 0, w: 100, h: 100 } });
    const partial = await callApi(handlers, 'catalog.evaluate', {});
    expect(partial).toMatchObject({ annotations: photos.length - 1, notEmbedded: 1 });
    workbench.close();
  });
});
