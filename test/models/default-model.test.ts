import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocess } from '../../src/main/imaging/preprocess.ts';
import { kfoldEstimate, trainingIndividuals } from '../../src/main/models/card-estimate.ts';
import { defaultModelPath } from '../../src/main/models/default-model.ts';
import { ReidModel } from '../../src/main/models/reid-model.ts';
import { PairExplainer } from '../../src/main/pairx/pair-explainer.ts';

const PHOTOS = resolve('test/fixtures/photos');

describe('the bundled default model', () => {
  let model: ReidModel;
  let explainer: PairExplainer;
  beforeAll(async () => {
    model = await ReidModel.load(defaultModelPath(), { provider: 'cpu' });
    explainer = new PairExplainer(model);
  });
  afterAll(() => explainer?.release());

  it('has a card with its source, its training individuals and the k-fold estimate on individuals it never saw', () => {
    expect(existsSync(join(defaultModelPath(), 'card.json'))).toBe(true);
    expect(model.card.source).toBeDefined();
    const estimate = kfoldEstimate(model.card);
    expect(estimate?.folds).toBeGreaterThanOrEqual(5);
    expect(estimate!.rank1.folds).toHaveLength(estimate!.folds);
    expect(estimate!.rank1.mean).toBeGreaterThan(0);
    expect(estimate!.queries).toBeGreaterThan(500);
    const trained = trainingIndividuals(model.card);
    const heldOut = (model.card.training as { heldOutIndividuals?: string[] }).heldOutIndividuals ?? [];
    expect(trained?.size).toBeGreaterThan(0);
    expect(heldOut.filter((name) => trained!.has(name))).toEqual([]);
  });

  it("embeds a real photo to the card's dimension", async () => {
    const tensor = await preprocess(join(PHOTOS, 'nyala-100-left-a.jpg'), model.inputSpec);
    const { embeddings } = await model.embed(tensor, 1);
    expect(embeddings.length).toBe(model.card.embedding.dim);
    expect(embeddings.every(Number.isFinite)).toBe(true);
  });

  it('has its default layer, and the relevance compiler accepts the model at every listed layer', async () => {
    expect(model.card.defaultLayer).toBeDefined();
    expect(model.resolveLayer().key).toBe(model.card.defaultLayer);
    for (const layer of [model.card.defaultLayer!, ...(model.card.layers ?? [])]) {
      await expect(explainer.compileLayer(layer)).resolves.toBeDefined();
    }
  });

  it('explains two photos of one individual', async () => {
    const [a, b] = await Promise.all(
      ['nyala-100-left-a.jpg', 'nyala-100-left-b.jpg'].map((f) => preprocess(join(PHOTOS, f), model.inputSpec)),
    );
    const explanation = await explainer.explain(a, b);
    expect(explanation.layer.key).toBe(model.card.defaultLayer);
    expect(explanation.matches.length).toBeGreaterThan(explanation.kColors - 1);
    expect(explanation.pixelMaps[0].length).toBe(explanation.kColors * model.card.input.width * model.card.input.height);
  });
});
