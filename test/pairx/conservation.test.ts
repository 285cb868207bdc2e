import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSERVATION_BOUNDS, describeError, unfaithfulMessage } from '../../src/shared/conservation.ts';
import { preprocess } from '../../src/main/imaging/preprocess.ts';
import { ReidModel } from '../../src/main/models/reid-model.ts';
import { passConservation, summarise } from '../../src/main/pairx/conservation.ts';
import { PairExplainer } from '../../src/main/pairx/pair-explainer.ts';
import { writeUnfaithfulModel } from '../fixtures/unfaithful-model.ts';
import { modelPath, zooEntries } from '../zoo/zoo.ts';

const PHOTOS = ['test/fixtures/photos/nyala-100-left-a.jpg', 'test/fixtures/photos/nyala-100-left-b.jpg'];
const pass = (error: number | null) => ({ seed: 1, relevance: error === null ? null : 1 + error, error });

describe('the conservation guard', () => {
  it('measures a pass as |Σ relevance − Σ seed| relative to Σ|seed|, per item', () => {
    const seed = Float32Array.of(1, -1, 2, /* item 2 */ 0, 0, 0);
    const relevance = Float32Array.of(0.5, 1.5, /* item 2 */ 0, 0);
    expect(passConservation(seed, relevance, 0, 3, 2)).toEqual({ seed: 2, relevance: 2, error: 0 });
    // A seed of nothing conserves when nothing comes out.
    expect(passConservation(seed, relevance, 1, 3, 2)).toEqual({ seed: 0, relevance: 0, error: 0 });
    expect(passConservation(Float32Array.of(1, 1), Float32Array.of(3e9)).error).toBeCloseTo(1.5e9, -3);
    expect(passConservation(Float32Array.of(1), Float32Array.of(Number.NaN))).toEqual({ seed: 1, relevance: null, error: null });
    expect(passConservation(Float32Array.of(1), Float32Array.of(Number.POSITIVE_INFINITY)).error).toBeNull();
  });

  it('holds the pass to the layer and the pixel maps to their own bounds', () => {
    const quiet = summarise([pass(20), pass(0.1)], [[pass(0.3)], [pass(0.2)]]);
    expect(quiet).toMatchObject({ faithful: true, worstLayer: 20, worstPixels: 0.3, worst: 20 });
    const pixelsOff = summarise([pass(20), pass(0.1)], [[pass(0.3), pass(3e9)], [pass(0.2)]]);
    expect(pixelsOff).toMatchObject({ faithful: false, worst: 3e9 });
    const layerOff = summarise([pass(5e3), pass(0.1)], [[pass(0.3)], [pass(0.2)]]);
    expect(layerOff).toMatchObject({ faithful: false, worst: 5e3 });
    expect(summarise([pass(null), pass(0)], [[], []])).toMatchObject({ faithful: false, worst: null });
    expect(quiet.bounds).toEqual(CONSERVATION_BOUNDS);
  });

  it('says how far off in words', () => {
    expect(describeError(3.2e9)).toBe('×3e9');
    expect(describeError(12.4)).toBe('×12');
    expect(describeError(2.5)).toBe('×2.5');
    expect(describeError(0.4)).toBe('40 %');
    expect(describeError(null)).toBe('×∞ (non-finite values)');
    expect(unfaithfulMessage('blocks.7', 3e9, 'blocks.6')).toBe('explanation not faithful at layer blocks.7: relevance ×3e9 off; try layer blocks.6');
  });
});

describe('the guard on explanations', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // torchvision's ViT folds the batch inside the tokens ([L·B, C]) and the heads inside the batch; an
  // explainer that reads every such axis as batch-outside pairs each pixel seed with other positions'
  // statistics, and its maps blow up.
  it('speaks when pixel seeds meet the wrong statistics, and is quiet when they do not', async () => {
    const entry = zooEntries().find((e) => e.family === 'tv-vit' && e.variant === 'bare-l2')!;
    const explainWith = async (breakLayouts: boolean) => {
      const model = await ReidModel.load(modelPath(entry), { provider: 'cpu' });
      if (breakLayouts) {
        // Every folded axis read as batch-outside, as the explainer did before it probed where the batch sits.
        for (const [tensor, layout] of model.batching.layouts) layout.inner = model.shapes.get(tensor)![layout.axis];
      }
      const explainer = new PairExplainer(model);
      try {
        const [a, b] = await Promise.all(PHOTOS.map((p) => preprocess(p, model.inputSpec)));
        return await explainer.explain(a, b, { kColors: 10 });
      } finally {
        await explainer.release();
      }
    };
    const broken = await explainWith(true);
    expect(broken.conservation.faithful).toBe(false);
    expect(broken.conservation.worstPixels!).toBeGreaterThan(CONSERVATION_BOUNDS.pixels);
    expect(broken.conservation.suggestedLayer).toBe('encoder.layers.encoder_layer_4');
    const sound = await explainWith(false);
    expect(sound.conservation).toMatchObject({ faithful: true });
    expect(sound.conservation.worstPixels!).toBeLessThan(0.05);
  });

  it("speaks where the model itself makes LRP unfaithful (a large shift its first layer's bias removes)", async () => {
    const dir = writeUnfaithfulModel(mkdtempSync(join(tmpdir(), 'pairx-unfaithful-')));
    dirs.push(dir);
    const explainer = new PairExplainer(await ReidModel.load(dir, { provider: 'cpu' }));
    try {
      const [a, b] = await Promise.all(PHOTOS.map((p) => preprocess(p, explainer.inputSpec)));
      const explanation = await explainer.explain(a, b, { kColors: 3 });
      const guard = explanation.conservation;
      expect(explanation.layer.key).toBe('features');
      expect(guard.faithful).toBe(false);
      expect(guard.worstPixels!).toBeGreaterThan(CONSERVATION_BOUNDS.pixels);
      expect(guard.worstLayer!).toBeLessThan(CONSERVATION_BOUNDS.layer);
      expect(guard.worst).toBe(guard.worstPixels);
      expect(guard.suggestedLayer).toBe('features.1');
    } finally {
      await explainer.release();
    }
  });
});
