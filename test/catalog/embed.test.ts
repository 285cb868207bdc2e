import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbedItem, Embedder } from '../../src/main/catalog/embedder.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { copyDemoPhotos, tempFolder } from './helpers.ts';

async function importedCatalog(count: number): Promise<Workbench> {
  const root = tempFolder();
  copyDemoPhotos(root, count);
  const workbench = Workbench.init(root);
  await workbench.importFolder();
  return workbench;
}

describe('embedAnnotations', () => {
  it('stores one vector per annotation in batches and skips them next time', async () => {
    const workbench = await importedCatalog(7);
    const embedder = new FakeEmbedder();
    const progress: string[] = [];
    const summary = await workbench.embed({ embedder, batchSize: 3, onProgress: (p) => progress.push(`${p.phase} ${p.done}`) });
    expect(summary).toEqual({ model: 'fake-mean-8x8@1', dim: 192, embedded: 7, skipped: 0, failed: 0, issues: [], cancelled: false });
    expect(embedder.calls).toBe(3);
    expect(progress).toEqual(['embed 0', 'embed 3', 'embed 6', 'embed 7', 'index 0']);
    expect(await workbench.embed({ embedder, batchSize: 3 })).toMatchObject({ embedded: 0, skipped: 7 });
    expect(embedder.calls).toBe(3);
    expect(workbench.status().embedded).toEqual([{ model: 'fake-mean-8x8@1', dim: 192, embedded: 7 }]);
    // The stored vector is the embedder's, bit for bit.
    const annotation = workbench.list().annotations[0];
    const [expected] = await new FakeEmbedder().embed([{ path: join(workbench.folder, annotation.image) }]);
    const model = workbench.store.embeddings.model('fake-mean-8x8@1')!;
    expect(workbench.store.embeddings.vector(model, annotation.id)).toEqual(expected);
    workbench.close();
  });

  it('passes boxes and theta as the crop', async () => {
    const workbench = await importedCatalog(1);
    const seen: EmbedItem[] = [];
    const recorder: Embedder = { modelId: 'recorder', dim: 2, embed: async (items) => (seen.push(...items), items.map(() => new Float32Array([1, 0]))) };
    workbench.store.transaction(() =>
      workbench.store.annotations.insert({ imageId: 1, box: { x: 10, y: 20, w: 30, h: 40 }, theta: 0.5, side: null, individualId: null, source: 'test' }),
    );
    await workbench.embed({ embedder: recorder });
    expect(seen).toEqual([{ path: join(workbench.folder, workbench.list().annotations[0].image) }, { path: seen[0].path, crop: { x: 10, y: 20, w: 30, h: 40, theta: 0.5 } }]);
    workbench.close();
  });

  it('costs a failing photo only its own annotation, and retries it next time', async () => {
    const workbench = await importedCatalog(5);
    const lost = workbench.list().annotations[2];
    rmSync(join(workbench.folder, lost.image));
    const summary = await workbench.embed({ embedder: new FakeEmbedder(), batchSize: 4 });
    expect(summary).toMatchObject({ embedded: 4, failed: 1, issues: [{ file: lost.image, message: expect.stringMatching(`annotation ${lost.id}: .*cannot read image`) }] });
    expect(await workbench.embed({ embedder: new FakeEmbedder() })).toMatchObject({ embedded: 0, failed: 1, skipped: 4 });
    workbench.close();
  });

  it('refuses vectors that cosine distance cannot use', async () => {
    const workbench = await importedCatalog(3);
    let call = 0;
    const faulty: Embedder = {
      modelId: 'faulty',
      dim: 3,
      embed: async (items) => items.map(() => [new Float32Array([0, 0, 0]), new Float32Array([1, 2]), new Float32Array([1, Number.NaN, 0])][call++ % 3]),
    };
    const summary = await workbench.embed({ embedder: faulty, batchSize: 1 });
    expect(summary.issues.map((issue) => issue.message.replace(/^annotation \d+: /, ''))).toEqual([
      'the embedder returned a zero vector',
      'the embedder returned 2 values instead of 3',
      'the embedder returned a non-finite value',
    ]);
    expect(() => workbench.store.transaction(() => workbench.store.embeddings.register('faulty', 4))).toThrow(/stored with 3-dimensional vectors/);
    workbench.close();
  });

  it('stops between batches when cancelled and resumes later', async () => {
    const workbench = await importedCatalog(6);
    const controller = new AbortController();
    const summary = await workbench.embed({
      embedder: new FakeEmbedder(),
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => p.done === 2 && controller.abort(),
    });
    expect(summary).toMatchObject({ embedded: 2, cancelled: true });
    expect(await workbench.embed({ embedder: new FakeEmbedder(), batchSize: 2 })).toMatchObject({ embedded: 4, skipped: 2, cancelled: false });
    workbench.close();
  });
});
