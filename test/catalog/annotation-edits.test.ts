import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { dropComputed } from '../../src/main/catalog/annotation-edits.ts';
import { updateNeighbourGraph } from '../../src/main/ranking/neighbour-graph.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { cosine, fillSynthetic } from '../fixtures/synthetic-catalog.ts';
import { copyDemoPhotos, tempFolder } from './helpers.ts';

const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** A catalog of real demo photos (whole-photo annotations), embedded by the fake model. */
async function embeddedCatalog(count: number, options: { background?: boolean } = {}) {
  const root = tempFolder();
  copyDemoPhotos(root, count);
  const embedder = new FakeEmbedder();
  const workbench = Workbench.init(root, { embedderFactory: async () => embedder, backgroundScoring: options.background });
  await workbench.importFolder();
  await workbench.embed({});
  const model = workbench.store.embeddings.model(embedder.modelId)!;
  return { workbench, handlers: workbenchHandlers(workbench), embedder, model };
}

describe('annotation edits', () => {
  it('adds, changes, deletes and undoes boxes per photo-view session, with an append-only history', async () => {
    const { workbench, handlers } = await embeddedCatalog(3);
    const [first] = workbench.list().annotations;
    const { imageId, imageWidth, imageHeight } = first;

    const drawn = await callApi(handlers, 'annotations.add', { imageId, box: { x: 10, y: 20, w: 100, h: 80 }, side: 'Left', session: 's1' });
    expect(drawn).toMatchObject({ imageId, box: { x: 10, y: 20, w: 100, h: 80 }, theta: 0, side: 'left', source: 'drawn' });
    const second = await callApi(handlers, 'annotations.add', { imageId, box: { x: 200, y: 40, w: 120, h: 90 }, session: 's1' });
    expect((await callApi(handlers, 'catalog.list', { imageId })).annotations.map((a) => a.id)).toEqual([first.id, drawn.id, second.id]);
    expect((await callApi(handlers, 'catalog.photos', { animals: 'several' })).photos).toEqual([
      expect.objectContaining({ id: imageId, annotations: 3, boxes: 2 }),
    ]);

    const moved = await callApi(handlers, 'annotations.update', { id: second.id, box: { x: 210, y: 50, w: 110, h: 90 }, theta: 0.3, side: 'right', session: 's1' });
    expect(moved).toMatchObject({ box: { x: 210, y: 50, w: 110, h: 90 }, theta: 0.3, side: 'right' });
    await callApi(handlers, 'annotations.delete', { id: drawn.id, session: 's1' });
    expect(workbench.list().annotations.map((a) => a.id)).not.toContain(drawn.id);
    expect(workbench.status().annotations).toBe(4);

    // Another session's Ctrl+Z does not reach these edits; this one's takes them back newest first.
    await expect(callApi(handlers, 'annotations.undo', { session: 'other' })).rejects.toThrow(/no box edit to undo/);
    const restored = await callApi(handlers, 'annotations.undo', { session: 's1' });
    expect(restored).toMatchObject({ undone: { kind: 'delete', annotationId: drawn.id }, annotation: { id: drawn.id, side: 'left' } });
    const unmoved = await callApi(handlers, 'annotations.undo', { session: 's1' });
    expect(unmoved.annotation).toMatchObject({ id: second.id, box: { x: 200, y: 40, w: 120, h: 90 }, theta: 0, side: null });
    const unadded = await callApi(handlers, 'annotations.undo', { session: 's1' });
    expect(unadded).toMatchObject({ undone: { kind: 'add', annotationId: second.id }, annotation: null });
    expect(workbench.list({ imageId }).annotations.map((a) => a.id)).toEqual([first.id, drawn.id]);

    // The history keeps every step; it cannot be rewritten.
    const history = workbench.store.annotationEdits.ofAnnotation(second.id).map((edit) => edit.kind);
    expect(history).toEqual(['add', 'change', 'undo', 'undo']);
    expect(() => workbench.store.db.prepare('DELETE FROM annotation_edits').run()).toThrow(/append-only/);
    expect(workbench.store.annotationEdits.personEdited([first.id, drawn.id])).toEqual(new Set([drawn.id]));

    // Bad edits: one line each, nothing written.
    await expect(callApi(handlers, 'annotations.add', { imageId, box: { x: imageWidth - 10, y: 0, w: 50, h: 50 } })).rejects.toThrow(
      new RegExp(`reaches outside the ${imageWidth}×${imageHeight} photo`),
    );
    await expect(callApi(handlers, 'annotations.add', { imageId, box: { x: 5, y: 5, w: 2, h: 2 } })).rejects.toThrow(/at least 4×4/);
    await expect(callApi(handlers, 'annotations.update', { id: second.id, side: 'left' })).rejects.toThrow(/was deleted/);
    await expect(callApi(handlers, 'annotations.add', { imageId: 999, box: { x: 5, y: 5, w: 20, h: 20 } })).rejects.toThrow(/no photo 999/);
    expect(workbench.status().annotations).toBe(4);
    workbench.close();
  });

  it('refuses to undo an edit whose annotation was changed since by another session', async () => {
    const { workbench, handlers } = await embeddedCatalog(1);
    const [whole] = workbench.list().annotations;
    await callApi(handlers, 'annotations.update', { id: whole.id, box: { x: 10, y: 10, w: 100, h: 100 }, session: 'a' });
    await callApi(handlers, 'annotations.update', { id: whole.id, side: 'left', session: 'b' });
    await expect(callApi(handlers, 'annotations.undo', { session: 'a' })).rejects.toThrow(/changed elsewhere since/);
    expect(workbench.list().annotations[0]).toMatchObject({ box: { x: 10, y: 10, w: 100, h: 100 }, side: 'left' });
    workbench.close();
  });

  it('keeps decisions when a box changes, drops its vector and re-embeds it with the new crop', async () => {
    const { workbench, handlers, embedder, model } = await embeddedCatalog(4);
    const [a, b] = workbench.list().annotations;
    workbench.decide(a.id, b.id, 'same');
    const before = workbench.store.embeddings.vector(model, a.id)!;
    await callApi(handlers, 'annotations.update', { id: a.id, box: { x: 0, y: 0, w: a.imageWidth / 2, h: a.imageHeight / 2 } });
    expect(workbench.store.embeddings.vector(model, a.id)).toBeUndefined();
    expect(workbench.decisions()).toHaveLength(1);
    expect(workbench.list({ ids: [a.id, b.id] }).annotations.map((x) => x.individualId)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(workbench.list({ ids: [a.id] }).annotations[0].individualId).toBe(workbench.list({ ids: [b.id] }).annotations[0].individualId);

    const summary = await workbench.embed({});
    expect(summary).toMatchObject({ embedded: 1, skipped: 3 });
    const after = workbench.store.embeddings.vector(model, a.id)!;
    const [expected] = await new FakeEmbedder().embed([{ path: `${workbench.folder}/${a.image}`, crop: { x: 0, y: 0, w: a.imageWidth / 2, h: a.imageHeight / 2, theta: 0 } }]);
    expect(after).toEqual(expected);
    expect(cosine(after, before)).toBeLessThan(0.99);
    expect(embedder.embedded).toBe(5);
    workbench.close();
  });

  it('re-embeds an edited box in the background in a window, and the queue waits for it', async () => {
    const { workbench, handlers, model } = await embeddedCatalog(5, { background: true });
    const [a] = workbench.list().annotations;
    const old = workbench.store.embeddings.vector(model, a.id)!;
    await callApi(handlers, 'annotations.update', { id: a.id, box: { x: 20, y: 20, w: 200, h: 150 }, theta: -0.2 });
    const { progress } = await callApi(handlers, 'pairs.candidates', {});
    expect(progress.annotations).toBe(5);
    const fresh = workbench.store.embeddings.vector(model, a.id);
    expect(fresh).toBeDefined();
    expect(cosine(fresh!, old)).toBeLessThan(0.99);
    // The graph has the new vector's edges.
    const edges = workbench.store.neighbours.edges(model.id);
    expect(Array.from(edges.a).concat(Array.from(edges.b))).toContain(a.id);
    workbench.close();
  });

  it('does not start embedding a whole catalog with a model only chosen since', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 3);
    let embedder = new FakeEmbedder('first@1');
    const workbench = Workbench.init(root, { embedderFactory: async () => embedder, backgroundScoring: true });
    await workbench.importFolder();
    await workbench.embed({});
    embedder = new FakeEmbedder('chosen-later@1'); // the active model now, with no vector in this catalog
    const [a] = workbench.list().annotations;
    await workbench.updateAnnotation({ id: a.id, box: { x: 10, y: 10, w: 100, h: 100 } });
    await workbench.evaluate().catch(() => undefined); // waits for the background run
    expect(embedder.embedded).toBe(0);
    expect(workbench.store.embeddings.model('chosen-later@1')).toBeUndefined();
    workbench.close();
  });

  it('replaces a changed annotation’s edges in the neighbour graph instead of adding to them', async () => {
    const workbench = Workbench.init(tempFolder());
    const { model, annotations } = fillSynthetic(workbench.store, { count: 60, dim: 12, seed: 5, model: 'm' });
    const k = 6;
    await updateNeighbourGraph(workbench.store, model, k);
    const changed = annotations[17];
    const vectors = new Map(annotations.map((a) => [a.id, a.vector]));
    // The box changes: its vector is dropped, and the embedding job brings a different one.
    const replacement = Float32Array.from(annotations[42].vector, (v, i) => v + 0.05 * Math.sin(i));
    workbench.store.transaction(() => dropComputed(workbench.store, changed.id));
    workbench.store.transaction(() => workbench.store.embeddings.insert(model, changed.id, replacement));
    vectors.set(changed.id, replacement);
    await updateNeighbourGraph(workbench.store, model, k);

    const brute = new Set<string>();
    for (const [id, vector] of vectors) {
      const ranked = [...vectors].filter(([other]) => other !== id).map(([other, v]) => ({ other, s: cosine(vector, v) }));
      ranked.sort((x, y) => y.s - x.s);
      for (const { other } of ranked.slice(0, k)) brute.add(key(id, other));
    }
    const edges = workbench.store.neighbours.edges(model.id);
    const stored = new Set(Array.from(edges.a, (x, i) => key(x, edges.b[i])));
    for (const edge of brute) expect(stored).toContain(edge);
    // Every edge of the changed annotation is one of the new vector's: none of its old neighbours stays.
    const touching = [...stored].filter((edge) => edge.split(':').map(Number).includes(changed.id));
    expect(touching.length).toBeGreaterThanOrEqual(k);
    for (const edge of touching) expect(brute).toContain(edge);
    expect(touching).toContain(key(changed.id, annotations[42].id));
    workbench.close();
  });

  it('takes a deleted annotation out of the review queue, and an undo brings it back', async () => {
    const { workbench, handlers, model } = await embeddedCatalog(6);
    const [a, b] = workbench.list().annotations;
    workbench.decide(a.id, b.id, 'different');
    const session = 'photo-view-1';
    await callApi(handlers, 'annotations.delete', { id: a.id, session });
    expect(workbench.store.embeddings.vector(model, a.id)).toBeUndefined();
    const { queue, progress } = await callApi(handlers, 'pairs.candidates', {});
    expect(progress.annotations).toBe(5);
    expect(queue.some((pair) => pair.a === a.id || pair.b === a.id)).toBe(false);
    await expect(callApi(handlers, 'decisions.decide', { a: a.id, b: b.id, verdict: 'same' })).rejects.toThrow(/no annotation/);
    expect(workbench.decisions()).toHaveLength(1);
    const edges = workbench.store.neighbours.edges(model.id);
    expect(Array.from(edges.a).concat(Array.from(edges.b))).not.toContain(a.id);

    await callApi(handlers, 'annotations.undo', { session });
    expect(workbench.status().annotations).toBe(6);
    await workbench.embed({});
    const again = await callApi(handlers, 'pairs.candidates', {});
    expect(again.progress.annotations).toBe(6);
    expect(again.queue.some((pair) => pair.a === a.id || pair.b === a.id)).toBe(true);
    workbench.close();
  });

  it('serves a box’s own thumbnail, and a new one when the box changes', async () => {
    const { workbench, handlers } = await embeddedCatalog(1);
    const [whole] = workbench.list().annotations;
    const wholeThumb = await workbench.media({ kind: 'thumb', annotationId: whole.id });
    expect('file' in wholeThumb && wholeThumb.file).toContain(`${whole.thumbnail!.split('/').pop()}`);
    const boxed = await callApi(handlers, 'annotations.add', { imageId: whole.imageId, box: { x: 40, y: 30, w: 300, h: 100 } });
    const thumb = await workbench.media({ kind: 'thumb', annotationId: boxed.id });
    const file = (thumb as { file: string }).file;
    const size = await sharp(readFileSync(file)).metadata();
    expect([size.width, size.height]).toEqual([256, 85]);
    await callApi(handlers, 'annotations.update', { id: boxed.id, box: { x: 40, y: 30, w: 100, h: 200 } });
    const changed = (await workbench.media({ kind: 'thumb', annotationId: boxed.id })) as { file: string };
    expect(changed.file).not.toBe(file);
    const changedSize = await sharp(readFileSync(changed.file)).metadata();
    expect([changedSize.width, changedSize.height]).toEqual([100, 200]); // never enlarged
    // The whole photo upright for the photo view, and its thumbnail, by photo id.
    const upright = (await workbench.media({ kind: 'image', imageId: whole.imageId })) as { bytes: Uint8Array };
    const uprightSize = await sharp(upright.bytes).metadata();
    expect([uprightSize.width, uprightSize.height]).toEqual([whole.imageWidth, whole.imageHeight]);
    expect(await workbench.media({ kind: 'image-thumb', imageId: whole.imageId })).toMatchObject({ contentType: 'image/jpeg' });
    await expect(workbench.media({ kind: 'image', imageId: 77 })).rejects.toThrow(/no photo 77/);
    workbench.close();
  });
});
