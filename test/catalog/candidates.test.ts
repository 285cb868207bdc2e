import { describe, expect, it } from 'vitest';
import { EXACT_SEARCH_LIMIT } from '../../src/main/catalog/store/embeddings.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { cosine, fillSynthetic, gaussian, type SyntheticAnnotation } from '../fixtures/synthetic-catalog.ts';
import { tempFolder } from './helpers.ts';

/** The obviously-correct answer: every other annotation scored by cosine, best first, filtered. */
function bruteForce(annotations: SyntheticAnnotation[], query: SyntheticAnnotation, k: number, allow: (other: SyntheticAnnotation) => boolean) {
  return annotations
    .filter((other) => other.id !== query.id && allow(other))
    .map((other) => ({ annotationId: other.id, similarity: cosine(query.vector, other.vector) }))
    .sort((x, y) => y.similarity - x.similarity)
    .slice(0, k);
}

const sides = ['left', 'right', null];

describe('candidates', () => {
  it('equal a brute-force cosine search, with all filters off', async () => {
    const workbench = Workbench.init(tempFolder());
    const { annotations } = fillSynthetic(workbench.store, { count: 300, dim: 32 });
    const off = { sameSide: false, excludeDecided: false, excludeSameName: false, excludeSameImage: false };
    for (const query of annotations.slice(0, 20)) {
      const [result] = (await workbench.candidates({ order: 'pairs', annotationId: query.id, k: 7, ...off })).perAnnotation;
      const expected = bruteForce(annotations, query, 7, () => true);
      expect(result.candidates.map((c) => c.annotationId)).toEqual(expected.map((c) => c.annotationId));
      result.candidates.forEach((candidate, i) => expect(candidate.similarity).toBeCloseTo(expected[i].similarity, 5));
    }
    workbench.close();
  });

  it('apply the side, name and photo filters after the KNN query', async () => {
    const workbench = Workbench.init(tempFolder());
    const { annotations } = fillSynthetic(workbench.store, {
      count: 240,
      dim: 16,
      perImage: 2,
      side: (i) => sides[i % 3],
      individual: (i) => (i % 5 === 0 ? null : `ind-${i % 7}`),
    });
    const byId = new Map(annotations.map((a) => [a.id, a]));
    const result = await workbench.candidates({ order: 'pairs', k: 5 });
    expect(result.perAnnotation).toHaveLength(240);
    for (const { annotationId, candidates } of result.perAnnotation) {
      const query = byId.get(annotationId)!;
      const expected = bruteForce(
        annotations,
        query,
        5,
        (other) =>
          other.imageId !== query.imageId &&
          (query.side === null || other.side === null || query.side === other.side) &&
          (query.individual === null || query.individual !== other.individual),
      );
      expect(candidates.map((c) => c.annotationId)).toEqual(expected.map((c) => c.annotationId));
    }
    // The queue holds each unordered pair once, best first.
    const keys = result.queue.map((pair) => `${pair.a}:${pair.b}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(result.queue.every((pair) => pair.a < pair.b)).toBe(true);
    for (let i = 1; i < result.queue.length; i++) expect(result.queue[i - 1].similarity).toBeGreaterThanOrEqual(result.queue[i].similarity);
    workbench.close();
  });

  it('fetch wider when the filters remove most nearest neighbours', async () => {
    const workbench = Workbench.init(tempFolder());
    // 200 near-identical annotations on one photo, then others far away: the 4k+16 nearest are all excluded.
    const base = Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0));
    const { annotations } = fillSynthetic(workbench.store, {
      count: 260,
      dim: 8,
      perImage: 200,
      vector: (i, random) => (i < 200 ? base.map((v) => v + 0.001 * gaussian(random)) : Float32Array.from({ length: 8 }, () => gaussian(random))),
    });
    const [result] = (await workbench.candidates({ order: 'pairs', annotationId: annotations[0].id, k: 5 })).perAnnotation;
    expect(result.candidates).toHaveLength(5);
    expect(result.candidates.every((c) => c.annotationId > annotations[199].id)).toBe(true);
    // The same when every annotation's candidates come from one search of all against all.
    const all = (await workbench.candidates({ order: 'pairs', k: 5 })).perAnnotation;
    const fromAll = all.find((entry) => entry.annotationId === annotations[0].id)!.candidates;
    expect(fromAll.map((c) => c.annotationId)).toEqual(result.candidates.map((c) => c.annotationId));
    fromAll.forEach((candidate, i) => expect(candidate.similarity).toBeCloseTo(result.candidates[i].similarity, 5));
    expect(all.every((entry) => entry.candidates.length === 5)).toBe(true);
    workbench.close();
  });

  it('leave out decided pairs until the decision is undone, and rerank by stored plausibility', async () => {
    const workbench = Workbench.init(tempFolder());
    const { model, annotations } = fillSynthetic(workbench.store, { count: 60, dim: 16 });
    const first = await workbench.candidates({ order: 'pairs', k: 3 });
    const [top, second, third] = first.queue;
    workbench.decide(top.a, top.b, 'different');
    workbench.decide(second.b, second.a, 'unsure');
    const after = await workbench.candidates({ order: 'pairs', k: 3 });
    const has = (queue: typeof after.queue, pair: typeof top) => queue.some((p) => p.a === pair.a && p.b === pair.b);
    expect(has(after.queue, top)).toBe(false);
    expect(has(after.queue, second)).toBe(false);
    expect(has((await workbench.candidates({ order: 'pairs', k: 3, excludeDecided: false })).queue, top)).toBe(true);
    workbench.undo();
    expect(has((await workbench.candidates({ order: 'pairs', k: 3 })).queue, second)).toBe(true);

    workbench.setPairPlausibility(third.b, third.a, model.identity, 0.9);
    const last = after.queue[after.queue.length - 1];
    workbench.setPairPlausibility(last.a, last.b, model.identity, 0.95);
    const reranked = (await workbench.candidates({ order: 'pairs', k: 3, rerank: 'plausibility' })).queue;
    expect(reranked.slice(0, 2)).toEqual([
      expect.objectContaining({ a: last.a, b: last.b, similarity: expect.closeTo(last.similarity, 5), plausibility: 0.95 }),
      expect.objectContaining({ a: third.a, b: third.b, similarity: expect.closeTo(third.similarity, 5), plausibility: 0.9 }),
    ]);
    // Without plausibility the order is by similarity, which stays in the result.
    expect((await workbench.candidates({ order: 'pairs', k: 3 })).queue.find((p) => p.a === last.a && p.b === last.b)!.plausibility).toBe(0.95);
    expect(() => workbench.setPairPlausibility(annotations[0].id, 9999, model.identity, 0.5)).toThrow(/do not both have vectors/);
    workbench.close();
  });

  it('go through the sign index above EXACT_SEARCH_LIMIT vectors and still find the true matches', async () => {
    const workbench = Workbench.init(tempFolder());
    // Groups of three close vectors around random centres, all shifted off the origin (as features after
    // a ReLU are): the sign index must take its bits around the mean to tell them apart.
    let centre = new Float32Array(16);
    const count = EXACT_SEARCH_LIMIT + 300;
    const { model, annotations } = fillSynthetic(workbench.store, {
      count,
      dim: 16,
      vector: (i, random) => {
        if (i % 3 === 0) centre = Float32Array.from({ length: 16 }, () => gaussian(random));
        return centre.map((value) => 3 + value + 0.05 * gaussian(random));
      },
    });
    const query = async (id: number) => (await workbench.candidates({ order: 'pairs', annotationId: id, k: 5 })).perAnnotation[0].candidates;
    const exactBefore = [];
    for (const a of annotations.slice(0, 30)) exactBefore.push(await query(a.id));
    expect(workbench.store.embeddings.refreshSignIndex(model)).toBe(true);
    expect(workbench.store.embeddings.refreshSignIndex(model)).toBe(false);
    for (const [i, annotation] of annotations.slice(0, 30).entries()) {
      const found = await query(annotation.id);
      const mates = annotations.filter((other) => other.id !== annotation.id && Math.floor((other.id - 1) / 3) === Math.floor((annotation.id - 1) / 3));
      expect(found.slice(0, 2).map((c) => c.annotationId).sort()).toEqual(mates.map((m) => m.id).sort());
      // Re-scored exactly: the same similarities as the exact search gave for what both found.
      for (const candidate of found) {
        const exact = exactBefore[i].find((c) => c.annotationId === candidate.annotationId);
        if (exact) expect(candidate.similarity).toBeCloseTo(exact.similarity, 5);
      }
    }
    // A vector stored after the index was built is found through it at once.
    const twin = fillSynthetic(workbench.store, { count: 1, dim: 16, seed: 5, vector: () => annotations[0].vector.map((v) => v + 0.001) }).annotations[0];
    expect((await query(annotations[0].id)).map((c) => c.annotationId)).toContain(twin.id);
    expect(count).toBeGreaterThan(EXACT_SEARCH_LIMIT);
    workbench.close();
  });

  it('say when nothing is embedded yet, and which model a name means', async () => {
    const workbench = Workbench.init(tempFolder());
    await expect(workbench.candidates()).rejects.toThrow('this catalog has no embeddings yet (run `pairx catalog embed`)');
    fillSynthetic(workbench.store, { count: 5, dim: 4, model: 'alpha@1' });
    fillSynthetic(workbench.store, { count: 5, dim: 4, model: 'beta@1', seed: 2 });
    expect((await workbench.candidates({ order: 'pairs', model: 'alpha' })).model).toBe('alpha@1');
    await expect(workbench.candidates({ order: 'pairs', model: 'gamma' })).rejects.toThrow(/no vectors from a model "gamma"/);
    // Partitioned by model: alpha's queries never return beta's annotations.
    const alpha = await workbench.candidates({ order: 'pairs', model: 'alpha', k: 10, excludeSameImage: false });
    expect(alpha.perAnnotation.flatMap((entry) => entry.candidates).every((c) => c.annotationId <= 5)).toBe(true);
    workbench.close();
  });
});
